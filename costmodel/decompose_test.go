package costmodel

import (
	"math"
	"slices"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func blockRow(emb, heads, qk, v, mlp int, ms float64) tablefmt.Row {
	return tablefmt.Row{Kind: tablefmt.KindBlock, EMB: emb, Heads: heads, QK: qk, V: v, MLP: mlp, MedianMS: ms}
}

// Blocks without MLP become attention; blocks with MLP at an attention
// measured without give the MLP by difference, the median over such
// attentions; validation rows give nothing.
func TestDecomposeByHand(t *testing.T) {
	val := blockRow(64, 1, 8, 8, 256, 5.0)
	val.Validation = true
	in := tablefmt.Table{Header: testHeader(), Rows: []tablefmt.Row{
		blockRow(64, 2, 16, 16, 0, 1.0), blockRow(64, 4, 16, 16, 0, 1.5), blockRow(64, 1, 8, 8, 0, 0.7),
		blockRow(64, 2, 16, 16, 128, 1.4), blockRow(64, 4, 16, 16, 128, 2.0), blockRow(64, 1, 8, 8, 128, 1.2), // +0.4, +0.5, +0.5
		blockRow(64, 2, 16, 16, 256, 1.9), // +0.9
		blockRow(64, 4, 16, 16, 64, 1.4),  // −0.1: no row
		blockRow(64, 8, 16, 16, 128, 3.0), // no block without MLP at 8 heads: kept
		val,                               // would make 256 the median of +0.9 and +4.3
		blockRow(64, 0, 0, 0, 384, 0.8),   // MLP alone
		{Kind: tablefmt.KindRest, EMB: 64, MedianMS: 2},
	}}
	out, ok := Decompose(in)
	if !ok {
		t.Fatal("nothing derived")
	}
	want := map[string]float64{
		"attn emb=64 heads=2 qk=16 v=16": 1.0, "attn emb=64 heads=4 qk=16 v=16": 1.5, "attn emb=64 heads=1 qk=8 v=8": 0.7,
		"mlp emb=64 mlp=128": 0.5, "mlp emb=64 mlp=256": 0.9, "mlp emb=64 mlp=384": 0.8,
		"block emb=64 heads=8 qk=16 v=16 mlp=128": 3.0, "block emb=64 heads=1 qk=8 v=8 mlp=256": 5.0, "rest emb=64": 2,
	}
	got := out.Index()
	if len(got) != len(want) {
		t.Errorf("%d configurations, want %d: %v", len(got), len(want), slices.Sorted(mapKeys(got)))
	}
	for k, ms := range want {
		if r, ok := got[k]; !ok || math.Abs(r.MedianMS-ms) > 1e-12 {
			t.Errorf("%s: %v (%v), want %v ms", k, r.MedianMS, ok, ms)
		}
	}
	if !got["block emb=64 heads=1 qk=8 v=8 mlp=256"].Validation {
		t.Error("the validation row lost its mark")
	}
	if !slices.Contains(out.Header.Notes, DecomposedNote) || slices.Contains(in.Header.Notes, DecomposedNote) {
		t.Errorf("notes %q", out.Header.Notes)
	}
	// A table that has sub-blocks is left alone.
	if same, ok := Decompose(tablefmt.Table{Header: testHeader(), Rows: testRows()}); ok || len(same.Rows) != len(testRows()) {
		t.Errorf("a decomposed table was decomposed again: %v", ok)
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// The synthetic table's blocks at heads, QK and V 1/6/12, 1/32/64, 1/32/64
// without MLP, and every other MLP width at 6 heads of 32/32 (120 of 9,375
// blocks) fit a model of attention + MLP that predicts every block within
// 5% but a handful, the worst within 10%; the blocks alone, fitted as
// blocks, do not.
func TestFitDecomposedFromACross(t *testing.T) {
	all := synthTable(t)
	var cross tablefmt.Table
	cross.Header = all.Header
	for _, r := range all.Rows {
		b := r.Block()
		attn := r.MLP == 0 && slices.Contains([]int{1, 6, 12}, b.Heads) && slices.Contains([]int{1, 32, 64}, b.QK) && slices.Contains([]int{1, 32, 64}, b.V)
		onRef := b.Heads == 6 && b.QK == 32 && b.V == 32
		mlp := onRef && r.MLP > 0 && ((r.MLP-128)%256 == 0 || r.MLP == 3072)
		if attn || mlp {
			cross.Rows = append(cross.Rows, r)
		}
	}
	if len(cross.Rows) != 81+39 {
		t.Fatalf("%d rows in the cross", len(cross.Rows))
	}
	within := func(m *Model) (float64, float64) {
		var in5 int
		worst := 0.0
		for _, r := range all.Rows {
			p, err := m.BlockMS(r.EMB, 198, r.Block())
			if err != nil {
				t.Fatal(err)
			}
			e := math.Abs(p/synthMS(r.EMB, r.Block()) - 1)
			worst = max(worst, e)
			if e <= 0.05 {
				in5++
			}
		}
		return 100 * float64(in5) / float64(len(all.Rows)), 100 * worst
	}
	m, err := FitDecomposed(cross, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Components(), []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP}) {
		t.Errorf("components %v", m.Components())
	}
	if w5, worst := within(m); w5 < 99.5 || worst > 10 {
		t.Errorf("decomposed: %.2f%% within 5%%, worst %.1f%%; want ≥ 99.5%% and ≤ 10%%", w5, worst)
	}
	if w5, _ := within(mustFit(t, cross, ModelHW)); w5 > 90 { // 42% here
		t.Errorf("as blocks: %.2f%% within 5%%: the cross should not fit a grid of five dimensions", w5)
	}
}
