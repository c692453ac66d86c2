package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

func exportCmd() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "convert a latency table to NViT's latency_head.json or CSV",
		Description: "nvit-lut writes NVlabs/NViT's exact schema (seconds per block, MLP_1 for no MLP) over the\n" +
			"table's own grid: attention + MLP rows added (a decomposed table's block rows only validate\n" +
			"them), or the block rows of a table of whole blocks; it refuses when the table does not cover\n" +
			"every grid point. NViT's loader hard-codes its grid (EMB 256,512,768; heads 1,3,6,9,12; QK, V\n" +
			"1,16,32,48,64; MLP 0..3072 by 128): a table swept with --preset nvit exports to it, and export\n" +
			"warns of any other grid. --resample nvit writes NViT's grid from any table: the table's blocks\n" +
			"where it has them, the cost model's predictions (--kind) elsewhere. An existing output file is\n" +
			"refused unless --force, which replaces it atomically. Examples:\n" +
			"  nvitprof export --table h100.jsonl --format nvit-lut --out latency_head.json\n" +
			"  nvitprof export --table mine.jsonl --format nvit-lut --resample nvit --out latency_head.json",
		Flags: append(tableFlags(),
			&cli.StringFlag{Name: "format", Usage: "output `FORMAT`: nvit-lut or csv"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE` (- for stdout; an existing file only with --force)"},
			&cli.StringFlag{Name: "resample", Usage: "write nvit-lut on `GRID` nvit (NViT's axes), the cost model predicting what the table lacks"},
			kindFlag(),
			forceFlag(),
		),
		Action: exportAction,
	}
}

func exportAction(c *cli.Context) error {
	format, out, resample := tablefmt.Format(c.String("format")), c.String("out"), c.String("resample")
	switch {
	case format != tablefmt.FormatNViTLUT && format != tablefmt.FormatCSV:
		return usagef("--format must be nvit-lut or csv, got %q", format)
	case out == "":
		return usagef("--out FILE is required (- for stdout)")
	case resample != "" && resample != "nvit":
		return usagef("--resample must be nvit (NViT's axes), got %q", resample)
	case resample != "" && format != tablefmt.FormatNViTLUT:
		return usagef("--resample applies to --format nvit-lut")
	case c.IsSet("kind") && resample == "":
		return usagef("--kind applies to --resample: it chooses the model that predicts what the table lacks")
	}
	if err := checkOverwrite(c, "out", out); err != nil {
		return err
	}
	lt, err := loadTable(c)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return lt.Export(w, format) }
	if format == tablefmt.FormatNViTLUT {
		data, err := exportLUT(c, lt, resample != "")
		if err != nil {
			return err
		}
		write = func(w io.Writer) error { _, err := w.Write(data); return err }
	}
	if out != "-" {
		return writeOutput(c, "out", out, write)
	}
	var buf bytes.Buffer // nothing is printed unless all of it is
	if err := write(&buf); err != nil {
		return err
	}
	_, err = c.App.Writer.Write(buf.Bytes())
	return err
}

// exportLUT writes the NViT table of lt: over its own grid, warning on
// stderr when NViT's loader would not read that grid, or resampled onto
// NViT's grid, saying how many entries were measured and how many
// predicted.
func exportLUT(c *cli.Context, lt loadedTable, resample bool) ([]byte, error) {
	var buf bytes.Buffer
	if !resample {
		if err := lt.Export(&buf, tablefmt.FormatNViTLUT); err != nil {
			return nil, err
		}
		if err := lt.LUTGrid().CheckNViT(); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: %s: %v; --resample nvit writes NViT's axes\n", lt.Path, err)
		}
		return buf.Bytes(), nil
	}
	kind, err := modelKind(c)
	if err != nil {
		return nil, err
	}
	m, err := fitTable(lt, kind)
	if err != nil {
		return nil, err
	}
	r, err := costmodel.Resample(m, lt.Table, tablefmt.NViTGrid())
	if re := (*costmodel.ResampleError)(nil); errors.As(err, &re) {
		return nil, fmt.Errorf("%w (a sweep nearer NViT's axes, such as --preset nvit, covers them)", err)
	}
	if err != nil {
		return nil, err
	}
	if _, err := r.LUT.WriteTo(&buf); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.App.ErrWriter, "nvitprof: resampled onto NViT's axes: %d entries measured, %d predicted by the %s model\n",
		r.Measured, r.Predicted, kind)
	return buf.Bytes(), nil
}
