package main

import (
	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/urfave/cli/v2"
)

func predictCmd() *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "predict an architecture's latency (and its speedup over a reference) from a table or a model",
		Description: "The architecture must have the table's tokens and geometry (NViT's V100 table was measured\n" +
			"with cls + distillation tokens: use the -distilled presets). Examples:\n" +
			"  nvitprof predict --table nvit_latency_head_v100.json --preset deit-s-distilled --ref deit-b-distilled\n" +
			"  nvitprof predict --model v100-hw.json --arch pruned.json --format json",
		Flags: append(append(tableFlags(), kindFlag(),
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model `FILE` written by nvitprof fit (instead of --table)"},
			&cli.StringFlag{Name: "ref", Usage: "reference architecture: a preset `NAME` or an architecture file; prints the speedup over it"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		), specFlags()...),
		Action: predictAction,
	}
}

func predictAction(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return usagef("unknown --format %q: want text or json", format)
	}
	s, err := loadSpec(c)
	if err != nil {
		return err
	}
	var ref *arch.Spec
	if name := c.String("ref"); name != "" {
		r, err := loadArch("ref", name)
		if err != nil {
			return err
		}
		ref = &r
	}
	m, err := loadModel(c)
	if err != nil {
		return err
	}
	rep, err := m.Report(s, ref)
	if err != nil {
		return err
	}
	if format == "json" {
		return rep.WriteJSON(c.App.Writer)
	}
	return rep.WriteText(c.App.Writer)
}

// loadModel reads --model, or fits one of --kind to --table.
func loadModel(c *cli.Context) (*costmodel.Model, error) {
	table, model := c.String("table"), c.String("model")
	switch {
	case table != "" && model != "":
		return nil, usagef("give --table or --model, not both")
	case model != "":
		if c.IsSet("kind") {
			return nil, usagef("--kind applies to --table; a model file has its own kind")
		}
		return costmodel.LoadFile(model)
	case table != "":
		kind, err := modelKind(c)
		if err != nil {
			return nil, err
		}
		lt, err := loadTable(c)
		if err != nil {
			return nil, err
		}
		return fitTable(lt, kind)
	}
	return nil, usagef("choose a cost model with --table FILE or --model FILE")
}
