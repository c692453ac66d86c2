package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nvitprof/nvitprof/arch"
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
		Action: func(c *cli.Context) error {
			if c.String("out") == "" {
				return usagef("--out DIR is required: where the variants go")
			}
			if _, err := parseBudgets(c.String("budget")); err != nil {
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
			defer out.abort()
			budgets, _ := parseBudgets(c.String("budget"))
			prog := newProgress(c.App.ErrWriter, "generate", len(budgets), c.Bool("quiet"))
			fam, err := family(c, cs, ref, func(done, total int, v arch.Variant) {
				prog.step(done, fmt.Sprintf("%.2f×: EMB %d", v.Budget, v.Spec.EMB))
			})
			prog.finish()
			if err != nil {
				return err
			}
			refLat, err := latencyOf(cs.Model)(ref)
			if err != nil {
				return err
			}
			var sum bytes.Buffer
			if err := writeFamilyCSV(&sum, fam, refLat); err != nil {
				return err
			}
			for _, v := range fam {
				data, err := arch.MarshalFile(v.Spec)
				if err != nil {
					return err
				}
				if err := out.write(v.Spec.Name+".json", append(data, '\n')); err != nil {
					return err
				}
			}
			if err := out.write("summary.csv", sum.Bytes()); err != nil {
				return err
			}
			if err := out.commit(); err != nil {
				return err
			}
			return writeFamilyText(c, fam, ref, refLat)
		},
	}
}

// familyColumns are summary.csv's columns.
var familyColumns = []string{"name", "budget", "target_ms", "latency_ms", "speedup", "emb", "heads", "qk", "v", "mlp",
	"params", "macs", "rule_emb", "rule_latency_ms", "snap_moves", "snap_params_gain_pct", "reference", "ref_latency_ms"}

func writeFamilyCSV(w *bytes.Buffer, fam []arch.Variant, refLat float64) error {
	cw := csv.NewWriter(w)
	cw.Write(familyColumns)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	ints := func(v []int) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, " ")
	}
	for _, v := range fam {
		d := v.Spec.Dim()
		moves, gain := "0", "0"
		if v.Snap != nil {
			moves, gain = strconv.Itoa(len(v.Snap.Moves)), f(100*v.Snap.ParamsGain())
		}
		cw.Write([]string{v.Spec.Name, f(v.Budget), f(v.TargetMS), f(v.Latency), f(refLat / v.Latency), strconv.Itoa(d.EMB),
			ints(d.Head), ints(d.QK), ints(d.V), ints(d.MLP), strconv.FormatInt(v.Spec.Params(), 10), strconv.FormatInt(v.Spec.MACs(), 10),
			strconv.Itoa(v.RuleEMB), f(v.RuleLat), moves, gain, v.Reference, f(refLat)})
	}
	cw.Flush()
	return cw.Error()
}

func writeFamilyText(c *cli.Context, fam []arch.Variant, ref arch.Spec, refLat float64) error {
	w := c.App.Writer
	fmt.Fprintf(w, "reference %s: %.4g ms predicted, %s params, %s MACs\n", nameOr(ref.Name, "reference"), refLat,
		humanCount(ref.Params()), humanCount(ref.MACs()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tbudget\tlatency ms\tspeedup\tEMB\tparams\tMACs\tsnap\t")
	for _, v := range fam {
		snap := "-"
		if v.Snap != nil {
			snap = fmt.Sprintf("%d moves, params %+.1f%%", len(v.Snap.Moves), 100*v.Snap.ParamsGain())
		}
		fmt.Fprintf(tw, "%s\t%.2f×\t%.4g\t%.2f×\t%d\t%s\t%s\t%s\t\n", v.Spec.Name, v.Budget, v.Latency, refLat/v.Latency,
			v.Spec.EMB, humanCount(v.Spec.Params()), humanCount(v.Spec.MACs()), snap)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lo, hi := fam[0].Latency, fam[len(fam)-1].Latency
	fmt.Fprintf(w, "%d variants written to %s: predicted %.4g–%.4g ms (%.2f–%.2f× the reference)\n",
		len(fam), c.String("out"), lo, hi, lo/refLat, hi/refLat)
	return nil
}
