package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

// tableFlags read a latency table for the cost-model commands.
func tableFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "table", Aliases: []string{"t"}, Usage: "latency table `FILE`: nvitprof JSON Lines, CSV, or NViT's latency_head.json (detected by content)"},
		&cli.IntFlag{Name: "tokens", Usage: "tokens of a CSV table (CSV carries no header) or of a latency_head.json other than NViT's released one (default 198, NViT's); JSON Lines tables state their own"},
		&cli.IntFlag{Name: "batch", Usage: "batch of a CSV table or of a latency_head.json other than NViT's released one"},
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
	tablefmt.Table
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
		t, bad, err := tablefmt.Read(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		if len(bad) > 0 {
			fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: skipped %d malformed line(s) of %s, first: %v\n", len(bad), path, bad[0])
		}
		lt.Table = t
	case "nvit-lut":
		l, err := tablefmt.ReadLUT(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		h, err := lutHeader(data, path, c.Int("tokens"), c.Int("batch"))
		if err != nil {
			return loadedTable{}, err
		}
		t, err := l.Table(h)
		if err != nil {
			return loadedTable{}, err
		}
		lt.Table = t
	default:
		rows, err := tablefmt.ReadCSV(bytes.NewReader(data), path)
		if err != nil {
			return loadedTable{}, err
		}
		lt.Table = tablefmt.Table{Header: tablefmt.Header{Version: tablefmt.FormatVersion,
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

// nvitV100SHA256 is the SHA-256 of the bytes of NViT's released table,
// NVlabs/NViT's latency_head.json (V100), as the project keeps it in
// shared/data/nvit_latency_head_v100.json: only that file is labelled with
// NViT's V100 header.
const nvitV100SHA256 = "63edfc2ff589349a7ddce8616a22e0c35a5d2c8ca19a944abdeedb643997c161"

// lutHeader describes an imported LUT whose file holds data. NViT's released
// table (by content hash) gets NViT's V100 header. Any other LUT, even one on
// NViT's grid (a table of another device exported with --format nvit-lut),
// gets a header whose device, runtime and dtype are unknown, with tokens and
// batch from --tokens and --batch (tokens default to NViT's 198, with NViT's
// geometry: the LUT format is DeiT-B-distilled's).
func lutHeader(data []byte, path string, tokens, batch int) (tablefmt.Header, error) {
	h := tablefmt.NViTV100Header()
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) == nvitV100SHA256 {
		if (tokens != 0 && tokens != h.Tokens) || (batch != 0 && batch != h.Batch) {
			return tablefmt.Header{}, usagef("%s is NViT's released V100 table, measured with %d tokens and batch %d: --tokens and --batch do not apply",
				path, h.Tokens, h.Batch)
		}
		return h, nil
	}
	if tokens < 0 || batch < 0 {
		return tablefmt.Header{}, usagef("--tokens and --batch must not be negative, got %d and %d", tokens, batch)
	}
	h.DeviceKind, h.DeviceName, h.Runtime, h.Batch = "", "", "", batch
	h.Source = path
	h.Notes = []string{"imported from a latency_head.json that is not NViT's released table: device, runtime and dtype unknown"}
	switch {
	case tokens == 0 || tokens == h.Tokens:
		h.Notes = append(h.Notes, "NViT's geometry assumed (DeiT-B-distilled, 198 tokens); --tokens sets another")
	default:
		h.Tokens, h.Image, h.Patch, h.Channels, h.Classes = tokens, 0, 0, 0, 0
		h.Notes = append(h.Notes, fmt.Sprintf("%d tokens from --tokens; model geometry unknown", tokens))
	}
	if batch == 0 {
		h.Notes = append(h.Notes, "batch unknown (--batch sets it)")
	}
	h.Notes = append(h.Notes, "MLP_1 in the source is a block without MLP: mlp 0 here")
	return h, nil
}
