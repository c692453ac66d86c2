package main

import (
	"fmt"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

func mergeCmd() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join latency tables (shards, several GPUs, several runs) into one",
		ArgsUsage: "TABLE.jsonl...",
		Description: `Joins JSON Lines tables measured under the same setting (device kind and name,
runtime, dtype, batch, tokens, geometry, timing method): tables that disagree are
refused, naming the fields. A configuration measured in several rows keeps its
last row; merge says which. An existing --out is refused unless --force, which
replaces it atomically (so --out may be one of the tables).
Example: nvitprof merge --out nvit.jsonl shard0.jsonl shard1.jsonl`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "merged table `FILE` (an existing one only with --force)"},
			forceFlag(),
		},
		Action: mergeAction,
	}
}

func mergeAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("name the tables to merge")
	}
	out := c.String("out")
	if out == "" {
		return usagef("--out FILE is required")
	}
	if err := checkOverwrite(c, "out", out); err != nil {
		return err
	}
	var tables []tablefmt.Opened
	for _, path := range c.Args().Slice() {
		o, err := tablefmt.Open(path, tablefmt.OpenOptions{})
		if err != nil {
			return err
		}
		if o.Format != tablefmt.FormatJSONL {
			return fmt.Errorf("%s is %s: merge joins nvitprof JSON Lines tables, whose headers say what they measured", path, o.Format)
		}
		warnTorn(c, o)
		tables = append(tables, o)
	}
	merged, dups, err := tablefmt.MergeOpened(tables...)
	if err != nil {
		return err
	}
	if merged.Header.Shard != nil {
		if err := mergeShards(c, tables, &merged); err != nil {
			return err
		}
	}
	if err := writeOutput(c, "out", out, merged.WriteJSONL); err != nil {
		return err
	}
	kept := ""
	if len(dups) > 0 {
		kept = "; " + duplicatesLine(dups)
	}
	fmt.Fprintf(c.App.ErrWriter, "%s: %d rows from %d tables%s\n", out, len(merged.Rows), len(tables), kept)
	return nil
}

// mergeShards checks that the shards cover their grid exactly once and makes
// the merged header the whole grid's.
func mergeShards(c *cli.Context, tables []tablefmt.Opened, merged *tablefmt.Table) error {
	names := c.Args().Slice()
	ts := make([]tablefmt.Table, len(tables))
	for i, o := range tables {
		ts[i] = o.Table
	}
	if err := profiler.CheckShards(names, ts); err != nil {
		return err
	}
	s := merged.Header.Shard
	merged.Header.Shard = nil
	merged.Header.Notes = append(slices.Clone(merged.Header.Notes), fmt.Sprintf("merged from %d shards", s.Count))
	return nil
}
