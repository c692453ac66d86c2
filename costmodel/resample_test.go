package costmodel

import (
	"errors"
	"math"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// resampleTable is decomposed: attention 1 ms per head at (64, 1|2, 8, 8),
// MLP 32 at 2 ms, and a validation block that is not used.
func resampleTable() tablefmt.Table {
	return tablefmt.Table{Header: testHeader(), Rows: []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 64, Heads: 1, QK: 8, V: 8, MedianMS: 1},
		{Kind: tablefmt.KindAttn, EMB: 64, Heads: 2, QK: 8, V: 8, MedianMS: 2},
		{Kind: tablefmt.KindMLP, EMB: 64, MLP: 32, MedianMS: 2},
		{Kind: tablefmt.KindBlock, EMB: 64, Heads: 2, QK: 8, V: 8, MLP: 32, MedianMS: 9},
	}}
}

// Onto a grid with MLP 16 besides the table's 0 and 32: the four entries
// the table has are measured (attention + MLP, not the validation block's
// 9 ms), the two at MLP 16 predicted by nvit-interp halfway toward the
// block without MLP (hand-computed: attention + 1 ms).
func TestResampleCounts(t *testing.T) {
	tab := resampleTable()
	m := mustFit(t, tab, ModelNViTInterp)
	g := tablefmt.LUTGrid{EMB: []int{64}, Heads: []int{1, 2}, QK: []int{8}, V: []int{8}, MLP: []int{0, 16, 32}}
	r, err := Resample(m, tab, g)
	if err != nil {
		t.Fatal(err)
	}
	if r.Measured != 4 || r.Predicted != 2 {
		t.Errorf("%d measured, %d predicted; want 4 and 2", r.Measured, r.Predicted)
	}
	want := []float64{1, 2, 3, 2, 3, 4} // ms: heads 1 then 2, MLP 0, 16, 32
	if len(r.LUT.Entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(r.LUT.Entries), len(want))
	}
	for i, e := range r.LUT.Entries {
		if math.Abs(e.Seconds*1e3-want[i]) > 1e-12 {
			t.Errorf("%s: %v ms, want %v", e.Path(), e.Seconds*1e3, want[i])
		}
	}
}

// An entry the model refuses (heads 4, beyond nvit-interp's grid of 1..2)
// fails the whole resample, naming the first and counting them.
func TestResampleRefusal(t *testing.T) {
	tab := resampleTable()
	m := mustFit(t, tab, ModelNViTInterp)
	g := tablefmt.LUTGrid{EMB: []int{64}, Heads: []int{1, 4}, QK: []int{8}, V: []int{8}, MLP: []int{0, 32}}
	_, err := Resample(m, tab, g)
	var re *ResampleError
	if !errors.As(err, &re) {
		t.Fatalf("err %v, want a *ResampleError", err)
	}
	first := tablefmt.LUTEntry{EMB: 64, Block: arch.Block{Heads: 4, QK: 8, V: 8}}
	if re.Refused != 2 || re.Total != 4 || re.First != first || re.Kind != ModelNViTInterp {
		t.Errorf("refused %d of %d, first %+v, kind %s; want 2 of 4, %+v, nvit-interp", re.Refused, re.Total, re.First, re.Kind, first)
	}
	want := "costmodel: resample: the nvit-interp model refuses 2 of the grid's 4 entries, first EMB_64 → QK_4_8 → V_8 → MLP_1: " +
		"attn emb=64 heads=4 qk=8 v=8: heads 4 is outside [1, 2]: the nvit-interp model interpolates within the table's grid " +
		"(emb 64..64, heads 1..2, qk 8..8, v 8..8; EMB also down to 0, NViT's zero plane) and refuses anything outside, as NViT's pruner does"
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
}
