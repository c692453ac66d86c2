package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

// tableFlags read a latency table for the cost-model commands.
func tableFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "table", Aliases: []string{"t"}, Usage: "latency table `FILE`: nvitprof JSON Lines, CSV, or NViT's latency_head.json (detected by content)"},
		&cli.IntFlag{Name: "tokens", Usage: "tokens of a CSV table (CSV carries no header); other formats state their own"},
		&cli.IntFlag{Name: "batch", Usage: "batch of a CSV table"},
	}
}

// kindFlag chooses the model kind.
func kindFlag() cli.Flag {
	return &cli.StringFlag{Name: "kind", Aliases: []string{"k"}, Value: string(costmodel.ModelHW),
		Usage: "model `KIND`: hw (grid + compute/memory trend + monotone envelope) or nvit-interp (NViT's multilinear interpolation)"}
}

func modelKind(c *cli.Context) (costmodel.ModelKind, error) {
	k, err := costmodel.ParseModelKind(c.String("kind"))
	if err != nil {
		return "", usageError{err}
	}
	return k, nil
}

// loadedTable is a table and what it was read from.
type loadedTable struct {
	costmodel.Table
	Path, Format string
}

// loadTable reads the --table file, detecting its format by content: a JSON
// object whose first line has "nvitprof_table" is a JSONL table, a JSON
// object of EMB_ keys is NViT's LUT, anything else is CSV. Malformed JSONL
// lines are skipped with a one-line warning on stderr.
func loadTable(c *cli.Context) (loadedTable, error) {
	path := c.String("table")
	if path == "" {
		return loadedTable{}, usagef("--table FILE is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return loadedTable{}, fmt.Errorf("read table: %w", err)
	}
	lt := loadedTable{Path: path, Format: detectTableFormat(data)}
	switch lt.Format {
	case "jsonl":
		t, bad, err := costmodel.Read(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		if len(bad) > 0 {
			fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: skipped %d malformed line(s) of %s, first: %v\n", len(bad), path, bad[0])
		}
		lt.Table = t
	case "nvit-lut":
		l, err := costmodel.ReadLUT(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		t, err := l.Table(lutHeader(l, path))
		if err != nil {
			return loadedTable{}, err
		}
		lt.Table = t
	default:
		rows, err := costmodel.ReadCSV(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		lt.Table = costmodel.Table{Header: costmodel.Header{Version: costmodel.FormatVersion,
			Tokens: c.Int("tokens"), Batch: c.Int("batch"), Source: path}, Rows: rows}
	}
	if len(lt.Rows) == 0 {
		return loadedTable{}, fmt.Errorf("%s: the table has no rows", path)
	}
	return lt, nil
}

func detectTableFormat(data []byte) string {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "csv"
	}
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	var probe map[string]json.RawMessage
	if json.Unmarshal(first, &probe) == nil {
		if _, ok := probe["nvitprof_table"]; ok {
			return "jsonl"
		}
	}
	if bytes.Contains(first, []byte(`"nvitprof_table"`)) {
		return "jsonl"
	}
	return "nvit-lut"
}

// lutHeader describes an imported LUT: NViT's V100 header for NViT's own
// grid, else NViT's geometry (the LUT format is DeiT-B-distilled's) with the
// device unknown.
func lutHeader(l costmodel.LUT, path string) costmodel.Header {
	h := costmodel.NViTV100Header()
	if g, full := l.Grid(); full && reflect.DeepEqual(g, costmodel.NViTGrid()) {
		return h
	}
	h.DeviceKind, h.DeviceName, h.Runtime, h.Batch = "", "", "", 0
	h.Source = path
	h.Notes = []string{"imported from an NViT latency_head.json: device, runtime and batch unknown; NViT's geometry assumed (198 tokens)",
		"MLP_1 in the source is a block without MLP: mlp 0 here"}
	return h
}
