package main

import (
	"errors"
	"fmt"
	"strings"

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

// loadTable reads the --table file with openTable; options that do not fit
// the file are usage errors.
func loadTable(c *cli.Context) (loadedTable, error) {
	path := c.String("table")
	if path == "" {
		return loadedTable{}, usagef("--table FILE is required")
	}
	o, err := openTable(c, path, tablefmt.OpenOptions{Tokens: c.Int("tokens"), Batch: c.Int("batch")})
	if oe := (*tablefmt.OptionError)(nil); errors.As(err, &oe) {
		return loadedTable{}, usageError{fmt.Errorf("%w (--tokens, --batch)", err)}
	}
	if err != nil {
		return loadedTable{}, err
	}
	return loadedTable{Table: o.Table, Path: o.Path, Format: string(o.Format)}, nil
}

// openTable reads a table with tablefmt.Open (format detected by content;
// a bad row is an error naming its line) and warns, one line each on
// stderr, of a torn last line it skipped and of configurations with more
// than one row (the last is used).
func openTable(c *cli.Context, path string, opt tablefmt.OpenOptions) (tablefmt.Opened, error) {
	o, err := tablefmt.Open(path, opt)
	if err != nil {
		return o, err
	}
	warnTorn(c, o)
	if d := o.Duplicates(); len(d) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: %s: %s\n", path, duplicatesLine(d))
	}
	return o, nil
}

// warnTorn says that o's torn last line, if any, was skipped.
func warnTorn(c *cli.Context, o tablefmt.Opened) {
	for _, s := range o.Skipped {
		fmt.Fprintf(c.App.ErrWriter, "nvitprof: warning: %s:%d: skipped the torn last line (a write cut short): %v\n", s.File, s.Line, s.Err)
	}
}

// duplicatesLine says how many configurations have several rows, and the
// first few with where their rows are.
func duplicatesLine(d []tablefmt.Duplicate) string {
	const show = 3
	var list []string
	for _, x := range d[:min(show, len(d))] {
		list = append(list, x.String())
	}
	more := ""
	if len(d) > show {
		more = fmt.Sprintf("; and %d more", len(d)-show)
	}
	return fmt.Sprintf("%d configuration(s) measured more than once, the last row of each kept: %s%s", len(d), strings.Join(list, "; "), more)
}
