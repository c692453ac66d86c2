package main

import (
	"bytes"
	"io"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

func exportCmd() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "convert a latency table to NViT's latency_head.json or CSV",
		Description: "nvit-lut writes NVlabs/NViT's exact schema (seconds per block, MLP_1 for no MLP) over the\n" +
			"table's own grid: attention + MLP rows added, or its block rows if it has no attention rows; it refuses when the table does\n" +
			"not cover every grid point. An existing output file is refused unless --force, which replaces it\n" +
			"atomically. Example: nvitprof export --table h100.jsonl --format nvit-lut --out latency_head.json",
		Flags: append(tableFlags(),
			&cli.StringFlag{Name: "format", Usage: "output `FORMAT`: nvit-lut or csv"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE` (- for stdout; an existing file only with --force)"},
			forceFlag(),
		),
		Action: exportAction,
	}
}

func exportAction(c *cli.Context) error {
	format, out := tablefmt.Format(c.String("format")), c.String("out")
	if format != tablefmt.FormatNViTLUT && format != tablefmt.FormatCSV {
		return usagef("--format must be nvit-lut or csv, got %q", format)
	}
	if out == "" {
		return usagef("--out FILE is required (- for stdout)")
	}
	if err := checkOverwrite(c, "out", out); err != nil {
		return err
	}
	lt, err := loadTable(c)
	if err != nil {
		return err
	}
	if out != "-" {
		return writeOutput(c, "out", out, func(w io.Writer) error { return lt.Export(w, format) })
	}
	var buf bytes.Buffer // nothing is printed unless all of it is
	if err := lt.Export(&buf, format); err != nil {
		return err
	}
	_, err = c.App.Writer.Write(buf.Bytes())
	return err
}
