package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

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
			"(% of dense), one colour per selection, with the Pareto front. Example:\n" +
			"  nvitprof prune-compare --out compare.png pairs/",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "figure `FILE`: .png, .svg or .pdf"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("give one or more run directories (or folders of them)")
			}
			for _, a := range c.Args().Slice() {
				if strings.HasPrefix(a, "-") {
					return usagef("%s after the directories: flags go first (nvitprof prune-compare --out F DIR...)", a)
				}
			}
			format := c.String("format")
			if format != "text" && format != "json" {
				return usagef("unknown --format %q: want text or json", format)
			}
			var figFormat reports.Format
			if out := c.String("out"); out != "" {
				f, err := reports.ParseFormat(filepath.Ext(out))
				if err != nil {
					return usagef("--out %s: %v", out, err)
				}
				figFormat = f
			}
			runs, skipped, err := readRuns(c.Args().Slice())
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
			if out := c.String("out"); out != "" {
				if err := writeFileAtomic(out, func(f *os.File) error {
					return reports.WritePareto(f, figFormat, comparisonFigure(cs), reports.Options{})
				}); err != nil {
					return err
				}
			}
			if format == "json" {
				return writeComparisonJSON(c.App.Writer, cs)
			}
			printComparisons(c.App.Writer, cs)
			return nil
		},
	}
}

// readRuns reads every run named by paths: a run directory itself, or the
// run directories directly inside a folder. Unfinished runs are returned
// by name in skipped.
func readRuns(paths []string) (runs []pruner.RunSummary, skipped []string, err error) {
	read := func(dir string) error {
		r, err := pruner.ReadRun(dir)
		if errors.Is(err, pruner.ErrUnfinished) {
			skipped = append(skipped, dir)
			return nil
		}
		if err == nil {
			runs = append(runs, r)
		}
		return err
	}
	isRun := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, pruner.RunFile))
		return err == nil
	}
	for _, p := range paths {
		if isRun(p) {
			if err := read(p); err != nil {
				return nil, nil, err
			}
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		found := false
		for _, e := range entries {
			sub := filepath.Join(p, e.Name())
			if !e.IsDir() || !isRun(sub) {
				continue
			}
			found = true
			if err := read(sub); err != nil {
				return nil, nil, err
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("%s: neither a pruning run (no %s) nor a folder of them", p, pruner.RunFile)
		}
	}
	return runs, skipped, nil
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

func printComparisons(w io.Writer, cs []pruner.Comparison) {
	for i, c := range cs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		s := c.Setting
		fmt.Fprintf(w, "target %.3g × dense; dense %s, predicted %.4g ms, top-1 %.2f%%; cost model %s\n",
			s.Target, s.Dense, s.DenseMS, 100*s.DenseAcc, s.Model)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  method\truns\ttop-1 % by seed\tmean\tpredicted, % of dense\tparams (mean)")
		for _, m := range c.MethodNames() {
			rs := c.Methods[m]
			var accs []string
			var sum, params float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range rs {
				accs = append(accs, fmt.Sprintf("%d: %.2f", r.Seed, 100*r.Final.Accuracy))
				sum += 100 * r.Final.Accuracy
				params += float64(r.Final.Params)
				lo, hi = math.Min(lo, 100*r.Final.Relative), math.Max(hi, 100*r.Final.Relative)
			}
			n := float64(len(rs))
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%.2f\t%.1f–%.1f\t%.0f\n", m, len(rs), strings.Join(accs, " "), sum/n, lo, hi, params/n)
		}
		tw.Flush()
		for _, p := range c.Paired {
			var per []string
			for _, d := range p.Diffs {
				per = append(per, fmt.Sprintf("%+.2f", d))
			}
			se := "n/a with one seed"
			if !math.IsNaN(p.SE) {
				se = fmt.Sprintf("± %.3f", p.SE)
			}
			fmt.Fprintf(w, "  %s − %s, paired over %d seeds: %+.3f %s points (standard error); not worse in %d of %d; per seed %s\n",
				p.Method, pruner.BlindMethod, len(p.Diffs), p.Mean, se, p.NotWorse, len(p.Diffs), strings.Join(per, " "))
		}
		if len(c.Paired) == 0 && len(c.Methods) > 1 {
			fmt.Fprintf(w, "  no pairs: no %s run shares a seed with the others\n", pruner.BlindMethod)
		}
	}
	for _, p := range pruner.Pool(cs) {
		if p.Settings < 2 {
			continue
		}
		fmt.Fprintf(w, "\npooled over the %d settings at target %.3g: %s − %s, %d pairs: %+.3f ± %.3f points (standard error); not worse in %d of %d\n",
			p.Settings, p.Target, p.Method, pruner.BlindMethod, len(p.Diffs), p.Mean, p.SE, p.NotWorse, len(p.Diffs))
	}
}

// comparisonJSON is one setting of the JSON output.
type comparisonJSON struct {
	Target   float64          `json:"target"`
	Dense    string           `json:"dense"`
	DenseMS  float64          `json:"dense_ms"`
	DenseTop float64          `json:"dense_top1"`
	Model    string           `json:"cost_model"`
	Runs     []runJSON        `json:"runs"`
	Paired   []pairedDiffJSON `json:"paired"`
}

type runJSON struct {
	Dir         string  `json:"dir"`
	Method      string  `json:"method"`
	Seed        uint64  `json:"seed"`
	Top1        float64 `json:"top1"`
	PredictedMS float64 `json:"predicted_ms"`
	Relative    float64 `json:"relative"`
	Params      int64   `json:"params"`
	Dims        string  `json:"dims"`
}

type pairedDiffJSON struct {
	Method   string    `json:"method"`
	Seeds    []uint64  `json:"seeds"`
	Diffs    []float64 `json:"diffs"`
	Mean     float64   `json:"mean"`
	SE       *float64  `json:"se"` // null with one seed
	NotWorse int       `json:"not_worse"`
}

// comparisonsJSON is the JSON output: the settings and the pools over
// settings of one target.
type comparisonsJSON struct {
	Settings []comparisonJSON `json:"settings"`
	Pooled   []pooledJSON     `json:"pooled"`
}

type pooledJSON struct {
	Target   float64 `json:"target"`
	Settings int     `json:"settings"`
	pairedDiffJSON
}

func pairedJSON(p pruner.PairedDiff) pairedDiffJSON {
	pj := pairedDiffJSON{Method: p.Method, Seeds: p.Seeds, Diffs: p.Diffs, Mean: p.Mean, NotWorse: p.NotWorse}
	if !math.IsNaN(p.SE) {
		se := p.SE
		pj.SE = &se
	}
	return pj
}

func writeComparisonJSON(w io.Writer, cs []pruner.Comparison) error {
	out := comparisonsJSON{Settings: []comparisonJSON{}, Pooled: []pooledJSON{}}
	for _, c := range cs {
		s := c.Setting
		j := comparisonJSON{Target: s.Target, Dense: s.Dense, DenseMS: s.DenseMS, DenseTop: 100 * s.DenseAcc, Model: s.Model,
			Runs: []runJSON{}, Paired: []pairedDiffJSON{}}
		for _, m := range c.MethodNames() {
			for _, r := range c.Methods[m] {
				j.Runs = append(j.Runs, runJSON{Dir: r.Dir, Method: m, Seed: r.Seed, Top1: 100 * r.Final.Accuracy,
					PredictedMS: r.Final.PredictedMS, Relative: r.Final.Relative, Params: r.Final.Params, Dims: r.Final.Dim.String()})
			}
		}
		for _, p := range c.Paired {
			j.Paired = append(j.Paired, pairedJSON(p))
		}
		out.Settings = append(out.Settings, j)
	}
	for _, p := range pruner.Pool(cs) {
		out.Pooled = append(out.Pooled, pooledJSON{Target: p.Target, Settings: p.Settings, pairedDiffJSON: pairedJSON(p.PairedDiff)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
