package tablefmt

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
)

// ParseFormat checks a format's name: jsonl, csv or nvit-lut.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatJSONL, FormatCSV, FormatNViTLUT:
		return f, nil
	}
	return "", fmt.Errorf("tablefmt: unknown table format %q (want jsonl, csv or nvit-lut)", s)
}

// Export writes t in format f: JSON Lines (WriteJSONL), CSV (WriteCSV, rows
// only) or NViT's latency_head.json over the grid t measured (t.LUT of
// t.LUTGrid), which it refuses when t does not cover that grid (or has no
// rows a block can come from). Output may
// be partial on error: write to a buffer when that matters.
func (t Table) Export(w io.Writer, f Format) error {
	switch f {
	case FormatJSONL:
		return t.WriteJSONL(w)
	case FormatCSV:
		return WriteCSV(w, t.Rows)
	case FormatNViTLUT:
		g := t.LUTGrid()
		if len(g.EMB) == 0 {
			return errors.New("tablefmt: table to NViT LUT: the table has no attn rows and no block rows, and NViT's table is of whole blocks")
		}
		l, err := t.LUT(g)
		if err != nil {
			return err
		}
		_, err = l.WriteTo(w)
		return err
	}
	return fmt.Errorf("tablefmt: export: unknown table format %q", f)
}

// LUTGrid is the grid t measured, sorted. A decomposed table (see Blocks)
// measured its attn rows' axes × its mlp rows' widths plus "no MLP"; any
// other table its block rows' axes. A decomposed table's few validation
// blocks are not its grid, and rows marked validation are no table's.
func (t Table) LUTGrid() LUTGrid {
	var g LUTGrid
	add := func(axis *[]int, v int) {
		if !slices.Contains(*axis, v) {
			*axis = append(*axis, v)
		}
	}
	decomposed := t.Blocks().Decomposed()
	for _, r := range t.Rows {
		if r.Validation {
			continue
		}
		switch {
		case decomposed && r.Kind == KindAttn, !decomposed && r.Kind == KindBlock:
			add(&g.EMB, r.EMB)
			add(&g.Heads, r.Heads)
			add(&g.QK, r.QK)
			add(&g.V, r.V)
			if !decomposed {
				add(&g.MLP, r.MLP)
			}
		case decomposed && r.Kind == KindMLP:
			add(&g.MLP, r.MLP)
		}
	}
	if decomposed {
		g.MLP = append([]int{0}, g.MLP...)
	}
	for _, a := range []*[]int{&g.EMB, &g.Heads, &g.QK, &g.V, &g.MLP} {
		slices.Sort(*a)
	}
	return g
}

// WriteFile writes t as a new JSON Lines file at path, which must not exist
// (an error wrapping fs.ErrExist), atomically: the file appears complete or
// not at all, even if the process is killed while writing it.
func (t Table) WriteFile(path string) error {
	var writeErr error
	err := atomicfile.WriteNew(path, func(w io.Writer) error {
		writeErr = t.WriteJSONL(w)
		return writeErr
	})
	if err != nil && writeErr == nil {
		return fmt.Errorf("tablefmt: %w", err)
	}
	return err
}
