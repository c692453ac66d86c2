package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

func exportCmd() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "convert a latency table to NViT's latency_head.json or CSV",
		Description: "nvit-lut writes NVlabs/NViT's exact schema (seconds per block, MLP_1 for no MLP) over the\n" +
			"table's own grid: its block rows, or attention + MLP rows added; it refuses when the table does\n" +
			"not cover every grid point. Example: nvitprof export --table h100.jsonl --format nvit-lut --out latency_head.json",
		Flags: append(tableFlags(),
			&cli.StringFlag{Name: "format", Usage: "output `FORMAT`: nvit-lut or csv"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE` (- for stdout)"},
		),
		Action: func(c *cli.Context) error {
			format, out := c.String("format"), c.String("out")
			if format != "nvit-lut" && format != "csv" {
				return usagef("--format must be nvit-lut or csv, got %q", format)
			}
			if out == "" {
				return usagef("--out FILE is required (- for stdout)")
			}
			lt, err := loadTable(c)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if format == "csv" {
				if err := costmodel.WriteCSV(&buf, lt.Rows); err != nil {
					return err
				}
			} else {
				l, err := lt.LUT(tableGrid(lt.Table))
				if err != nil {
					return err
				}
				if _, err := l.WriteTo(&buf); err != nil {
					return err
				}
			}
			if out == "-" {
				_, err := c.App.Writer.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			return nil
		},
	}
}

// tableGrid is the grid of a table's block rows, or of its attn rows × its
// mlp rows' widths plus "no MLP" when it has no block rows.
func tableGrid(t costmodel.Table) costmodel.LUTGrid {
	var g costmodel.LUTGrid
	add := func(axis *[]int, v int) {
		if !slices.Contains(*axis, v) {
			*axis = append(*axis, v)
		}
	}
	hasBlock := slices.ContainsFunc(t.Rows, func(r costmodel.Row) bool { return r.Kind == costmodel.KindBlock })
	for _, r := range t.Rows {
		switch {
		case hasBlock && r.Kind == costmodel.KindBlock, !hasBlock && r.Kind == costmodel.KindAttn:
			add(&g.EMB, r.EMB)
			add(&g.Heads, r.Heads)
			add(&g.QK, r.QK)
			add(&g.V, r.V)
			if hasBlock {
				add(&g.MLP, r.MLP)
			}
		case !hasBlock && r.Kind == costmodel.KindMLP:
			add(&g.MLP, r.MLP)
		}
	}
	if !hasBlock {
		g.MLP = append([]int{0}, g.MLP...)
	}
	for _, a := range []*[]int{&g.EMB, &g.Heads, &g.QK, &g.V, &g.MLP} {
		slices.Sort(*a)
	}
	return g
}
