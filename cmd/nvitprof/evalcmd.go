package main

import (
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/urfave/cli/v2"
)

func evalCmd() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "cross-validate a cost model on a latency table: MAPE, RMSPE, ±5%/±10%, Spearman",
		Description: "Each row of the fitted components is predicted by a model fitted without its fold\n" +
			"(k-fold, seeded); block rows of a decomposed table and model rows are predicted from the\n" +
			"components and never fitted. With --replicate, a second measurement of the same grid shows the\n" +
			"noise floor those errors are bounded by. An existing --csv file is refused unless --force.\n" +
			"Example: nvitprof eval --table v100.json --kind nvit-interp",
		Flags: append(tableFlags(), kindFlag(),
			&cli.IntFlag{Name: "folds", Value: 5, Usage: "`K` of k-fold cross-validation"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the shuffle into folds"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
			&cli.StringFlag{Name: "csv", Usage: "also write the predicted-vs-measured rows to `FILE` (CSV; an existing one only with --force)"},
			&cli.StringFlag{Name: "replicate", Usage: "a second table of the same configurations measured again (`FILE`, JSON Lines): prints how well the two agree, the floor for the model's errors"},
			forceFlag(),
		),
		Action: evalAction,
	}
}

func evalAction(c *cli.Context) error {
	kind, err := modelKind(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return usagef("unknown --format %q: want text or json", format)
	}
	if c.Int("folds") < 2 {
		return usagef("--folds %d: want at least 2", c.Int("folds"))
	}
	if err := checkOverwrite(c, "csv", c.String("csv")); err != nil {
		return err
	}
	lt, err := loadTable(c)
	if err != nil {
		return err
	}
	opt := costmodel.EvalOptions{Kind: kind, Folds: c.Int("folds"), Seed: c.Uint64("seed"), Path: lt.Path, Format: lt.Format}
	if path := c.String("replicate"); path != "" {
		again, err := openTable(c, path, tablefmt.OpenOptions{})
		if err != nil {
			return err
		}
		opt.Replicate, opt.ReplicatePath = &again.Table, path
	}
	ev, err := costmodel.Eval(lt.Table, opt)
	if err != nil {
		return tokensHint(lt, err)
	}
	if path := c.String("csv"); path != "" {
		if err := writeOutput(c, "csv", path, ev.WriteCSV); err != nil {
			return err
		}
	}
	if format == "json" {
		return ev.WriteJSON(c.App.Writer)
	}
	return ev.WriteText(c.App.Writer)
}
