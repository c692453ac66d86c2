package main

import (
	"fmt"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

func fitCmd() *cli.Command {
	return &cli.Command{
		Name:  "fit",
		Usage: "fit a cost model to a latency table and save it",
		Description: "The model file (JSON) records its kind and its source table (path, header, row count,\n" +
			"SHA-256 of its content). An existing model file is refused unless --force, which replaces it\n" +
			"atomically. Example: nvitprof fit --table v100.json --out v100-hw.json",
		Flags: append(tableFlags(), kindFlag(),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "model `FILE` to write (JSON; an existing one only with --force)"},
			forceFlag(),
		),
		Action: fitAction,
	}
}

func fitAction(c *cli.Context) error {
	out := c.String("out")
	if out == "" {
		return usagef("--out FILE is required: where the model goes")
	}
	kind, err := modelKind(c)
	if err != nil {
		return err
	}
	if err := checkOverwrite(c, "out", out); err != nil {
		return err
	}
	lt, err := loadTable(c)
	if err != nil {
		return err
	}
	m, err := fitTable(lt, kind)
	if err != nil {
		return err
	}
	if err := writeOutput(c, "out", out, m.Save); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s written to %s\n", m, out)
	return nil
}

// fitTable fits a model, hinting at --tokens when a CSV table lacks them.
func fitTable(lt loadedTable, kind costmodel.ModelKind) (*costmodel.Model, error) {
	m, err := costmodel.Fit(lt.Table, costmodel.FitOptions{Kind: kind, Path: lt.Path, Format: lt.Format})
	return m, tokensHint(lt, err)
}

// tokensHint adds to err the flag that gives a CSV table its tokens.
func tokensHint(lt loadedTable, err error) error {
	if err != nil && lt.Format == "csv" && lt.Header.Tokens == 0 {
		return fmt.Errorf("%w (a CSV table carries no header: give --tokens)", err)
	}
	return err
}
