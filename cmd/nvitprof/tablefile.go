package main

import (
	"errors"
	"fmt"

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

// loadTable reads the --table file with tablefmt.Open (format detected by
// content). Malformed JSONL lines are skipped with a one-line warning on
// stderr; options that do not fit the file are usage errors.
func loadTable(c *cli.Context) (loadedTable, error) {
	path := c.String("table")
	if path == "" {
		return loadedTable{}, usagef("--table FILE is required")
	}
	o, err := tablefmt.Open(path, tablefmt.OpenOptions{Tokens: c.Int("tokens"), Batch: c.Int("batch")})
	if oe := (*tablefmt.OptionError)(nil); errors.As(err, &oe) {
		return loadedTable{}, usageError{fmt.Errorf("%w (--tokens, --batch)", err)}
	}
	if err != nil {
		return loadedTable{}, err
	}
	if len(o.Skipped) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: skipped %d malformed line(s) of %s, first: %v\n", len(o.Skipped), path, o.Skipped[0])
	}
	return loadedTable{Table: o.Table, Path: o.Path, Format: string(o.Format)}, nil
}
