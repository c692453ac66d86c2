package tablefmt

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// NViTV100Header describes NViT's released latency_head.json as far as it is
// known: a V100, PyTorch, DeiT-B-distilled geometry (224² images, 16² patches,
// 198 tokens, 1000 classes), batch 256 inferred, dtype unknown.
func NViTV100Header() Header {
	return Header{
		Version:    FormatVersion,
		DeviceKind: "cuda",
		DeviceName: "Tesla V100",
		Runtime:    "pytorch",
		Batch:      256,
		Tokens:     198,
		Image:      224, Patch: 16, Channels: 3, Classes: 1000,
		Method: Method{Name: "nvit-lut"},
		Source: "NVlabs/NViT latency_head.json",
		Notes: []string{
			"seconds per full block in the source, here ms",
			"batch 256 inferred, dtype unknown",
			"MLP_1 in the source is a block without MLP: mlp 0 here",
		},
	}
}

// Table converts l to a table of block rows under header h (see
// NViTV100Header for NViT's own file): one row per entry, the latency in ms,
// no sample count or spread. MACs and bytes are filled in when h gives tokens.
func (l LUT) Table(h Header) (Table, error) {
	if h.Version == 0 {
		h.Version = FormatVersion
	}
	if err := h.Validate(); err != nil {
		return Table{}, fmt.Errorf("tablefmt: NViT LUT to table: header: %w", err)
	}
	t := Table{Header: h, Rows: make([]Row, 0, len(l.Entries))}
	for _, e := range l.Entries {
		r := Row{Kind: KindBlock, EMB: e.EMB, Heads: e.Block.Heads, QK: e.Block.QK, V: e.Block.V,
			MLP: e.Block.MLP, MedianMS: e.Seconds * 1e3}
		if err := r.Validate(); err != nil {
			return Table{}, fmt.Errorf("tablefmt: NViT LUT to table: %s: %w", e.Path(), err)
		}
		if h.Tokens > 0 {
			var err error
			if r, err = h.WithCounts(r); err != nil {
				return Table{}, fmt.Errorf("tablefmt: NViT LUT to table: %w", err)
			}
		}
		if err := r.CheckLatency(); err != nil {
			return Table{}, fmt.Errorf("tablefmt: NViT LUT to table: %s: %w", e.Path(), err)
		}
		t.Rows = append(t.Rows, r)
	}
	return t, nil
}

// LUTGrid is the set of configurations of a LUT: every combination of its
// axes. MLP 0 is a block without MLP (NViT's MLP_1).
type LUTGrid struct {
	EMB, Heads, QK, V, MLP []int
}

// NViTGrid is the grid of NViT's released table: EMB {256, 512, 768} × heads
// {1, 3, 6, 9, 12} × QK, V {1, 16, 32, 48, 64} × MLP {none, 128, ..., 3072}.
func NViTGrid() LUTGrid {
	g := LUTGrid{EMB: []int{256, 512, 768}, Heads: []int{1, 3, 6, 9, 12},
		QK: []int{1, 16, 32, 48, 64}, V: []int{1, 16, 32, 48, 64}}
	for m := 0; m <= 3072; m += 128 {
		g.MLP = append(g.MLP, m)
	}
	return g
}

// Size is the number of configurations in g.
func (g LUTGrid) Size() int { return len(g.EMB) * len(g.Heads) * len(g.QK) * len(g.V) * len(g.MLP) }

// Grid returns the axes of l (values in order of first appearance) and
// whether l holds exactly every configuration of that grid.
func (l LUT) Grid() (LUTGrid, bool) {
	var g LUTGrid
	seen := map[LUTEntry]bool{}
	add := func(axis *[]int, v int) {
		if !slices.Contains(*axis, v) {
			*axis = append(*axis, v)
		}
	}
	for _, e := range l.Entries {
		add(&g.EMB, e.EMB)
		add(&g.Heads, e.Block.Heads)
		add(&g.QK, e.Block.QK)
		add(&g.V, e.Block.V)
		add(&g.MLP, e.Block.MLP)
		e.Seconds = 0
		seen[e] = true
	}
	return g, len(seen) == len(l.Entries) && len(seen) == g.Size()
}

// LUT converts t to NViT's table over grid g, in seconds per block, in the
// grid's order (EMB, heads, QK, V, MLP, the last varying fastest). Each
// value follows the rule of Blocks, which the cost model's predictions
// follow too: a decomposed table gives a block as its attn row plus
// (unless MLP is 0) its mlp row, and never uses its block rows, which
// validate additivity; a table of whole blocks (NViT's) gives its block
// rows. It refuses, naming missing rows, when the table does not cover the
// grid.
func (t Table) LUT(g LUTGrid) (LUT, error) {
	for _, axis := range []struct {
		name string
		v    []int
	}{{"EMB", g.EMB}, {"heads", g.Heads}, {"QK", g.QK}, {"V", g.V}, {"MLP", g.MLP}} {
		if len(axis.v) == 0 {
			return LUT{}, fmt.Errorf("tablefmt: table to NViT LUT: the grid has no %s values", axis.name)
		}
	}
	blocks := t.Blocks()
	l := LUT{Entries: make([]LUTEntry, 0, g.Size())}
	var missing []string
	nMissing := 0
	for e := range g.Entries() {
		if err := lutEntryDims(e); err != nil {
			return LUT{}, fmt.Errorf("tablefmt: table to NViT LUT: %w", err)
		}
		ms, need := blocks.MS(e.EMB, e.Block)
		if len(need) > 0 {
			nMissing++
			if len(missing) < 3 {
				missing = append(missing, fmt.Sprintf("%s (needs %s)", e.Path(), strings.Join(need, " + ")))
			}
			continue
		}
		e.Seconds = ms / 1e3
		l.Entries = append(l.Entries, e)
	}
	if nMissing > 0 {
		what := "the attn or mlp rows that add up to them (the table is decomposed)"
		if !blocks.Decomposed() {
			what = "a block row"
		}
		return LUT{}, fmt.Errorf("tablefmt: table to NViT LUT: %d of %d grid points lack %s, e.g. %s",
			nMissing, g.Size(), what, strings.Join(missing, "; "))
	}
	return l, nil
}

// Entries yields the configurations of g in NViT's order (EMB, heads, QK,
// V, MLP, the last varying fastest), with no latency.
func (g LUTGrid) Entries() iter.Seq[LUTEntry] {
	return func(yield func(LUTEntry) bool) {
		for _, emb := range g.EMB {
			for _, h := range g.Heads {
				for _, qk := range g.QK {
					for _, v := range g.V {
						for _, m := range g.MLP {
							if !yield(LUTEntry{EMB: emb, Block: arch.Block{Heads: h, QK: qk, V: v, MLP: m}}) {
								return
							}
						}
					}
				}
			}
		}
	}
}
