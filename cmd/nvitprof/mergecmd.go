package main

import (
	"fmt"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

func mergeCmd() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join latency tables (shards, several GPUs, several runs) into one",
		ArgsUsage: "TABLE.jsonl...",
		Description: `Joins tables measured under the same setting (device kind and name, runtime,
dtype, batch, tokens, geometry, timing method): tables that disagree are refused,
naming the fields. A configuration measured in several tables keeps its last row.
Example: nvitprof merge --out nvit.jsonl shard0.jsonl shard1.jsonl`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "merged table `FILE` (must not exist)"},
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
	var tables []tablefmt.Table
	for _, path := range c.Args().Slice() {
		t, bad, err := tablefmt.ReadTable(path)
		if err != nil {
			return err
		}
		for _, b := range bad {
			fmt.Fprintf(c.App.ErrWriter, "skipped: %v\n", b)
		}
		tables = append(tables, t)
	}
	merged, err := tablefmt.Merge(tables...)
	if err != nil {
		return err
	}
	if err := merged.WriteFile(out); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "%s: %d rows from %d tables\n", out, len(merged.Rows), len(tables))
	return nil
}
