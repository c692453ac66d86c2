package tablefmt

import (
	"bytes"
	"strings"
	"testing"
)

// An adaptive sweep's table records its sampling in the header and marks its
// validation rows; both survive JSON Lines, and nothing else is written for
// a table without them.
func TestSamplingAndValidationRoundTrip(t *testing.T) {
	h := testHeader()
	h.Sampling = &Sampling{Strategy: SamplingAdaptive, AccuracyPct: 5, Share: 0.95, Grid: 9375, Holdout: 60, Seed: 1,
		Uncertainty: "slab-cv", Decompose: true, Prior: "abc", PriorSummary: "Tesla V100"}
	want := Table{Header: h, Rows: []Row{
		{Kind: KindBlock, EMB: 256, Heads: 1, QK: 1, V: 1, MLP: 128, MedianMS: 7, Validation: true},
		{Kind: KindBlock, EMB: 256, Heads: 1, QK: 1, V: 1, MedianMS: 6},
	}}
	data := encodeTable(t, want)
	for _, s := range []string{`"sampling":{"strategy":"adaptive","accuracy_pct":5,"share":0.95,"grid":9375,"holdout":60,"seed":1,"uncertainty":"slab-cv","decompose":true,"prior_sha256":"abc","prior_summary":"Tesla V100"}`,
		`"mlp":128,"median_ms":7,"spread_ms":0,"samples":0,"macs":0,"bytes":0,"validation":true}`} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("no %s in\n%s", s, data)
		}
	}
	if bytes.Count(data, []byte(`"validation"`)) != 1 {
		t.Errorf("validation written for a row that is not:\n%s", data)
	}
	got, bad, err := Read(bytes.NewReader(data), "t.jsonl")
	if err != nil || len(bad) != 0 {
		t.Fatalf("Read: %v, %v", err, bad)
	}
	if s := got.Header.Sampling; s == nil || *s != *h.Sampling {
		t.Errorf("sampling after a round trip: %+v, want %+v", s, h.Sampling)
	}
	if !got.Rows[0].Validation || got.Rows[1].Validation {
		t.Errorf("validation after a round trip: %v, %v", got.Rows[0].Validation, got.Rows[1].Validation)
	}
	plain := encodeTable(t, Table{Header: testHeader(), Rows: want.Rows[1:]})
	if bytes.Contains(plain, []byte("sampling")) || bytes.Contains(plain, []byte("validation")) {
		t.Errorf("a table of the whole grid mentions sampling:\n%s", plain)
	}
}

// CSV has no column for validation (as for floors and passes): an exported
// adaptive table read back is fitted whole.
func TestCSVDropsValidation(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Row{{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1, Validation: true}}); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadCSV(&buf, "t.csv")
	if err != nil || len(rows) != 1 || rows[0].Validation {
		t.Errorf("ReadCSV = %+v, %v", rows, err)
	}
}

func TestSamplingValidate(t *testing.T) {
	ok := Sampling{Strategy: SamplingAdaptive, Share: 0.95}
	if err := ok.Validate(); err != nil {
		t.Errorf("budget-only sampling: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Sampling)
		want string
	}{
		{func(s *Sampling) { s.Strategy = "random" }, `sampling.strategy "random"`},
		{func(s *Sampling) { s.AccuracyPct = 100 }, "sampling.accuracy_pct must be in [0, 100), got 100"},
		{func(s *Sampling) { s.AccuracyPct = -1 }, "sampling.accuracy_pct must be in [0, 100), got -1"},
		{func(s *Sampling) { s.Share = 0 }, "sampling.share must be in (0, 1], got 0"},
		{func(s *Sampling) { s.Share = 1.5 }, "sampling.share must be in (0, 1], got 1.5"},
		{func(s *Sampling) { s.Holdout = -1 }, "sampling.grid and sampling.holdout must not be negative"},
	} {
		s := ok
		tc.edit(&s)
		h := testHeader()
		h.Sampling = &s
		if err := h.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate() = %v, want %q", s, err, tc.want)
		}
	}
}
