package costmodel

import (
	"math"
	"slices"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// smallDecomposed is a decomposed table with attention over heads 1..4 and
// MLP over 128..512 at EMB 64 and 128, latencies proportional to the
// widths.
func smallDecomposed() tablefmt.Table {
	t := tablefmt.Table{Header: testHeader()}
	for _, e := range []int{64, 128} {
		for h := 1; h <= 4; h++ {
			t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: h, QK: 16, V: 16, MedianMS: 0.1 * float64(h*e) / 64})
		}
		for m := 128; m <= 512; m += 128 {
			t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: 0.2 * float64(m*e) / 8192})
		}
	}
	return t
}

// Fit leaves validation rows out: a table with one, however wrong, predicts
// as the table without it, and says it fitted one row fewer.
func TestFitLeavesValidationRowsOut(t *testing.T) {
	base := smallDecomposed()
	withVal := base
	withVal.Rows = append(slices.Clone(base.Rows), tablefmt.Row{Kind: tablefmt.KindAttn, EMB: 96, Heads: 3, QK: 16, V: 16, MedianMS: 99, Validation: true})
	a, b := mustFit(t, base, ModelHW), mustFit(t, withVal, ModelHW)
	for _, blk := range []arch.Block{{Heads: 3, QK: 16, V: 16}, {Heads: 2, QK: 16, V: 16, MLP: 256}} {
		for _, e := range []int{64, 96, 128} {
			pa, err1 := a.BlockMS(e, 5, blk)
			pb, err2 := b.BlockMS(e, 5, blk)
			if err1 != nil || err2 != nil || pa != pb {
				t.Errorf("emb %d %+v: %v (%v) without the validation row, %v (%v) with", e, blk, pa, err1, pb, err2)
			}
		}
	}
	if a.Source().Rows != b.Source().Rows || a.Source().SHA256 == b.Source().SHA256 {
		t.Errorf("sources %+v and %+v: want the same rows fitted from tables that differ", a.Source(), b.Source())
	}
}

// Eval cross-validates the fitted rows and reports the validation rows in
// groups of their own, predicted by the model fitted to the rest.
func TestEvalReportsValidationRows(t *testing.T) {
	tab := smallDecomposed()
	val := []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 96, Heads: 2, QK: 16, V: 16, MedianMS: 0.3, Validation: true},          // predicted 0.3: linear in EMB
		{Kind: tablefmt.KindMLP, EMB: 96, MLP: 256, MedianMS: 0.6 * 1.2, Validation: true},                    // predicted 0.6: off by 20%/1.2
		{Kind: tablefmt.KindMLP, EMB: 64, MLP: 384, MedianMS: 0.2 * 384 * 64 / 8192 * 1.04, Validation: true}, // on a node: off by 4%/1.04
	}
	tab.Rows = append(tab.Rows, val...)
	ev, err := Eval(tab, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range ev.Groups {
		got = append(got, string(g.Kind)+" "+g.How)
		if g.How == "k-fold" && g.Rows != 8 {
			t.Errorf("%s k-fold over %d rows, want the 8 fitted", g.Kind, g.Rows)
		}
		if g.How == HowValidation && g.Kind == tablefmt.KindMLP && (g.N != 2 || float64(g.Within5) != 50 || math.Abs(float64(g.MaxAPE)-100*(1-1/1.2)) > 1e-6) {
			t.Errorf("mlp validation %+v: want 2 predictions, one within 5%%, the worst 16.7%% off", g.Metrics)
		}
	}
	if want := []string{"attn k-fold", "mlp k-fold", "attn validation", "mlp validation"}; !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
}

// A table whose header says its blocks were sampled to be decomposed is
// fitted as attention + MLP; the same rows without the record, as blocks.
func TestFitDecomposesSampledBlocks(t *testing.T) {
	tab := tablefmt.Table{Header: testHeader(), Rows: []tablefmt.Row{
		blockRow(64, 1, 16, 16, 0, 1), blockRow(64, 2, 16, 16, 0, 1.5), blockRow(64, 2, 16, 16, 128, 2.5), blockRow(64, 2, 16, 16, 256, 3.5),
	}}
	if got := mustFit(t, tab, ModelHW).Components(); !slices.Equal(got, []tablefmt.Kind{tablefmt.KindBlock}) {
		t.Errorf("components %v, want block", got)
	}
	tab.Header.Sampling = &tablefmt.Sampling{Strategy: tablefmt.SamplingAdaptive, Share: 0.95, Decompose: true}
	m := mustFit(t, tab, ModelHW)
	if got := m.Components(); !slices.Equal(got, []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP}) {
		t.Errorf("components %v, want attn and mlp", got)
	}
	// 1 head without MLP (1 ms) + MLP 256 (3.5 − 1.5 ms): a block never measured.
	if p, err := m.BlockMS(64, 5, arch.Block{Heads: 1, QK: 16, V: 16, MLP: 256}); err != nil || math.Abs(p-3) > 1e-9 {
		t.Errorf("BlockMS = %v, %v; want 3 ms", p, err)
	}
	if m.Source().Header.Sampling == nil || m.Source().Rows != 4 {
		t.Errorf("source %+v: want the table as read", m.Source())
	}
}

// RowMS predicts a row of every kind as the matching query does.
func TestRowMS(t *testing.T) {
	tab := tablefmt.Table{Header: testHeader(), Rows: testRows()}
	tab.Rows = slices.DeleteFunc(tab.Rows, func(r tablefmt.Row) bool { return r.Kind == tablefmt.KindBlock })
	m := mustFit(t, tab, ModelHW)
	for _, r := range tab.Rows {
		got, err := m.RowMS(r)
		var want float64
		var werr error
		switch r.Kind {
		case tablefmt.KindRest:
			s, _ := tab.Header.ModelSpec(tablefmt.Row{Kind: tablefmt.KindModel, EMB: 64, Dim: &arch.Dim{EMB: 64, Head: []int{1}, QK: []int{1}, V: []int{1}, MLP: []int{1}}})
			want, _, werr = m.RestMS(s)
		case tablefmt.KindModel:
			s, _ := tab.Header.ModelSpec(r)
			var p Prediction
			p, werr = m.Latency(s)
			want = p.TotalMS
		default:
			want, werr = m.BlockMS(r.EMB, 5, r.Block())
		}
		if err != nil || werr != nil || got != want {
			t.Errorf("%s: RowMS %v (%v), want %v (%v)", r.Key(), got, err, want, werr)
		}
	}
	if _, err := m.RowMS(tablefmt.Row{Kind: tablefmt.KindRest, EMB: 64}); err != nil {
		t.Error(err)
	}
	noRest := mustFit(t, tablefmt.Table{Header: testHeader(), Rows: tab.Rows[:2]}, ModelHW)
	if _, err := noRest.RowMS(tablefmt.Row{Kind: tablefmt.KindRest, EMB: 64}); err == nil {
		t.Error("a table without rest rows predicted the rest")
	}
}
