package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

func exportCmd() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "convert a latency table to NViT's latency_head.json or CSV",
		Description: "nvit-lut writes NVlabs/NViT's exact schema (seconds per block, MLP_1 for no MLP) over the\n" +
			"table's own grid: attention + MLP rows added, or its block rows if it has no attention rows; it refuses when the table does\n" +
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
				if err := tablefmt.WriteCSV(&buf, lt.Rows); err != nil {
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

// tableGrid is the grid a table measured: its attn rows × its mlp rows'
// widths plus "no MLP" when it was measured decomposed, else its block rows.
// A decomposed table's few validation blocks are not its grid.
func tableGrid(t tablefmt.Table) tablefmt.LUTGrid {
	var g tablefmt.LUTGrid
	add := func(axis *[]int, v int) {
		if !slices.Contains(*axis, v) {
			*axis = append(*axis, v)
		}
	}
	decomposed := slices.ContainsFunc(t.Rows, func(r tablefmt.Row) bool { return r.Kind == tablefmt.KindAttn })
	for _, r := range t.Rows {
		switch {
		case decomposed && r.Kind == tablefmt.KindAttn, !decomposed && r.Kind == tablefmt.KindBlock:
			add(&g.EMB, r.EMB)
			add(&g.Heads, r.Heads)
			add(&g.QK, r.QK)
			add(&g.V, r.V)
			if !decomposed {
				add(&g.MLP, r.MLP)
			}
		case decomposed && r.Kind == tablefmt.KindMLP:
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
