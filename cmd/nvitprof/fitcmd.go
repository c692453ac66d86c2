package main

import (
	"fmt"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

func fitCmd() *cli.Command {
	return &cli.Command{
		Name:  "fit",
		Usage: "fit a cost model to a latency table and save it",
		Description: "The model file (JSON) records its kind and its source table (path, header, row count,\n" +
			"SHA-256 of its content). Example: nvitprof fit --table v100.json --out v100-hw.json",
		Flags: append(tableFlags(), kindFlag(),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "model `FILE` to write (JSON)"},
		),
		Action: func(c *cli.Context) error {
			out := c.String("out")
			if out == "" {
				return usagef("--out FILE is required: where the model goes")
			}
			kind, err := modelKind(c)
			if err != nil {
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
			if err := m.SaveFile(out); err != nil {
				return err
			}
			var comps []string
			for _, k := range m.Components() {
				comps = append(comps, string(k))
			}
			fmt.Fprintf(c.App.Writer, "%s model of %s (%s, %d rows; components %s) written to %s\n",
				kind, lt.Path, m.Source().Summary, m.Source().Rows, strings.Join(comps, ", "), out)
			return nil
		},
	}
}

// fitTable fits a model, hinting at --tokens when a CSV table lacks them.
func fitTable(lt loadedTable, kind costmodel.ModelKind) (*costmodel.Model, error) {
	m, err := costmodel.Fit(lt.Table, costmodel.FitOptions{Kind: kind, Path: lt.Path, Format: lt.Format})
	if err != nil && lt.Format == "csv" && lt.Header.Tokens == 0 {
		return nil, fmt.Errorf("%w (a CSV table carries no header: give --tokens)", err)
	}
	return m, err
}
