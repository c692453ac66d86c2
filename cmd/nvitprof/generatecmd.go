package main

import (
	"fmt"
	"io"

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
	prog := newProgress(c.App.ErrWriter, "generate", len(budgets), c.Bool("quiet"))
	fam, err := family(c, cs, ref, func(done, total int, v arch.Variant) {
		prog.step(done, fmt.Sprintf("%.2f×: EMB %d", v.Budget, v.Spec.EMB))
	})
	prog.finish()
	if err != nil {
		return err
	}
	return writeVariants(c.App.Writer, c.String("out"), fam, ref, cs.Model)
}

// writeVariants writes the variants' dim files and summary.csv into dir,
// all or nothing, and prints the family.
func writeVariants(w io.Writer, dir string, fam []arch.Variant, ref arch.Spec, m *costmodel.Model) error {
	refLat, err := costmodel.LatencyFunc(m)(ref)
	if err != nil {
		return err
	}
	out, err := newOutDir(dir)
	if err != nil {
		return err
	}
	defer out.Abort()
	for _, v := range fam {
		data, err := arch.MarshalFile(v.Spec)
		if err != nil {
			return err
		}
		if err := out.WriteFile(v.Spec.Name+".json", writeBytes(append(data, '\n'))); err != nil {
			return err
		}
	}
	err = out.WriteFile("summary.csv", func(w io.Writer) error { return reports.WriteFamilyCSV(w, fam, refLat) })
	if err == nil {
		err = out.Commit()
	}
	if err == nil {
		err = reports.WriteFamilyText(w, fam, ref, refLat)
	}
	if err != nil {
		return err
	}
	lo, hi := fam[0].Latency, fam[len(fam)-1].Latency
	_, err = fmt.Fprintf(w, "%d variants written to %s: predicted %.4g–%.4g ms (%.2f–%.2f× the reference)\n",
		len(fam), dir, lo, hi, lo/refLat, hi/refLat)
	return err
}
