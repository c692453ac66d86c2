package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func paretoCmd() *cli.Command {
	return &cli.Command{
		Name:  "pareto",
		Usage: "plot latency against params, MACs or accuracy: DeiT family, generated variants, your architectures, and the Pareto front",
		Description: "Latency is measured where the table has a model row for the architecture (filled marker) and\n" +
			"predicted otherwise (open marker). Accuracy comes from --accuracy, a CSV of architecture\n" +
			"(preset name, generated variant name, or architecture file) and top-1 %. Examples:\n" +
			"  nvitprof pareto --table nvit_latency_head_v100.json --out pareto.png\n" +
			"  nvitprof pareto --model v100-hw.json --accuracy acc.csv --metric accuracy --out pareto.pdf",
		Flags: append(append(costFlags(), ruleFlags()...),
			&cli.StringFlag{Name: "accuracy", Usage: "CSV `FILE` of architecture,top1 lines"},
			&cli.StringFlag{Name: "metric", Usage: "y axis: params, macs or accuracy (default accuracy with --accuracy, else params)"},
			&cli.StringSliceFlag{Name: "point", Usage: "an architecture `FILE` or preset to add as a user point (repeatable)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "figure `FILE`: .png, .svg or .pdf"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
			forceFlag(),
		),
		Action: paretoAction,
	}
}

func paretoAction(c *cli.Context) error {
	outPath := c.String("out")
	if outPath == "" {
		return usagef("--out FILE is required (.png, .svg or .pdf)")
	}
	format, err := reports.ParseFormat(filepath.Ext(outPath))
	if err != nil {
		return usagef("--out %s: %v", outPath, err)
	}
	if err := checkOverwrite(c, "out", outPath); err != nil {
		return err
	}
	metric, err := paretoMetric(c)
	if err != nil {
		return err
	}
	if _, err := parseBudgets(c.String("budget")); err != nil {
		return err
	}
	cs, err := loadCost(c)
	if err != nil {
		return err
	}
	fig, warnings, err := buildPareto(c, cs, metric)
	if err != nil {
		return err
	}
	return writeParetoFigure(c, outPath, format, fig, warnings)
}

// paretoMetric is --metric, by default accuracy with --accuracy, else params.
func paretoMetric(c *cli.Context) (reports.Metric, error) {
	metric := reports.Metric(c.String("metric"))
	switch {
	case metric == "" && c.String("accuracy") != "":
		metric = reports.MetricAccuracy
	case metric == "":
		metric = reports.MetricParams
	case metric != reports.MetricParams && metric != reports.MetricMACs && metric != reports.MetricAccuracy:
		return "", usagef("unknown --metric %q: want params, macs or accuracy", metric)
	}
	if metric == reports.MetricAccuracy && c.String("accuracy") == "" {
		return "", usagef("--metric accuracy needs --accuracy FILE")
	}
	return metric, nil
}

// buildPareto generates the rule's variants, resolves --point and
// --accuracy, and assembles the figure (reports.BuildPareto).
func buildPareto(c *cli.Context, cs costSource, metric reports.Metric) (reports.ParetoFigure, []string, error) {
	ref, err := defaultRef(c, cs)
	if err != nil {
		return reports.ParetoFigure{}, nil, err
	}
	budgets, _ := parseBudgets(c.String("budget"))
	prog := newProgress(c.App.ErrWriter, "pareto", len(budgets), c.Bool("quiet"))
	fam, err := family(c, cs, ref, func(done, _ int, v arch.Variant) { prog.step(done, v.Spec.Name) })
	prog.finish()
	if err != nil {
		return reports.ParetoFigure{}, nil, err
	}
	h, models := cs.Model.Header(), cs.models()
	known := reports.KnownArchs(h, models, fam)
	in := reports.ParetoInput{Header: h, Latency: costmodel.LatencyFunc(cs.Model), Models: models,
		Variants: fam, VariantGroup: variantGroup(c.String("name")), Metric: metric}
	for _, name := range c.StringSlice("point") {
		s, err := reports.ResolveArch(name, known, archFileLoader(""))
		if err != nil {
			return reports.ParetoFigure{}, nil, usagef("--point: %v", err)
		}
		in.User = append(in.User, reports.NamedArch{Name: name, Spec: s})
	}
	if path := c.String("accuracy"); path != "" {
		if in.Accuracy, err = readAccuracy(path, known); err != nil {
			return reports.ParetoFigure{}, nil, err
		}
	}
	fig, warnings, err := reports.BuildPareto(in)
	var pe *reports.PointError
	if errors.As(err, &pe) {
		err = fmt.Errorf("--point %s: %w", pe.Name, pe.Err)
	}
	return fig, warnings, err
}

// readAccuracy reads the --accuracy file; architecture files it names are
// found as given or beside it.
func readAccuracy(path string, known map[string]arch.Spec) ([]reports.Accuracy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("accuracy: %w", err)
	}
	defer f.Close()
	return reports.ReadAccuracy(f, path, func(name string) (arch.Spec, error) {
		return reports.ResolveArch(name, known, archFileLoader(filepath.Dir(path)))
	})
}

// archFileLoader reads architecture files (NViT dim JSON) for
// reports.ResolveArch: a name as given, else relative to dir; a file's
// architecture without a name is named after the file.
func archFileLoader(dir string) func(string) (arch.Spec, error) {
	return func(name string) (arch.Spec, error) {
		path := name
		if _, err := os.Stat(path); err != nil && dir != "" && !filepath.IsAbs(name) {
			path = filepath.Join(dir, name)
		}
		s, err := arch.ReadFile(path)
		var pe *fs.PathError
		if errors.As(err, &pe) && !errors.Is(err, os.ErrNotExist) {
			return arch.Spec{}, fmt.Errorf("read %s: %w", name, err)
		}
		if err != nil {
			return arch.Spec{}, err
		}
		if s.Name == "" {
			s.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		}
		return s, nil
	}
}

// writeParetoFigure writes fig to path and says what it drew: how many
// architectures, the front, and notes (unless --quiet).
func writeParetoFigure(c *cli.Context, path string, format reports.Format, fig reports.ParetoFigure, warnings []string) error {
	if err := writeOutput(c, "out", path, func(w io.Writer) error {
		return reports.WritePareto(w, format, fig, reports.Options{})
	}); err != nil {
		return err
	}
	var names []string
	for _, p := range fig.FrontPoints() {
		if len(p.Aliases) > 0 {
			p.Name += " (= " + strings.Join(p.Aliases, ", ") + ")"
		}
		names = append(names, p.Name)
	}
	fmt.Fprintf(c.App.Writer, "%d architectures plotted to %s; Pareto front (%s): %s\n",
		len(fig.Points), path, fig.Metric, strings.Join(names, ", "))
	if !c.Bool("quiet") {
		for _, w := range warnings {
			fmt.Fprintf(c.App.ErrWriter, "nvitprof: note: %s\n", w)
		}
	}
	return nil
}
