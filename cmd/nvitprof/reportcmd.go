package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func reportCmd() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write every figure that applies to a latency table, and an index page (Markdown)",
		Description: "Figures: latency along each dimension with the cost model (staircases), a heads × QK heat map,\n" +
			"predicted against measured latency (k-fold) with ±5%/±10% bands, the Pareto front of the DeiT\n" +
			"family and the rule's variants, their per-block dimensions, and a pruning trajectory when\n" +
			"--trajectory is given. index.md lists them with the table's header and the model's accuracy.\n" +
			"Example: nvitprof report --table quick.jsonl --out report/",
		Flags: append(append(costFlags(), ruleFlags()...),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR`"},
			&cli.StringFlag{Name: "formats", Value: "png,svg,pdf", Usage: "figure formats, comma-separated: png, svg, pdf"},
			&cli.StringFlag{Name: "trajectory", Usage: "a pruning run's per-step log `FILE` (nvitprof prune's log.jsonl, or JSON lines of {step, latency_ms, accuracy %})"},
			&cli.IntFlag{Name: "folds", Value: 5, Usage: "`K` of the k-fold evaluation"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
		),
		Action: func(c *cli.Context) error {
			if c.String("table") == "" {
				return usagef("--table FILE is required: the report describes a table (add --model M to predict with a saved model)")
			}
			var formats []reports.Format
			for _, f := range strings.Split(c.String("formats"), ",") {
				ff, err := reports.ParseFormat(strings.TrimSpace(f))
				if err != nil {
					return usageError{err}
				}
				formats = append(formats, ff)
			}
			if _, err := parseBudgets(c.String("budget")); err != nil {
				return err
			}
			var traj *reports.Trajectory
			if p := c.String("trajectory"); p != "" {
				t, err := readTrajectory(p)
				if err != nil {
					return err
				}
				traj = &t
			}
			kind, err := modelKind(c)
			if err != nil && c.String("model") == "" {
				return err
			}
			lt, err := loadTable(c)
			if err != nil {
				return err
			}
			var m *costmodel.Model
			if c.String("model") != "" {
				if m, err = costmodel.LoadFile(c.String("model")); err != nil {
					return err
				}
				kind = m.Kind()
			} else if m, err = fitTable(lt, kind); err != nil {
				return err
			}
			out, err := newOutDir(c.String("out"))
			if err != nil {
				return err
			}
			defer out.abort()
			return writeReport(c, out, lt, m, kind, formats, traj)
		},
	}
}

// reportFigure is one figure of a report: its base name and caption.
type reportFigure struct {
	name, caption string
	draw          func(w io.Writer, f reports.Format) error
}

func writeReport(c *cli.Context, out *outDir, lt loadedTable, m *costmodel.Model, kind costmodel.ModelKind,
	formats []reports.Format, traj *reports.Trajectory) error {
	h := lt.Header
	latLabel := latencyAxisLabel(h)
	var figs []reportFigure
	var notes []string
	for _, sw := range reports.Sweeps(lt.Table, m) {
		sw := sw
		figs = append(figs, reportFigure{name: "latency-" + string(sw.Dim),
			caption: fmt.Sprintf("Latency against %s (%s rows; %s): measured points and the %s model.", sw.Dim, sw.Kind, sw.Fixed, m.Kind()),
			draw: func(w io.Writer, f reports.Format) error {
				return reports.WriteStaircase(w, f, sw, latLabel, reports.Options{})
			}})
	}
	if g, ok := reports.HeadsQKGrid(lt.Table); ok {
		unit := "ms"
		if h.Batch > 0 {
			unit = fmt.Sprintf("ms, batch %d", h.Batch)
		}
		figs = append(figs, reportFigure{name: "heads-qk", caption: "Measured latency over heads × QK per head (" + g.Fixed + ").",
			draw: func(w io.Writer, f reports.Format) error {
				return reports.WriteHeatMap(w, f, g, unit, reports.Options{})
			}})
	}
	prog := newProgress(c.App.ErrWriter, "report", 3, c.Bool("quiet"))
	prog.logf("report: evaluating the %s model (%d-fold) on %d rows", kind, c.Int("folds"), len(lt.Rows))
	ev, err := costmodel.Eval(lt.Table, costmodel.EvalOptions{Kind: kind, Folds: c.Int("folds")})
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	ev.Source.Path, ev.Source.Format = lt.Path, lt.Format
	prog.step(1, "eval")
	if len(ev.Rows) > 0 {
		all := costmodel.ComputeMetrics(evalPairs(ev))
		note := fmt.Sprintf("%s model, %d-fold: MAPE %.1f%%, %.0f%% within ±10%%", kind, ev.Folds, float64(all.MAPE), float64(all.Within10))
		figs = append(figs, reportFigure{name: "predicted-vs-measured",
			caption: "Predicted against measured latency of rows held out of the fit (k-fold), with ±5% and ±10% bands.",
			draw: func(w io.Writer, f reports.Format) error {
				return reports.WritePredictedVsMeasured(w, f, reports.PredVsMeasured{Rows: ev.Rows, LatencyLabel: strings.TrimSuffix(strings.TrimPrefix(latLabel, "Latency ("), ")"), Note: note}, reports.Options{})
			}})
	}
	cs := costSource{Model: m, Table: &lt}
	fig, warns, perr := buildPareto(c, cs, reports.MetricParams)
	prog.step(2, "pareto")
	if perr != nil {
		notes = append(notes, fmt.Sprintf("no Pareto figure: %v", perr))
	} else {
		notes = append(notes, warns...)
		for _, metric := range []reports.Metric{reports.MetricParams, reports.MetricMACs} {
			fm := fig
			fm.Metric = metric
			figs = append(figs, reportFigure{name: "pareto-" + string(metric),
				caption: fmt.Sprintf("Latency against %s: the DeiT family, the table's models and the redistribution rule's variants; the dashed step line is the Pareto front.", metric.Label()),
				draw:    func(w io.Writer, f reports.Format) error { return reports.WritePareto(w, f, fm, reports.Options{}) }})
		}
		if ref, err := defaultRef(c, cs); err == nil {
			if fam, err := family(c, cs, ref, nil); err == nil && len(fam) > 0 {
				specs := []arch.Spec{ref}
				for _, i := range []int{0, len(fam) / 2, len(fam) - 1} {
					if s := fam[i].Spec; s.Name != specs[len(specs)-1].Name {
						specs = append(specs, s)
					}
				}
				figs = append(figs, reportFigure{name: "block-dims",
					caption: "Per-block dimensions of the reference and of the smallest, middle and largest generated variants (NViT's Fig. 4).",
					draw: func(w io.Writer, f reports.Format) error {
						return reports.WriteBlockDims(w, f, specs, reports.Options{})
					}})
			}
		}
	}
	if traj != nil {
		figs = append(figs, reportFigure{name: "trajectory", caption: "Pruning trajectory: latency and accuracy per step.",
			draw: func(w io.Writer, f reports.Format) error {
				return reports.WriteTrajectory(w, f, *traj, reports.Options{})
			}})
	}
	for i, fg := range figs {
		for _, f := range formats {
			name := fg.name + "." + string(f)
			fh, err := out.create(name)
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(fh)
			err = fg.draw(bw, f)
			if err == nil {
				err = bw.Flush()
			}
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("figure %s: %w", name, err)
			}
		}
		prog.logf("report: %d/%d %s", i+1, len(figs), fg.name)
	}
	prog.step(3, "figures")
	prog.finish()
	var idx bytes.Buffer
	writeIndex(&idx, lt, m, ev, figs, formats, notes)
	if err := out.write("index.md", idx.Bytes()); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%d figures (%d files) and index.md written to %s\n", len(figs), len(figs)*len(formats), c.String("out"))
	return nil
}

// evalPairs are the predicted and measured latencies of every predicted row.
func evalPairs(ev *costmodel.Evaluation) (pred, meas []float64) {
	for _, r := range ev.Rows {
		if r.Refused == "" && !math.IsNaN(float64(r.PredictedMS)) && r.MeasuredMS > 0 {
			pred = append(pred, float64(r.PredictedMS))
			meas = append(meas, r.MeasuredMS)
		}
	}
	return pred, meas
}

func writeIndex(w *bytes.Buffer, lt loadedTable, m *costmodel.Model, ev *costmodel.Evaluation, figs []reportFigure, formats []reports.Format, notes []string) {
	h := lt.Header
	fmt.Fprintf(w, "# Latency report: %s\n\n", lt.Path)
	fmt.Fprintf(w, "Generated by nvitprof %s on %s.\n\n## Table\n\n", version, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "| field | value |\n|---|---|\n")
	row := func(k string, v any) {
		s := fmt.Sprint(v)
		if s == "" || s == "0" {
			return
		}
		fmt.Fprintf(w, "| %s | %s |\n", k, strings.ReplaceAll(s, "|", "\\|"))
	}
	row("file", lt.Path)
	row("format", lt.Format)
	row("summary", h.Summary())
	row("device", h.Device)
	row("device name", h.DeviceName)
	row("runtime", h.Runtime)
	row("backend", h.Backend)
	row("plugin version", h.PluginVersion)
	row("dtype", h.DType)
	row("batch", h.Batch)
	row("tokens", h.Tokens)
	if h.Image > 0 {
		row("geometry", fmt.Sprintf("%d² image, %d² patches, %d channels, %d classes", h.Image, h.Patch, h.Channels, h.Classes))
	}
	if h.Method.Name != "" {
		mj, _ := json.Marshal(h.Method)
		row("timing method", "`"+string(mj)+"`")
	}
	row("source", h.Source)
	row("nvitprof version", h.NVitProfVersion)
	if !h.Time.IsZero() {
		row("measured", h.Time.Format(time.RFC3339))
	}
	row("host", h.Host)
	for _, n := range h.Notes {
		row("note", n)
	}
	counts := map[tablefmt.Kind]int{}
	noisy := 0
	for _, r := range lt.Rows {
		counts[r.Kind]++
		if r.Noisy {
			noisy++
		}
	}
	var parts []string
	for _, k := range tablefmt.Kinds() {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	row("rows", strings.Join(parts, ", "))
	if noisy > 0 {
		row("noisy rows", fmt.Sprintf("%d (spread above the noise threshold)", noisy))
	}
	fmt.Fprintf(w, "\n## Cost model accuracy\n\n%s model", m.Kind())
	if p := m.Source().Path; p != "" && p != lt.Path {
		fmt.Fprintf(w, " (from %s)", p)
	}
	fmt.Fprintf(w, "; %d-fold cross-validation, seed %d (`nvitprof eval --table %s --kind %s`).\n\n", ev.Folds, ev.Seed, lt.Path, ev.Model)
	fmt.Fprintf(w, "| rows | kind | predicted | MAPE | RMSPE | ±5%% | ±10%% | max err | Spearman | how |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var foot []string
	for _, g := range ev.Groups {
		marks := ""
		for _, wm := range g.Warnings {
			foot = append(foot, wm)
			marks += fmt.Sprintf(" (%d)", len(foot))
		}
		fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s%s |\n", g.Rows, g.Kind, g.N, pctMD(g.MAPE), pctMD(g.RMSPE),
			pctMD(g.Within5), pctMD(g.Within10), pctMD(g.MaxAPE), corrMD(g.Spearman), g.How, marks)
	}
	if len(foot) > 0 || len(ev.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	for i, f := range foot {
		fmt.Fprintf(w, "%d. %s\n", i+1, f)
	}
	for _, n := range ev.Warnings {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
	fmt.Fprintf(w, "\n## Figures\n\n")
	for _, fg := range figs {
		var links []string
		for _, f := range formats {
			links = append(links, fmt.Sprintf("[%s](%s.%s)", strings.ToUpper(string(f)), fg.name, f))
		}
		fmt.Fprintf(w, "### %s\n\n%s (%s)\n\n", fg.name, fg.caption, strings.Join(links, ", "))
		if hasFormat(formats, reports.PNG) {
			fmt.Fprintf(w, "![%s](%s.png)\n\n", fg.name, fg.name)
		} else if hasFormat(formats, reports.SVG) {
			fmt.Fprintf(w, "![%s](%s.svg)\n\n", fg.name, fg.name)
		}
	}
	if len(notes) > 0 {
		sort.Strings(notes)
		fmt.Fprintf(w, "## Notes\n\n")
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

func hasFormat(fs []reports.Format, f reports.Format) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

func pctMD(f costmodel.NullFloat) string {
	if math.IsNaN(float64(f)) {
		return "~"
	}
	return fmt.Sprintf("%.2f%%", float64(f))
}

func corrMD(f costmodel.NullFloat) string {
	if math.IsNaN(float64(f)) {
		return "~"
	}
	return fmt.Sprintf("%.4f", float64(f))
}

// trajectoryLine is one step of a pruning log: nvitprof prune's log.jsonl
// (predicted_ms, accuracy as a fraction, target_ms), or a hand-made file of
// reports.TrajectoryStep (latency_ms, accuracy in %).
type trajectoryLine struct {
	Step        int      `json:"step"`
	LatencyMS   *float64 `json:"latency_ms"`
	PredictedMS *float64 `json:"predicted_ms"`
	Accuracy    *float64 `json:"accuracy"`
	Params      int64    `json:"params"`
	TargetMS    float64  `json:"target_ms"`
}

// readTrajectory reads a pruning log: JSON lines or one JSON array.
func readTrajectory(path string) (reports.Trajectory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return reports.Trajectory{}, fmt.Errorf("trajectory: %w", err)
	}
	var lines []trajectoryLine
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		err = json.Unmarshal(trimmed, &lines)
	} else {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for dec.More() {
			var l trajectoryLine
			if err = dec.Decode(&l); err != nil {
				break
			}
			lines = append(lines, l)
		}
	}
	if err != nil {
		return reports.Trajectory{}, fmt.Errorf("%s: %w", path, err)
	}
	var tr reports.Trajectory
	for _, l := range lines {
		s := reports.TrajectoryStep{Step: l.Step, Params: l.Params, Accuracy: math.NaN()}
		switch {
		case l.LatencyMS != nil:
			s.LatencyMS = *l.LatencyMS
			if l.Accuracy != nil {
				s.Accuracy = *l.Accuracy
			}
		case l.PredictedMS != nil: // nvitprof prune's log: accuracy is a fraction
			s.LatencyMS = *l.PredictedMS
			if l.Accuracy != nil {
				s.Accuracy = 100 * *l.Accuracy
			}
			tr.TargetMS = l.TargetMS
		default:
			return reports.Trajectory{}, fmt.Errorf("%s: step %d has neither latency_ms nor predicted_ms", path, l.Step)
		}
		tr.Steps = append(tr.Steps, s)
	}
	if len(tr.Steps) == 0 {
		return reports.Trajectory{}, fmt.Errorf("%s: no steps", path)
	}
	return tr, nil
}
