package tablefmt

import (
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

func TestRowValidate(t *testing.T) {
	for _, r := range testRows() {
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", r.Key(), err)
		}
	}
	for _, tc := range []struct {
		name string
		row  Row
		want string
	}{
		{"unknown kind", Row{Kind: "conv", EMB: 8}, `unknown kind "conv"`},
		{"empty kind", Row{EMB: 8}, `unknown kind ""`},
		{"negative latency", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: -1}, "median_ms must be a non-negative number, got -1"},
		{"NaN latency", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: math.NaN()}, "got NaN"},
		{"infinite spread", Row{Kind: KindMLP, EMB: 8, MLP: 8, SpreadMS: math.Inf(1)}, "spread_ms must be a non-negative number, got +Inf"},
		{"negative samples", Row{Kind: KindMLP, EMB: 8, MLP: 8, Samples: -3}, "samples must not be negative"},
		{"negative macs", Row{Kind: KindMLP, EMB: 8, MLP: 8, MACs: -3}, "macs must not be negative"},
		{"no emb", Row{Kind: KindAttn, Heads: 1, QK: 1, V: 1}, "attn row: emb must be positive, got 0"},
		{"attn without heads", Row{Kind: KindAttn, EMB: 8, QK: 8, V: 8}, "attn row: heads, qk and v must be positive"},
		{"attn with mlp", Row{Kind: KindAttn, EMB: 8, Heads: 1, QK: 8, V: 8, MLP: 4}, "attn row: mlp does not apply"},
		{"mlp without width", Row{Kind: KindMLP, EMB: 8}, "mlp row: mlp must be positive, got 0"},
		{"mlp with heads", Row{Kind: KindMLP, EMB: 8, MLP: 8, Heads: 2}, "mlp row: heads, qk and v do not apply"},
		{"empty block", Row{Kind: KindBlock, EMB: 8}, "block row: a block without heads and without MLP measures nothing"},
		{"block qk without heads", Row{Kind: KindBlock, EMB: 8, QK: 8, MLP: 8}, "block row: qk and v must be 0 without heads"},
		{"block heads without qk", Row{Kind: KindBlock, EMB: 8, Heads: 2, V: 8}, "block row: QK per head must be positive"},
		{"block negative mlp", Row{Kind: KindBlock, EMB: 8, Heads: 1, QK: 1, V: 1, MLP: -1}, "block row: MLP width must not be negative"},
		{"rest with dims", Row{Kind: KindRest, EMB: 8, MLP: 8}, "rest row: heads, qk, v and mlp do not apply"},
		{"model without dim", Row{Kind: KindModel, EMB: 8}, "model row: dim is missing"},
		{"dim on a block", Row{Kind: KindBlock, EMB: 8, MLP: 8, Dim: &arch.Dim{EMB: 8}}, "block row: dim applies to model rows only"},
		{"model emb mismatch", Row{Kind: KindModel, EMB: 4, Dim: &arch.Dim{EMB: 8, Head: []int{1}, QK: []int{1}, V: []int{1}, MLP: []int{1}}}, "emb 4 differs from dim.EMB 8"},
		{"model ragged dim", Row{Kind: KindModel, EMB: 8, Dim: &arch.Dim{EMB: 8, Head: []int{1}, QK: []int{1, 2}, V: []int{1}, MLP: []int{1}}}, "per-block lists differ in length"},
		{"model no blocks", Row{Kind: KindModel, EMB: 8, Dim: &arch.Dim{EMB: 8}}, "model row: dim has no blocks"},
		{"floors not increasing", Row{Kind: KindMLP, EMB: 8, MLP: 8, Floors: &Floors{Depths: [2]int{3, 3}, MS: [2]float64{1, 2}}}, "floors: depths must satisfy 0 <= low < high"},
		{"floors NaN", Row{Kind: KindMLP, EMB: 8, MLP: 8, Floors: &Floors{Depths: [2]int{1, 3}, MS: [2]float64{1, math.NaN()}}}, "floors: times must be non-negative numbers"},
		{"one pass", Row{Kind: KindMLP, EMB: 8, MLP: 8, PassesMS: []float64{1}}, "passes_ms must list at least two passes"},
		{"no passes", Row{Kind: KindMLP, EMB: 8, MLP: 8, PassesMS: []float64{}}, "passes_ms must list at least two passes"},
		{"negative pass", Row{Kind: KindMLP, EMB: 8, MLP: 8, PassesMS: []float64{1, -1}}, "passes_ms must be non-negative numbers"},
		{"NaN pass", Row{Kind: KindMLP, EMB: 8, MLP: 8, PassesMS: []float64{math.NaN(), 1}}, "passes_ms must be non-negative numbers"},
		{"bad pass beside good floors", Row{Kind: KindMLP, EMB: 8, MLP: 8, Floors: &Floors{Depths: [2]int{1, 3}, MS: [2]float64{1, 2}}, PassesMS: []float64{1}}, "passes_ms"},
		{"validation model", Row{Kind: KindModel, EMB: 8, Validation: true, Dim: &arch.Dim{EMB: 8, Head: []int{1}, QK: []int{1}, V: []int{1}, MLP: []int{1}}}, "model row: validation applies to rows a cost model fits"},
		{"model bad block", Row{Kind: KindModel, EMB: 8, Dim: &arch.Dim{EMB: 8, Head: []int{2}, QK: []int{0}, V: []int{1}, MLP: []int{1}}}, "model row: block 0: QK per head must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.row.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The bounds of CheckLatency: 1e7 ms, 1e17 MAC/s, and 0 only when noisy.
func TestRowCheckLatency(t *testing.T) {
	for _, r := range append(testRows(),
		Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1e7},
		Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1e-3, MACs: 1e11}, // 1e11 MACs in 1 µs: 1e17 MAC/s
		Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 0, Noisy: true, MACs: 1e11, Note: "clipped to 0"},
		Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1e-9}, // MACs unknown: no rate to judge
	) {
		if err := r.CheckLatency(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	for _, tc := range []struct {
		name string
		row  Row
		want string
	}{
		{"zero latency", Row{Kind: KindMLP, EMB: 8, MLP: 8, Samples: 5}, "median_ms is 0 in a row not flagged noisy"},
		{"absurd latency", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1e300}, "median_ms 1e+300 is not a plausible latency: above 1e+07 ms"},
		{"just above the bound", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1.0000001e7}, "above 1e+07 ms"},
		{"faster than any device", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1e-3, MACs: 2e11}, "2e+17 MAC/s, above 1e+17 MAC/s"},
		{"absurd pass", Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: 1, PassesMS: []float64{1, 1e300}}, "1e+300 is not a plausible latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.row.CheckLatency(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckLatency() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRowKey(t *testing.T) {
	rows := testRows()
	want := []string{
		"attn emb=64 heads=2 qk=16 v=16",
		"mlp emb=64 mlp=128",
		"block emb=64 heads=2 qk=16 v=16 mlp=0",
		"block emb=64 heads=0 qk=0 v=0 mlp=256",
		"rest emb=64",
		"model emb=64 heads=2,1 qk=16,8 v=16,8 mlp=128,0",
	}
	for i, r := range rows {
		if got := r.Key(); got != want[i] {
			t.Errorf("Key() = %q, want %q", got, want[i])
		}
	}
	// Measurements and labels are not part of the key.
	a, b := rows[1], rows[1]
	b.MedianMS, b.Note, b.Name = 9, "x", "y"
	if a.Key() != b.Key() {
		t.Errorf("keys differ by measurement: %q vs %q", a.Key(), b.Key())
	}
}

func TestWithCounts(t *testing.T) {
	h := testHeader()
	s := arch.Spec{Image: 32, Patch: 16, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: 64,
		Blocks: []arch.Block{{Heads: 2, QK: 16, V: 16, MLP: 128}, {Heads: 1, QK: 8, V: 8}}}
	rows := testRows()
	for _, tc := range []struct {
		row  Row
		want arch.Counts
	}{
		{rows[0], arch.AttentionCounts(64, 5, rows[0].Block())},
		{rows[1], arch.MLPCounts(64, 5, 128)},
		{rows[3], arch.MLPCounts(64, 5, 256)},
		{rows[4], s.RestCounts()},
		{rows[5], s.Counts()},
	} {
		got, err := h.WithCounts(tc.row)
		if err != nil {
			t.Fatalf("%s: %v", tc.row.Key(), err)
		}
		wantMACs := tc.want.MACs * 2
		wantBytes := tc.want.WeightBytes(4) + tc.want.ActivationBytes(4, 2)
		if got.MACs != wantMACs || got.Bytes != wantBytes {
			t.Errorf("%s: macs, bytes = %d, %d; want %d, %d", tc.row.Key(), got.MACs, got.Bytes, wantMACs, wantBytes)
		}
	}
	h.Patch = 0
	if _, err := h.WithCounts(rows[4]); err == nil || !strings.Contains(err.Error(), "header geometry") {
		t.Errorf("rest counts without a patch size: err = %v, want a header geometry error", err)
	}
	h = testHeader()
	h.DType = ""
	got, _ := h.WithCounts(rows[1])
	if got.Bytes != 0 || got.MACs == 0 {
		t.Errorf("unknown dtype: macs %d bytes %d, want bytes 0", got.MACs, got.Bytes)
	}
}
