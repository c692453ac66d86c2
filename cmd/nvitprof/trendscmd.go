package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func trendsCmd() *cli.Command {
	return &cli.Command{
		Name:      "trends",
		Usage:     "per-block dimension trends of pruned architectures, and the redistribution rule fitted to them",
		ArgsUsage: "DIM.json|RUNDIR...",
		Description: "Reads architectures of one depth and geometry: NViT dim files (or nvitprof architecture files)\n" +
			"and pruning run directories of nvitprof prune (their pruned.json, and the dense model from run.json).\n" +
			"Draws heads, QK and V per head and MLP width per block, as fractions of the dense model (--dense,\n" +
			"or the runs') or over each model's EMB, with the fitted rule's profile; writes the numbers as CSV\n" +
			"and the rule as a rule file for generate. The rule: heads = ε·EMB/D_h, QK = ε·EMB/D_qk, V, MLP =\n" +
			"F·ε·EMB, ε piecewise constant along the depth (the narrowest block has ε = 1), fitted by least\n" +
			"squares on ln(value/EMB), and exactly when some rule reproduces every model. Files of those\n" +
			"names already in DIR are refused unless --force, which replaces them. Example:\n" +
			"  nvitprof trends --out trends/ runs/seed1 runs/seed2 runs/seed3",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` for trends.png/.svg/.pdf, trends.csv and rule.json"},
			&cli.StringFlag{Name: "dense", Usage: "the unpruned reference (preset `NAME` or architecture file); default: the runs' dense model"},
			&cli.IntFlag{Name: "segments", Usage: "constant pieces of the ε profile, 1 to the depth (default: the fewest that fit exactly, else by BIC)"},
			&cli.StringFlag{Name: "template", Usage: "rule `FILE` whose steps and roundings the fit keeps (default: the paper's)"},
			&cli.StringFlag{Name: "scale", Usage: "figure y axes: kept (fraction of the dense value) or emb (value / EMB); default kept with a dense model"},
			&cli.StringFlag{Name: "formats", Value: "png,svg,pdf", Usage: "figure formats, comma-separated: png, svg, pdf"},
			&cli.StringFlag{Name: "caption", Usage: "the figure's one-line caption (default: what the models are)"},
			forceFlag(),
		},
		Action: trendsAction,
	}
}

// trendsInput is what the arguments hold: the models, the dense model the
// runs recorded, and a caption describing them.
type trendsInput struct {
	models  []arch.Spec
	dense   *arch.Spec
	caption string
}

func trendsAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("give the architectures: NViT dim files or pruning run directories")
	}
	formats, err := trendsOutput(c)
	if err != nil {
		return err
	}
	scale := reports.TrendScale(c.String("scale"))
	if scale != "" && scale != reports.TrendKept && scale != reports.TrendPerEMB {
		return usagef("unknown --scale %q: want kept or emb", scale)
	}
	opt := arch.FitOptions{Segments: c.Int("segments")}
	if opt.Segments < 0 {
		return usagef("--segments %d: want 1 or more (0 chooses)", opt.Segments)
	}
	if p := c.String("template"); p != "" {
		if opt.Template, err = arch.ReadRuleFile(p); err != nil {
			return err
		}
	}
	in, err := readTrendsInput(c.Args().Slice())
	if err != nil {
		return err
	}
	if name := c.String("dense"); name != "" {
		d, err := loadArch("dense", name)
		if err != nil {
			return err
		}
		in.dense = &d
	}
	if scale == reports.TrendKept && in.dense == nil {
		return usagef("--scale kept needs the dense model: give --dense NAME|FILE")
	}
	tr, err := arch.NewTrends(in.models, in.dense)
	if err != nil {
		return err
	}
	fit, err := arch.FitRule(tr, opt)
	if err != nil {
		return err
	}
	caption := c.String("caption")
	if caption == "" {
		caption = in.caption
	}
	fig := reports.TrendsFigure{Trends: tr, Fit: &fit, Scale: scale, Caption: caption}
	if err := writeTrends(c.String("out"), formats, fig); err != nil {
		return err
	}
	for _, w := range fit.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "nvitprof: note: %s\n", w)
	}
	return printFit(c.App.Writer, tr, fit, c.String("out"))
}

// readTrendsInput reads every argument: a pruning run directory (its
// pruned architecture; its dense model) or an architecture file.
func readTrendsInput(args []string) (trendsInput, error) {
	var in trendsInput
	var denseDim, costModel string
	runs := 0
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return in, err
		}
		if !st.IsDir() {
			s, err := readArchFile(a)
			if err != nil {
				return in, err
			}
			in.models = append(in.models, s)
			continue
		}
		s, run, err := pruner.ReadPrunedRun(a)
		if err != nil {
			return in, err
		}
		if denseDim != "" && run.Dense.String() != denseDim {
			return in, fmt.Errorf("%s pruned another dense model (%s) than the runs before it (%s)", a, run.Dense, denseDim)
		}
		denseDim, costModel = run.Dense.String(), run.Model
		blocks, err := run.Dense.Blocks()
		if err != nil {
			return in, fmt.Errorf("%s: dense model: %w", a, err)
		}
		d := s.Geometry().Model("the dense model", run.Dense.EMB, blocks)
		in.dense = &d
		in.models = append(in.models, s)
		runs++
	}
	in.caption = fmt.Sprintf("%d architectures: %s", len(in.models), modelNames(in.models))
	if runs == len(args) {
		in.caption = fmt.Sprintf("%d models pruned from the same dense model; latency: %s", runs, costModel)
	}
	return in, nil
}

// readArchFile reads an architecture (dim) file, named after the file
// when it names nothing.
func readArchFile(path string) (arch.Spec, error) {
	s, err := arch.ReadFile(path)
	if err != nil {
		return arch.Spec{}, err
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return s, nil
}

func modelNames(models []arch.Spec) string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// trendsOutput checks --out and --formats, and that the files to write
// are not there (unless --force).
func trendsOutput(c *cli.Context) ([]reports.Format, error) {
	if c.String("out") == "" {
		return nil, usagef("--out DIR is required: where the figure, trends.csv and rule.json go")
	}
	formats, err := reports.ParseFormats(c.String("formats"))
	if err != nil {
		return nil, usageError{err}
	}
	return formats, checkOverwrite(c, "out", trendsFiles(c.String("out"), formats)...)
}

// trendsFiles are the files writeTrends writes into dir.
func trendsFiles(dir string, formats []reports.Format) []string {
	var files []string
	for _, f := range formats {
		files = append(files, filepath.Join(dir, "trends."+string(f)))
	}
	return append(files, filepath.Join(dir, "trends.csv"), filepath.Join(dir, "rule.json"))
}

// writeTrends writes the figure in every format, trends.csv and rule.json
// into dir, all or nothing.
func writeTrends(dir string, formats []reports.Format, fig reports.TrendsFigure) error {
	out, err := newOutDir(dir)
	if err != nil {
		return err
	}
	defer out.Abort()
	for _, f := range formats {
		err := out.WriteFile("trends."+string(f), func(w io.Writer) error {
			return reports.WriteTrends(w, f, fig, reports.Options{})
		})
		if err != nil {
			return err
		}
	}
	err = out.WriteFile("trends.csv", func(w io.Writer) error { return arch.WriteTrendsCSV(w, fig.Trends, fig.Fit) })
	if err != nil {
		return err
	}
	note := fmt.Sprintf("fitted by nvitprof trends to %s", modelNames(fig.Trends.Models))
	rule, err := arch.MarshalRule(fig.Fit.Rule, note)
	if err != nil {
		return err
	}
	if err := out.WriteFile("rule.json", writeBytes(rule)); err != nil {
		return err
	}
	return out.Commit()
}

// printFit prints the fitted rule, its profile and its residuals.
func printFit(w io.Writer, tr *arch.Trends, fit arch.RuleFit, dir string) error {
	fmt.Fprintf(w, "fitted rule: %s\n", fit.Rule)
	fmt.Fprintf(w, "profile: %s\n", fit.Profile())
	if fit.Exact {
		what := "the model"
		if len(tr.Models) > 1 {
			what = fmt.Sprintf("all %d models", len(tr.Models))
		}
		fmt.Fprintf(w, "exact: the rule regenerates %s, block for block\n", what)
	} else {
		fmt.Fprintf(w, "residuals of the rule at each model's EMB (log-space RMS %.3g):\n", fit.LogRMS)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "dimension\tvalues\tmean |Δ|\tmax |Δ|\tmean rel\tmax rel\tremoved\t")
		for _, r := range fit.Residuals {
			fmt.Fprintf(tw, "%s\t%d\t%.3g\t%.3g\t%.1f%%\t%.1f%%\t%d\t\n", r.Dim.Name(), r.N, r.MeanAbs, r.MaxAbs,
				100*r.MeanRel, 100*r.MaxRel, r.Removed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "written to %s: the figure, trends.csv, rule.json (use with generate --rule)\n", dir)
	return err
}
