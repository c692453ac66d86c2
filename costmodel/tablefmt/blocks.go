package tablefmt

import "github.com/nvitprof/nvitprof/arch"

// Blocks gives the latency of whole blocks from a table's rows, by the one
// rule that the NViT export (Table.LUT) and the cost model
// (costmodel.Model.BlockMS) share:
//
//   - a decomposed table, one with attn rows and either mlp rows or no
//     block rows, gives a block as its attn row plus, when the block has an
//     MLP, its mlp row. Its block rows are the few validation blocks a
//     decomposed sweep measures to check that attention and MLP add up, and
//     are not used, even at the configurations they measured;
//   - any other table gives a block from its block row (whole-block tables,
//     such as NViT's latency_head.json).
//
// Rows marked validation (Row.Validation: measured to check a model, never
// fitted) are not used, and of several rows of one configuration the last
// counts, as in the cost model's Fit.
type Blocks struct {
	idx        map[string]Row
	decomposed bool
}

// Blocks indexes t's rows for block lookups (see Blocks).
func (t Table) Blocks() Blocks {
	b := Blocks{idx: make(map[string]Row, len(t.Rows))}
	var attn, mlp, block bool
	for _, r := range t.Rows {
		if r.Validation {
			continue
		}
		b.idx[r.Key()] = r
		switch r.Kind {
		case KindAttn:
			attn = true
		case KindMLP:
			mlp = true
		case KindBlock:
			block = true
		}
	}
	b.decomposed = attn && (mlp || !block)
	return b
}

// Decomposed reports whether the table gives blocks as attention + MLP.
func (b Blocks) Decomposed() bool { return b.decomposed }

// MS is the latency in milliseconds of a block of width emb, or, when the
// table lacks rows it needs, the keys of those rows (Row.Key).
func (b Blocks) MS(emb int, blk arch.Block) (ms float64, missing []string) {
	get := func(r Row) float64 {
		got, ok := b.idx[r.Key()]
		if !ok {
			missing = append(missing, r.Key())
		}
		return got.MedianMS
	}
	if !b.decomposed {
		ms = get(Row{Kind: KindBlock, EMB: emb, Heads: blk.Heads, QK: blk.QK, V: blk.V, MLP: blk.MLP})
		return ms, missing
	}
	if blk.Heads > 0 {
		ms += get(Row{Kind: KindAttn, EMB: emb, Heads: blk.Heads, QK: blk.QK, V: blk.V})
	}
	if blk.MLP > 0 {
		ms += get(Row{Kind: KindMLP, EMB: emb, MLP: blk.MLP})
	}
	return ms, missing
}
