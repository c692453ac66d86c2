package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
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
		),
		Action: func(c *cli.Context) error {
			outPath := c.String("out")
			if outPath == "" {
				return usagef("--out FILE is required (.png, .svg or .pdf)")
			}
			format, err := reports.ParseFormat(filepath.Ext(outPath))
			if err != nil {
				return usagef("--out %s: %v", outPath, err)
			}
			metric := reports.Metric(c.String("metric"))
			switch {
			case metric == "" && c.String("accuracy") != "":
				metric = reports.MetricAccuracy
			case metric == "":
				metric = reports.MetricParams
			case metric != reports.MetricParams && metric != reports.MetricMACs && metric != reports.MetricAccuracy:
				return usagef("unknown --metric %q: want params, macs or accuracy", metric)
			}
			if metric == reports.MetricAccuracy && c.String("accuracy") == "" {
				return usagef("--metric accuracy needs --accuracy FILE")
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
			if err := writeFileAtomic(outPath, func(f *os.File) error {
				return reports.WritePareto(f, format, fig, reports.Options{})
			}); err != nil {
				return err
			}
			front := fig.FrontPoints()
			names := make([]string, len(front))
			for i, p := range front {
				names[i] = p.Name
			}
			fmt.Fprintf(c.App.Writer, "%d architectures plotted to %s; Pareto front (%s): %s\n",
				len(fig.Points), outPath, metric, strings.Join(names, ", "))
			if !c.Bool("quiet") {
				for _, w := range warnings {
					fmt.Fprintf(c.App.ErrWriter, "nvitprof: note: %s\n", w)
				}
			}
			return nil
		},
	}
}

// buildPareto collects the points: the DeiT family over the table's
// geometry, the rule's variants, user points and accuracies.
func buildPareto(c *cli.Context, cs costSource, metric reports.Metric) (reports.ParetoFigure, []string, error) {
	lat := latencyOf(cs.Model)
	h := cs.Model.Header()
	var warnings []string
	measured := map[string]float64{}
	if cs.Table != nil {
		for _, r := range cs.Table.Rows {
			if s, ok := tableSpec(h, r); ok {
				measured[dimKey(s)] = r.MedianMS
			}
		}
	}
	fig := reports.ParetoFigure{Metric: metric, LatencyLabel: latencyAxisLabel(h), Note: h.Summary()}
	add := func(s arch.Spec, group string, label bool) error {
		p := reports.ParetoPoint{Name: s.Name, Group: group, Params: s.Params(), MACs: s.MACs(), Accuracy: math.NaN(), Label: label}
		if ms, ok := measured[dimKey(s)]; ok {
			p.LatencyMS, p.Measured = ms, true
		} else {
			l, err := lat(s)
			if err != nil {
				return err
			}
			p.LatencyMS = l
		}
		fig.Points = append(fig.Points, p)
		return nil
	}
	// The DeiT family, in the table's geometry.
	var left []string
	var why error
	for _, d := range deitFamily(h) {
		if err := add(d, "DeiT", true); err != nil {
			left = append(left, d.Name)
			why = err
		}
	}
	if len(left) > 0 {
		warnings = append(warnings, fmt.Sprintf("left out, the cost model does not cover them: %s (%v)", strings.Join(left, ", "), why))
	}
	// The table's own model rows; their names may be given accuracies too.
	known := map[string]arch.Spec{}
	if cs.Table != nil {
		for _, r := range cs.Table.Rows {
			if s, ok := tableSpec(h, r); ok && !isDeiT(s, h) {
				if s.Name != "" {
					known[strings.ToLower(s.Name)] = s
				}
				if err := add(s, "table models", true); err != nil {
					warnings = append(warnings, fmt.Sprintf("%s left out: %v", s.Name, err))
				}
			}
		}
	}
	ref, err := defaultRef(c, cs)
	if err != nil {
		return fig, nil, err
	}
	budgets, _ := parseBudgets(c.String("budget"))
	prog := newProgress(c.App.ErrWriter, "pareto", len(budgets), c.Bool("quiet"))
	fam, err := family(c, cs, ref, func(done, _ int, v arch.Variant) { prog.step(done, v.Spec.Name) })
	prog.finish()
	if err != nil {
		return fig, nil, err
	}
	variants := known
	for _, v := range fam {
		variants[strings.ToLower(v.Spec.Name)] = v.Spec
		if err := add(v.Spec, "generated ("+c.String("name")+")", false); err != nil {
			return fig, nil, err
		}
	}
	// User points: presets, generated variants, the table's models or files.
	for _, name := range c.StringSlice("point") {
		s, err := resolveArch(name, "", variants)
		if err != nil {
			return fig, nil, usagef("--point: %v", err)
		}
		if err := add(s, "user", true); err != nil {
			return fig, nil, fmt.Errorf("--point %s: %w", name, err)
		}
	}
	if path := c.String("accuracy"); path != "" {
		accs, err := readAccuracy(path, variants)
		if err != nil {
			return fig, nil, err
		}
		for _, a := range accs {
			found := false
			for i := range fig.Points {
				if dimKeyOfPoint(fig.Points[i], a.spec) && fig.Points[i].Name == a.spec.Name {
					fig.Points[i].Accuracy, found = a.top1, true
				}
			}
			if !found {
				if err := add(a.spec, "user", true); err != nil {
					return fig, nil, fmt.Errorf("%s: %s: %w", path, a.name, err)
				}
				fig.Points[len(fig.Points)-1].Accuracy = a.top1
			}
		}
	}
	return fig, warnings, nil
}

func dimKeyOfPoint(p reports.ParetoPoint, s arch.Spec) bool {
	return p.Params == s.Params() && p.MACs == s.MACs()
}

// dimKey identifies an architecture by its geometry and dimensions.
func dimKey(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("%d/%d/%d %v %v %v %v %v", s.Tokens(), s.Image, s.Classes, d.EMB, d.Head, d.QK, d.V, d.MLP)
}

// deitFamily is DeiT-T/S/B in the table's geometry: the presets when the
// table's tokens are theirs (197, or 198 distilled), else DeiT shapes.
func deitFamily(h tablefmt.Header) []arch.Spec {
	var out []arch.Spec
	for _, n := range []string{"deit-t", "deit-s", "deit-b"} {
		for _, name := range []string{n, n + "-distilled"} {
			s, _ := arch.Preset(name)
			if s.Tokens() == h.Tokens && (h.Image == 0 || h.Image == s.Image) {
				out = append(out, s)
			}
		}
	}
	if len(out) > 0 || h.Patch <= 0 {
		return out
	}
	g := h.Geometry()
	for _, e := range []int{192, 384, 768} {
		out = append(out, arch.DeiT(fmt.Sprintf("deit-%d-shaped", e), e, 12, g))
	}
	return out
}

func isDeiT(s arch.Spec, h tablefmt.Header) bool {
	for _, d := range deitFamily(h) {
		if dimKey(d) == dimKey(s) {
			return true
		}
	}
	return false
}

// latencyAxisLabel says what the latency is: ms per batch of N.
func latencyAxisLabel(h tablefmt.Header) string {
	if h.Batch > 0 {
		return fmt.Sprintf("Latency (ms, batch %d)", h.Batch)
	}
	return "Latency (ms)"
}

// resolveArch finds an architecture: a preset, a generated variant, or a
// file (relative to dir when not absolute and not found as given).
func resolveArch(name, dir string, variants map[string]arch.Spec) (arch.Spec, error) {
	if s, err := arch.Preset(name); err == nil {
		return s, nil
	}
	if s, ok := variants[strings.ToLower(name)]; ok {
		return s, nil
	}
	path := name
	if _, err := os.Stat(path); err != nil && dir != "" && !filepath.IsAbs(name) {
		path = filepath.Join(dir, name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return arch.Spec{}, fmt.Errorf("unknown architecture %q: not a preset (%s), a generated variant, a model of the table, or a file", name, strings.Join(arch.PresetNames(), ", "))
		}
		return arch.Spec{}, fmt.Errorf("read %s: %w", name, err)
	}
	s, err := arch.ParseFile(data)
	if err != nil {
		return arch.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return s, nil
}

type accuracy struct {
	name string
	spec arch.Spec
	top1 float64
}

// readAccuracy reads "architecture,top1" lines (a header line is optional;
// # starts a comment); top-1 is in percent.
func readAccuracy(path string, variants map[string]arch.Spec) ([]accuracy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("accuracy: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []accuracy
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ln, _ := r.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: want 2 fields (architecture,top1), got %d", path, ln, len(rec))
		}
		v, perr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if perr != nil {
			if len(out) == 0 && ln == 1 {
				continue // a header line
			}
			return nil, fmt.Errorf("%s:%d: top-1 %q is not a number", path, ln, rec[1])
		}
		if v < 0 || v > 100 || math.IsNaN(v) {
			return nil, fmt.Errorf("%s:%d: top-1 %v is not a percentage", path, ln, v)
		}
		s, err := resolveArch(strings.TrimSpace(rec[0]), filepath.Dir(path), variants)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, ln, err)
		}
		out = append(out, accuracy{name: rec[0], spec: s, top1: v})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no accuracy lines", path)
	}
	return out, nil
}
