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
	for _, r := range idx {
		if r.Kind == tablefmt.KindAttn || r.Kind == tablefmt.KindMLP {
			return t, false
		}
	}
	type mlpKey struct{ emb, mlp int }
	var attn []tablefmt.Row
	diffs := map[mlpKey][]float64{}
	var direct []tablefmt.Row
	var mlpOrder []mlpKey
	served := map[string]bool{} // blocks that give a sub-block
	for _, r := range t.Rows {
		if r.Kind != tablefmt.KindBlock || r.Validation || idx[r.Key()].MedianMS != r.MedianMS {
			continue // the last row of a configuration counts, as in Fit
		}
		switch {
		case r.Heads > 0 && r.MLP == 0:
			a := tablefmt.Row{Kind: tablefmt.KindAttn, EMB: r.EMB, Heads: r.Heads, QK: r.QK, V: r.V,
				MedianMS: r.MedianMS, SpreadMS: r.SpreadMS, Samples: r.Samples, Noisy: r.Noisy}
			attn = append(attn, a)
			served[r.Key()] = true
		case r.Heads == 0:
			served[r.Key()] = true
			direct = append(direct, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: r.EMB, MLP: r.MLP,
				MedianMS: r.MedianMS, SpreadMS: r.SpreadMS, Samples: r.Samples, Noisy: r.Noisy})
		default:
			base := r
			base.MLP = 0
			b, ok := idx[base.Key()]
			if !ok || b.Validation {
				continue
			}
			k := mlpKey{r.EMB, r.MLP}
			if _, seen := diffs[k]; !seen {
				mlpOrder = append(mlpOrder, k)
			}
			diffs[k] = append(diffs[k], r.MedianMS-b.MedianMS)
			served[r.Key()] = true
		}
	}
	derived := append(attn, direct...)
	have := map[mlpKey]bool{}
	for _, r := range direct {
		have[mlpKey{r.EMB, r.MLP}] = true
	}
	for _, k := range mlpOrder {
		if have[k] {
			continue
		}
		d := slices.Clone(diffs[k])
		slices.Sort(d)
		if ms := median(d); ms > 0 {
			derived = append(derived, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: k.emb, MLP: k.mlp, MedianMS: ms,
				Note: fmt.Sprintf("block − block without MLP, median of %d", len(d))})
		}
	}
	if len(derived) == 0 {
		return t, false
	}
	slices.SortStableFunc(derived, func(a, b tablefmt.Row) int { return cmp.Compare(a.Kind, b.Kind) })
	kept := slices.DeleteFunc(slices.Clone(t.Rows), func(r tablefmt.Row) bool { return served[r.Key()] && !r.Validation })
	out := tablefmt.Table{Header: t.Header, Rows: append(derived, kept...)}
	out.Header.Notes = append(slices.Clone(t.Header.Notes), DecomposedNote)
	return out, true
}

// FitDecomposed fits a model to t after Decompose: for a table of whole
// blocks, a model of attention + MLP rather than of blocks. A table that
// Decompose leaves as it is fits as Fit fits it.
func FitDecomposed(t tablefmt.Table, opt FitOptions) (*Model, error) {
	d, _ := Decompose(t)
	return Fit(d, opt)
}
