package prunemnist

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/nvitprof/nvitprof/reports"
)

// RuleBudgets are the latency budgets, fractions of the dense model's
// predicted latency, of the family generated from the fitted rule.
var RuleBudgets = []float64{0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}

// analyse is NViT's analysis step on the demo's pruned models: their
// dimension trends, a redistribution rule fitted to them (trends/), and a
// family generated from that rule, drawn with the dense and pruned models on
// one Pareto figure (pareto.png).
func (d *demo) analyse(ctx context.Context, dense arch.Spec, pruned map[string]*pruner.Result) error {
	var models []arch.Spec
	for _, r := range runs {
		s := pruned[r.name].Weights.Spec
		s.Name = r.name
		models = append(models, s)
	}
	tr, err := arch.NewTrends(models, &dense)
	if err != nil {
		return fmt.Errorf("trends of the pruned models: %w", err)
	}
	fit, err := arch.FitRule(tr, arch.FitOptions{})
	if err != nil {
		return fmt.Errorf("fit a rule to the pruned models: %w", err)
	}
	rule := fit.Rule
	rule.Name, rule.Geometry, rule.Depth = "rule", dense.Geometry(), dense.Depth()
	lat := costmodel.LatencyFunc(d.model)
	fam, err := arch.Family(ctx, lat, arch.FamilyOptions{Rule: rule, Ref: dense, Budgets: RuleBudgets, EMBStep: 8,
		Unreachable: func(budget, fastest float64) {
			d.opt.Logf("rule family: no width fits %.2f× (the narrowest takes %.2f×)", budget, fastest)
		}})
	if err != nil {
		return fmt.Errorf("generate from the fitted rule: %w", err)
	}
	r := &Rule{Rule: fit.Rule.String(), Profile: fit.Profile(), Exact: fit.Exact, LogRMS: fit.LogRMS, Dir: filepath.Join(d.opt.Out, "trends")}
	for _, v := range fam {
		r.Variants = append(r.Variants, RuleVariant{Budget: v.Budget, Dim: v.Spec.Dim(), Params: v.Spec.Params(), PredictedMS: v.Latency})
	}
	d.sum.Rule = r
	d.opt.Logf("rule fitted to the pruned models: %s (profile %s)", r.Rule, r.Profile)
	if err := d.writeTrends(r.Dir, tr, fit); err != nil {
		return err
	}
	return d.writePareto(fam)
}

// writeTrends writes the trends figure, its numbers and the rule into dir.
func (d *demo) writeTrends(dir string, tr *arch.Trends, fit arch.RuleFit) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := atomicfile.NewDir(dir)
	if err != nil {
		return err
	}
	defer out.Abort()
	fig := reports.TrendsFigure{Trends: tr, Fit: &fit,
		Caption: fmt.Sprintf("MNIST ViT pruned to %.2f× predicted latency on %s", d.opt.Target, d.sum.Device)}
	if err := out.WriteFile("trends.png", func(w io.Writer) error { return reports.WriteTrends(w, reports.PNG, fig, reports.Options{}) }); err != nil {
		return err
	}
	if err := out.WriteFile("trends.csv", func(w io.Writer) error { return arch.WriteTrendsCSV(w, tr, &fit) }); err != nil {
		return err
	}
	rule, err := arch.MarshalRule(fit.Rule, "fitted by nvitprof demo prune-mnist to its pruned models")
	if err != nil {
		return err
	}
	if err := out.WriteFile("rule.json", func(w io.Writer) error { _, err := w.Write(rule); return err }); err != nil {
		return err
	}
	return out.Commit()
}

// writePareto draws the dense and pruned models (measured latency) and the
// rule's family (predicted) against their parameters.
func (d *demo) writePareto(fam []arch.Variant) error {
	var pts []reports.ParetoPoint
	for _, m := range d.sum.Models {
		pts = append(pts, reports.ParetoPoint{Name: m.Name, Group: "dense and pruned", LatencyMS: m.MeasuredMS, Measured: true,
			Params: m.Params, MACs: m.MACs, Label: true})
	}
	for _, v := range fam {
		pts = append(pts, reports.ParetoPoint{Name: v.Spec.Name, Group: "fitted rule", LatencyMS: v.Latency,
			Params: v.Spec.Params(), MACs: v.Spec.MACs()})
	}
	fig := reports.ParetoFigure{Points: pts, Metric: reports.MetricParams,
		LatencyLabel: fmt.Sprintf("Latency (ms, batch %d)", d.opt.Batch),
		Caption:      reports.DeviceCaption(d.model.Header())}
	opt := reports.Options{Title: "Pruned MNIST ViTs and the family of the rule fitted to them"}
	return atomicfile.WriteFile(filepath.Join(d.opt.Out, "pareto.png"), func(w io.Writer) error {
		return reports.WritePareto(w, reports.PNG, fig, opt)
	})
}
