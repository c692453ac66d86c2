package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nvitprof/nvitprof/pruner"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func pruneCompareCmd() *cli.Command {
	return &cli.Command{
		Name:      "prune-compare",
		Usage:     "compare finished pruning runs: top-1 and predicted latency per selection, paired by seed against the latency-blind runs",
		ArgsUsage: "DIR...",
		Description: "Each DIR is a run directory of nvitprof prune, or a folder of them. Runs are compared\n" +
			"when they share the dense model (dimensions, predicted latency, top-1 as scored), the cost\n" +
			"model and the target; within that, every selection's top-1 is paired by --seed with the\n" +
			"latency-blind run (--eta 0) and the mean difference is printed with its standard error over\n" +
			"seeds. Unfinished runs are left out with a note. --out draws top-1 against predicted latency\n" +
			"(% of dense), one colour per selection, with the Pareto front; an existing figure is refused\n" +
			"unless --force, which replaces it atomically. Example:\n" +
			"  nvitprof prune-compare --out compare.png pairs/",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "figure `FILE`: .png, .svg or .pdf (an existing one only with --force)"},
			forceFlag(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		Action: runPruneCompare,
	}
}

func runPruneCompare(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("give one or more run directories (or folders of them)")
	}
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return usagef("%s after the directories: flags go first (nvitprof prune-compare --out F DIR...)", a)
		}
	}
	format, out := c.String("format"), c.String("out")
	if format != "text" && format != "json" {
		return usagef("unknown --format %q: want text or json", format)
	}
	var figFormat reports.Format
	if out != "" {
		f, err := reports.ParseFormat(filepath.Ext(out))
		if err != nil {
			return usagef("--out %s: %v", out, err)
		}
		figFormat = f
	}
	if err := checkOverwrite(c, "out", out); err != nil {
		return err
	}
	runs, skipped, err := pruner.ReadRuns(c.Args().Slice())
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(c.App.ErrWriter, "nvitprof: note: %s left out: unfinished\n", s)
	}
	if len(runs) == 0 {
		return fmt.Errorf("no finished pruning run in %s", strings.Join(c.Args().Slice(), ", "))
	}
	cs, err := pruner.Compare(runs)
	if err != nil {
		return err
	}
	if out != "" {
		if err := writeOutput(c, "out", out, func(w io.Writer) error {
			return reports.WritePareto(w, figFormat, comparisonFigure(cs), reports.Options{})
		}); err != nil {
			return err
		}
	}
	if format == "json" {
		return pruner.WriteComparisonsJSON(c.App.Writer, cs)
	}
	return pruner.WriteComparisons(c.App.Writer, cs)
}

// comparisonFigure puts every run at its predicted latency (% of its dense
// model's) and top-1, grouped by method, with the dense models at 100%.
func comparisonFigure(cs []pruner.Comparison) reports.ParetoFigure {
	fig := reports.ParetoFigure{Metric: reports.MetricAccuracy, LatencyLabel: "Predicted latency (% of the dense model's)"}
	type denseModel struct {
		dims     string
		ms, top1 float64
	}
	dense := map[denseModel]bool{}
	var models []string
	for _, c := range cs {
		for _, m := range c.MethodNames() {
			for _, r := range c.Methods[m] {
				fig.Points = append(fig.Points, reports.ParetoPoint{Name: filepath.Base(r.Dir), Group: methodLabel(m),
					LatencyMS: 100 * r.Final.Relative, Params: r.Final.Params, MACs: r.Final.MACs, Accuracy: 100 * r.Final.Accuracy})
			}
		}
		key := denseModel{c.Setting.Dense, c.Setting.DenseMS, c.Setting.DenseAcc}
		if !dense[key] && c.Setting.DenseAcc > 0 {
			dense[key] = true
			fig.Points = append(fig.Points, reports.ParetoPoint{Name: "dense", Group: "dense model", LatencyMS: 100, Accuracy: 100 * c.Setting.DenseAcc})
		}
		if !slices.Contains(models, c.Setting.Model) {
			models = append(models, c.Setting.Model)
		}
	}
	fig.Note = "cost model: " + models[0]
	if len(models) > 1 {
		fig.Note = fmt.Sprintf("%d cost models", len(models))
	}
	return fig
}

// methodLabel is how a method reads on a figure.
func methodLabel(m string) string {
	if m == pruner.BlindMethod {
		return "η = 0 (latency-blind)"
	}
	return strings.ReplaceAll(m, "eta", "η =")
}
