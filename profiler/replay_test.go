package profiler

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func TestParseReplay(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ReplaySpec
	}{
		{"replay:t.jsonl", ReplaySpec{Path: "t.jsonl"}},
		{" replay:/a b/t,1.json ", ReplaySpec{Path: "/a b/t,1.json"}},
		{"replay:t.jsonl?noise=0.02&seed=7", ReplaySpec{Path: "t.jsonl", Noise: 0.02, Seed: 7}},
		{"replay:t.jsonl?seed=3", ReplaySpec{Path: "t.jsonl", Seed: 3}},
		{"replay:odd?name.jsonl?", ReplaySpec{Path: "odd?name.jsonl"}},
		{"replay:odd?name.jsonl?noise=0", ReplaySpec{Path: "odd?name.jsonl"}},
	} {
		got, err := ParseReplay(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseReplay(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := ParseReplay(got.String()); err != nil || again != got {
			t.Errorf("%q: String %q reads back as %+v, %v", tc.in, got.String(), again, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"cpu", "a replay is replay:TABLE"},
		{"replay:", "no table"},
		{"replay:?noise=0.1", "no table"},
		{"replay:t?noise=1", `noise "1": want a relative size in [0, 1)`},
		{"replay:t?noise=-0.1", `noise "-0.1"`},
		{"replay:t?noise=NaN", `noise "NaN"`},
		{"replay:t?seed=-1", `seed "-1": want an unsigned integer`},
		{"replay:t?seed=1&seed=2", "seed given 2 times"},
		{"replay:odd?name.jsonl", `unknown parameter "name.jsonl"`},
		{"replay:t?noise=%zz", "parameters"},
	} {
		if _, err := ParseReplay(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReplay(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

// replayOf opens a replay of a fixture.
func replayOf(t *testing.T, fixture, params string) *ReplayMeasurer {
	t.Helper()
	spec, err := ParseReplay("replay:" + testtables.Path(t, fixture) + params)
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenReplay(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func measure(t *testing.T, m Measurer, r tablefmt.Row) (tablefmt.Row, error) {
	t.Helper()
	p, err := m.Prepare(context.Background(), r)
	if err != nil {
		return tablefmt.Row{}, err
	}
	defer p.Close()
	return p.Time(context.Background())
}

// A whole-block LUT answers blocks, and attention as the block without MLP,
// exactly (the synthetic table's own formula is the reference); rows of a
// JSON Lines table come back as recorded, without floors or passes.
func TestReplayAnswersExactly(t *testing.T) {
	lut := replayOf(t, testtables.NViTSynthetic, "")
	for _, r := range []tablefmt.Row{
		{Kind: tablefmt.KindBlock, EMB: 512, Heads: 9, QK: 48, V: 16, MLP: 1408},
		{Kind: tablefmt.KindAttn, EMB: 256, Heads: 3, QK: 64, V: 1},
	} {
		got, err := measure(t, lut, r)
		want := testtables.SyntheticSeconds(r.EMB, r.Heads, r.QK, r.V, r.MLP) * 1e3
		if err != nil || got.MedianMS != want || got.Key() != r.Key() || got.MACs == 0 {
			t.Errorf("%s: %+v, %v; want %v ms", r.Key(), got, err, want)
		}
	}
	quick := replayOf(t, testtables.QuickCPU, "")
	src, _, err := tablefmt.ReadTable(testtables.Path(t, testtables.QuickCPU))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range src.Rows[:3] {
		got, err := measure(t, quick, tablefmt.Row{Kind: want.Kind, EMB: want.EMB, Heads: want.Heads, QK: want.QK, V: want.V, MLP: want.MLP})
		if err != nil || got.MedianMS != want.MedianMS || got.SpreadMS != want.SpreadMS || got.Samples != want.Samples ||
			got.Floors != nil || got.PassesMS != nil {
			t.Errorf("%s: %+v, %v; want %+v without floors or passes", want.Key(), got, err, want)
		}
	}
}

// What the table cannot answer is an error naming the configuration and
// the table: an MLP from a table of blocks that all have heads, a block
// from a decomposed table, a width not in the table.
func TestReplayRefusesWhatTheTableLacks(t *testing.T) {
	lut := replayOf(t, testtables.NViTSynthetic, "")
	quick := replayOf(t, testtables.QuickCPU, "")
	for _, tc := range []struct {
		m    *ReplayMeasurer
		r    tablefmt.Row
		want string
	}{
		{lut, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 256, MLP: 128}, "mlp emb=256 mlp=128: not in the replayed table"},
		{lut, tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 256, Heads: 2, QK: 1, V: 1, MLP: 128}, "block emb=256 heads=2"},
		{lut, tablefmt.Row{Kind: tablefmt.KindRest, EMB: 256}, "rest emb=256: not in the replayed table"},
		{quick, tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 64, Heads: 1, QK: 8, V: 16, MLP: 64}, "block emb=64 heads=1 qk=8 v=16 mlp=64: not in"},
		{quick, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: 80, Heads: 1, QK: 8, V: 16}, "(nor is block emb=80 heads=1 qk=8 v=16 mlp=0)"},
	} {
		_, err := measure(t, tc.m, tc.r)
		if !errors.Is(err, ErrNotInTable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrNotInTable and %q", tc.r.Key(), err, tc.want)
		}
	}
}

// Noise is multiplicative, of the stated size, and fixed by the seed: two
// replays with one seed agree answer for answer, a second answer of the
// same configuration differs from the first, another seed differs.
func TestReplayNoiseIsDeterministic(t *testing.T) {
	r := tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 768, Heads: 12, QK: 64, V: 64, MLP: 3072}
	exact := testtables.SyntheticSeconds(768, 12, 64, 64, 3072) * 1e3
	answers := func(params string, n int) []float64 {
		m := replayOf(t, testtables.NViTSynthetic, params)
		var out []float64
		for range n {
			got, err := measure(t, m, r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, got.MedianMS)
		}
		return out
	}
	a, b, c := answers("?noise=0.02&seed=1", 400), answers("?noise=0.02&seed=1", 400), answers("?noise=0.02&seed=2", 1)
	var sum, sq float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("answer %d: %v and %v with the same seed", i, a[i], b[i])
		}
		l := math.Log(a[i] / exact)
		sum, sq = sum+l, sq+l*l
	}
	if a[0] == a[1] || a[0] == c[0] {
		t.Errorf("answers %v, %v, other seed %v: want each answer drawn anew", a[0], a[1], c[0])
	}
	mean := sum / float64(len(a))
	if sd := math.Sqrt(sq/float64(len(a)) - mean*mean); sd < 0.017 || sd > 0.023 || math.Abs(mean) > 0.004 {
		t.Errorf("log noise mean %.4f, sd %.4f over %d answers; want about 0 and 0.02", mean, sd, len(a))
	}
}

// A replayed sweep's header is the table's (batch, tokens, dtype, method,
// device name) with device kind replay, the source and a note; its grid,
// with no preset or dimensions, is the table's own.
func TestReplayPlan(t *testing.T) {
	path := testtables.Path(t, testtables.NViTSynthetic)
	p, err := NewPlan(PlanOptions{Device: "replay:" + path + "?noise=0.01&seed=4"})
	if err != nil {
		t.Fatal(err)
	}
	h := p.Header
	// Not NViT's published table: no device name, batch unknown.
	if h.DeviceKind != KindReplay || h.DeviceName != testtables.NViTSynthetic || h.Batch != 0 || h.Tokens != 198 || h.Method.Name != "nvit-lut" ||
		h.Method.Passes != 1 || h.Source != path || h.Device != "replay:"+path+"?noise=0.01&seed=4" || len(p.Configs) != 9375 {
		t.Errorf("header %+v, %d configurations", h, len(p.Configs))
	}
	if n := strings.Join(h.Notes, "; "); !strings.Contains(n, "replayed from "+path+" (9375 rows, sha256") || !strings.Contains(n, "exp(0.01·z)") {
		t.Errorf("notes %q", h.Notes)
	}
	out := filepath.Join(t.TempDir(), "t.jsonl")
	if _, err := p.Run(context.Background(), out, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _, err := tablefmt.ReadTable(out)
	if err != nil || len(got.Rows) != 9375 || got.Header.DeviceKind != KindReplay {
		t.Errorf("replayed table: %d rows, %v", len(got.Rows), err)
	}
	for _, tc := range []struct {
		opts PlanOptions
		want string
	}{
		{PlanOptions{Device: "replay:" + path, Preset: "quick"}, "device: " + path + " was measured with 198 tokens; the grid (preset quick) has 65"},
		{PlanOptions{Device: "replay:" + path, Batch: new(8)}, "batch: a replay answers from its table, whose batch it keeps"},
		{PlanOptions{Device: "replay:" + path, Samples: new(8)}, "samples: a replay answers from its table"},
		{PlanOptions{Device: "replay:" + filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{PlanOptions{Device: "replay:" + path + "?noise=2"}, "device: device"},
	} {
		if _, err := NewPlan(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
}
