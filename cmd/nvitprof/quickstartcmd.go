package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// quickstartCmd runs the whole pipeline on the embedded default device: the
// README's main job. Each stage is the ordinary command, so what it does is
// what a user would type.
func quickstartCmd() *cli.Command {
	return &cli.Command{
		Name:  "quickstart",
		Usage: "the whole pipeline on one device: sweep, fit, eval, generate, Pareto figure, report",
		Description: `Runs, into --out DIR:
  nvitprof sweep --preset quick --out DIR/table.jsonl --resume   (a minute or two on 2 CPU cores)
  nvitprof fit --table DIR/table.jsonl --out DIR/model.json
  nvitprof eval --table DIR/table.jsonl
  nvitprof generate --table DIR/table.jsonl --out DIR/variants
  nvitprof pareto --table DIR/table.jsonl --out DIR/pareto.png
  nvitprof report --table DIR/table.jsonl --model DIR/model.json --out DIR/report
A rerun continues the sweep where it stopped and redoes the cheap stages.`,
		Flags: []cli.Flag{
			deviceFlag, pluginFlag, threadsFlag,
			&cli.StringFlag{Name: "preset", Value: "quick", Usage: "sweep preset"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "nvitprof-out", Usage: "output `DIR`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("out")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("quickstart: %w", err)
			}
			table, model := filepath.Join(dir, "table.jsonl"), filepath.Join(dir, "model.json")
			variants, report := filepath.Join(dir, "variants"), filepath.Join(dir, "report")
			for _, p := range []string{model, variants, report, filepath.Join(dir, "pareto.png")} {
				if err := os.RemoveAll(p); err != nil { // regenerated from the table
					return fmt.Errorf("quickstart: %w", err)
				}
			}
			sweep := []string{"sweep", "--device", c.String("device"), "--preset", c.String("preset"), "--out", table, "--resume"}
			if p := c.String("plugin"); p != "" {
				sweep = append(sweep, "--plugin", p)
			}
			if c.IsSet("threads") {
				sweep = append(sweep, "--threads", strconv.Itoa(c.Int("threads")))
			}
			if c.Bool("quiet") {
				sweep = append(sweep, "--quiet")
			}
			stages := [][]string{
				sweep,
				{"fit", "--table", table, "--out", model},
				{"eval", "--table", table},
				{"generate", "--table", table, "--out", variants},
				{"pareto", "--table", table, "--out", filepath.Join(dir, "pareto.png")},
				{"report", "--table", table, "--model", model, "--out", report},
			}
			for _, args := range stages {
				fmt.Fprintf(c.App.ErrWriter, "== nvitprof %s\n", strings.Join(args, " "))
				if err := run(c.Context, c.App.Writer, c.App.ErrWriter, append([]string{"nvitprof"}, args...)); err != nil {
					return fmt.Errorf("quickstart: %s: %w", args[0], err)
				}
			}
			fmt.Fprintf(c.App.ErrWriter, "done: %s (table, model, variants, pareto.png, report/index.md)\n", dir)
			return nil
		},
	}
}
