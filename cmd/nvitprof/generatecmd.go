package main

import (
	"bytes"
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func generateCmd() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "generate NViT-style (ReViT) variants across a latency budget, as NViT dim JSON files and a CSV summary",
		Description: "For each budget b, the widest EMB whose rule-generated model is predicted to run in at most\n" +
			"b × the reference's latency: heads = ε·EMB/100 (even), QK = ε·EMB/20 (multiple of 8), V = 64,\n" +
			"MLP = 3·ε·EMB, ε = 2 in the middle blocks and 1 elsewhere. --snap then moves every dimension to\n" +
			"the largest value the cost model predicts no slower. Examples:\n" +
			"  nvitprof generate --table nvit_latency_head_v100.json --budget 0.2:1.0:0.1 --out family/\n" +
			"  nvitprof generate --table quick.jsonl --snap --out family/",
		Flags: append(append(costFlags(), ruleFlags()...),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` for <name>.json files and summary.csv"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
		),
		Action: generateAction,
	}
}

func generateAction(c *cli.Context) error {
	if c.String("out") == "" {
		return usagef("--out DIR is required: where the variants go")
	}
	budgets, err := parseBudgets(c.String("budget"))
	if err != nil {
		return err
	}
	cs, err := loadCost(c)
	if err != nil {
		return err
	}
	ref, err := defaultRef(c, cs)
	if err != nil {
		return err
	}
	out, err := newOutDir(c.String("out"))
	if err != nil {
		return err
	}
	defer out.Abort()
	prog := newProgress(c.App.ErrWriter, "generate", len(budgets), c.Bool("quiet"))
	fam, err := family(c, cs, ref, func(done, total int, v arch.Variant) {
		prog.step(done, fmt.Sprintf("%.2f×: EMB %d", v.Budget, v.Spec.EMB))
	})
	prog.finish()
	if err != nil {
		return err
	}
	refLat, err := costmodel.LatencyFunc(cs.Model)(ref)
	if err != nil {
		return err
	}
	var sum bytes.Buffer
	if err := reports.WriteFamilyCSV(&sum, fam, refLat); err != nil {
		return err
	}
	for _, v := range fam {
		data, err := arch.MarshalFile(v.Spec)
		if err != nil {
			return err
		}
		if err := out.WriteFile(v.Spec.Name+".json", writeBytes(append(data, '\n'))); err != nil {
			return err
		}
	}
	if err := out.WriteFile("summary.csv", writeBytes(sum.Bytes())); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	if err := reports.WriteFamilyText(c.App.Writer, fam, ref, refLat); err != nil {
		return err
	}
	lo, hi := fam[0].Latency, fam[len(fam)-1].Latency
	fmt.Fprintf(c.App.Writer, "%d variants written to %s: predicted %.4g–%.4g ms (%.2f–%.2f× the reference)\n",
		len(fam), c.String("out"), lo, hi, lo/refLat, hi/refLat)
	return nil
}
