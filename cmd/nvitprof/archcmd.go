package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func archCmd() *cli.Command {
	return &cli.Command{
		Name:  "arch",
		Usage: "print an architecture's dimensions, parameters and MACs",
		Description: "MACs are multiply-accumulates per image of the matrix products, which the DeiT\n" +
			"and NViT papers call FLOPs. Example: nvitprof arch --preset deit-b --format json",
		Flags: append(specFlags(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		),
		Action: archAction,
	}
}

func archAction(c *cli.Context) error {
	s, err := loadSpec(c)
	if err != nil {
		return err
	}
	switch c.String("format") {
	case "text":
		return writeArchText(c.App.Writer, s)
	case "json":
		return writeArchJSON(c.App.Writer, s)
	}
	return usagef("unknown --format %q: want text or json", c.String("format"))
}

// archSummary is the JSON form of `nvitprof arch`.
type archSummary struct {
	Name        string   `json:"name,omitempty"`
	Params      int64    `json:"params"`
	MACs        int64    `json:"macs"`
	Image       int      `json:"image"`
	Patch       int      `json:"patch"`
	Tokens      int      `json:"tokens"`
	Classes     int      `json:"classes"`
	ExtraTokens int      `json:"extra_tokens"`
	Dim         arch.Dim `json:"dim"`
}

func writeArchJSON(w io.Writer, s arch.Spec) error {
	c := s.Counts()
	return json.NewEncoder(w).Encode(archSummary{Name: s.Name, Params: c.Params, MACs: c.MACs, Image: s.Image,
		Patch: s.Patch, Tokens: s.Tokens(), Classes: s.Classes, ExtraTokens: s.ExtraTokens, Dim: s.Dim()})
}

func writeArchText(w io.Writer, s arch.Spec) error {
	c := s.Counts()
	name := s.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(w, "%s: EMB %d, %d blocks, %d tokens (%d² image, %d² patches, %d extra), %d classes\n",
		name, s.EMB, s.Depth(), s.Tokens(), s.Image, s.Patch, s.ExtraTokens, s.Classes)
	fmt.Fprintf(w, "params %s (%d), MACs %s per image (%d)\n\n", reports.FormatCount(c.Params), c.Params, reports.FormatCount(c.MACs), c.MACs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "block\theads\tQK\tV\tMLP\tparams\tMACs\t")
	for i, b := range s.Blocks {
		bc := s.BlockCounts(i)
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", i, b.Heads, b.QK, b.V, b.MLP, reports.FormatCount(bc.Params), reports.FormatCount(bc.MACs))
	}
	rc := s.RestCounts()
	fmt.Fprintf(tw, "rest\t\t\t\t\t%s\t%s\t\n", reports.FormatCount(rc.Params), reports.FormatCount(rc.MACs))
	return tw.Flush()
}
