package costmodel

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// DecomposedNote is the header note of a table Decompose derived sub-blocks
// for.
const DecomposedNote = "attn and mlp rows derived from whole blocks (costmodel.Decompose): attn = block without MLP; mlp = block − the same attention without MLP, median over the attention configurations measured both ways"

// Decompose derives attention and MLP rows from a table's whole blocks, so
// that a table of blocks only (NViT's latency_head.json, an adaptive sweep
// of blocks) fits the model a decomposed sweep fits: attention over (EMB,
// heads, QK, V) plus MLP over (EMB, MLP), each a grid of a few dimensions,
// instead of one grid over all five. A sparse set of blocks fills a
// five-dimensional grid poorly; the same blocks arranged as a cross
// (attention configurations without MLP, MLP widths at a few attention
// configurations) determine both sub-block grids.
//
// A block with heads and no MLP becomes an attn row; a block with MLP and
// no heads an mlp row. A block with both, at an attention configuration
// whose block without MLP the table also has, gives the MLP's latency by
// difference; each MLP width takes the median of its differences over such
// configurations. A width whose differences are not positive (noise larger
// than the MLP) gets no row. The blocks that gave a sub-block are replaced
// by it; other blocks (BlockMS then predicts them from the sub-blocks, and
// Eval checks them as rows never fitted), rest and model rows are kept.
// Validation rows (tablefmt.Row.Validation) never give a sub-block.
//
// Decompose returns t unchanged (and false) when it has attn or mlp rows
// already or derives none.
func Decompose(t tablefmt.Table) (tablefmt.Table, bool) {
	idx := t.Index()
	d := decomposer{idx: idx, diffs: map[mlpPoint][]float64{}, served: map[string]bool{}}
	seen := map[string]bool{}
	for _, r := range t.Rows {
		if r.Kind == tablefmt.KindAttn || r.Kind == tablefmt.KindMLP {
			return t, false
		}
		if k := r.Key(); !seen[k] {
			seen[k] = true
			d.add(idx[k]) // the last row of a configuration counts, as in Fit
		}
	}
	derived := append(d.attn, d.mlpRows()...)
	if len(derived) == 0 {
		return t, false
	}
	slices.SortStableFunc(derived, func(a, b tablefmt.Row) int { return cmp.Compare(a.Kind, b.Kind) })
	kept := slices.DeleteFunc(slices.Clone(t.Rows), func(r tablefmt.Row) bool { return d.served[r.Key()] && !r.Validation })
	out := tablefmt.Table{Header: t.Header, Rows: append(derived, kept...)}
	out.Header.Notes = append(slices.Clone(t.Header.Notes), DecomposedNote)
	return out, true
}

// decomposer gathers what a table's blocks say of their sub-blocks.
type decomposer struct {
	idx    map[string]tablefmt.Row
	attn   []tablefmt.Row         // attention rows, from blocks without MLP
	direct []tablefmt.Row         // MLP rows, from blocks without heads
	diffs  map[mlpPoint][]float64 // per MLP width, block − block without MLP
	order  []mlpPoint             // MLP widths in order of first appearance
	served map[string]bool        // blocks that give a sub-block
}

type mlpPoint struct{ emb, mlp int }

// add takes one block row (other rows and validation rows give nothing).
func (d *decomposer) add(r tablefmt.Row) {
	if r.Kind != tablefmt.KindBlock || r.Validation {
		return
	}
	measured := tablefmt.Row{MedianMS: r.MedianMS, SpreadMS: r.SpreadMS, Samples: r.Samples, Noisy: r.Noisy}
	switch {
	case r.Heads > 0 && r.MLP == 0:
		a := measured
		a.Kind, a.EMB, a.Heads, a.QK, a.V = tablefmt.KindAttn, r.EMB, r.Heads, r.QK, r.V
		d.attn = append(d.attn, a)
	case r.Heads == 0:
		m := measured
		m.Kind, m.EMB, m.MLP = tablefmt.KindMLP, r.EMB, r.MLP
		d.direct = append(d.direct, m)
	default:
		base := r
		base.MLP = 0
		b, ok := d.idx[base.Key()]
		if !ok || b.Validation {
			return
		}
		k := mlpPoint{r.EMB, r.MLP}
		if _, seen := d.diffs[k]; !seen {
			d.order = append(d.order, k)
		}
		d.diffs[k] = append(d.diffs[k], r.MedianMS-b.MedianMS)
	}
	d.served[r.Key()] = true
}

// mlpRows are the MLP rows: blocks without heads as they are, the others
// the median of their differences, where it is positive.
func (d *decomposer) mlpRows() []tablefmt.Row {
	out := slices.Clone(d.direct)
	have := map[mlpPoint]bool{}
	for _, r := range d.direct {
		have[mlpPoint{r.EMB, r.MLP}] = true
	}
	for _, k := range d.order {
		if have[k] {
			continue
		}
		diffs := slices.Clone(d.diffs[k])
		if ms := median(diffs); ms > 0 {
			out = append(out, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: k.emb, MLP: k.mlp, MedianMS: ms,
				Note: fmt.Sprintf("block − block without MLP, median of %d", len(diffs))})
		}
	}
	return out
}

// FitDecomposed fits a model to t after Decompose: for a table of whole
// blocks, a model of attention + MLP rather than of blocks. A table that
// Decompose leaves as it is fits as Fit fits it.
func FitDecomposed(t tablefmt.Table, opt FitOptions) (*Model, error) {
	d, _ := Decompose(t)
	return Fit(d, opt)
}
