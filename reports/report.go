package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ReportInput is what a report describes. Only Table is required; each
// optional part that is missing leaves out the figures that need it.
type ReportInput struct {
	Table tablefmt.Table
	// Path and Format say where the table was read from, for the index page.
	Path, Format string
	// Model is the cost model drawn with the measurements and, with the
	// family, the latency of the Pareto figures; nil: measurements only.
	Model *costmodel.Model
	// Eval is a k-fold evaluation (costmodel.Eval) on Table: the accuracy
	// section and the predicted-against-measured figure.
	Eval *costmodel.Evaluation
	// Ref and Family are the budgets' reference and the rule's variants
	// (arch.Family): the Pareto figures and the per-block dimensions.
	Ref         arch.Spec
	Family      []arch.Variant
	FamilyGroup string // the variants' legend, default "generated"
	// FamilyErr, when the family could not be generated, says why: the
	// Pareto and block-dims figures are left out with a note.
	FamilyErr  error
	Trajectory *Trajectory // a pruning run: the trajectory figure
	Formats    []Format    // the files of each figure; default PNG, SVG, PDF
	Version    string      // nvitprof's, for the index page
	Time       time.Time   // when the report was made; zero: not stated
}

// Figure is one figure of a report: its files are Name + "." + format.
type Figure struct {
	Name    string // e.g. "latency-mlp"
	Caption string
	draw    func(w io.Writer, f Format) error
}

// Write draws the figure to w in format f.
func (fg Figure) Write(w io.Writer, f Format) error { return fg.draw(w, f) }

// Report is the figures that apply to a table and the index page that
// lists them.
type Report struct {
	Figures []Figure
	Formats []Format
	// Notes are what was left out and why, and caveats: the index page's
	// last section.
	Notes []string
	in    ReportInput
}

// NewReport decides which figures apply to in, in this order: latency along
// each dimension the table varies ("latency-<dim>", with the model's
// staircase), heads × QK ("heads-qk", when the table varies both),
// predicted against measured ("predicted-vs-measured", with an evaluation),
// the Pareto fronts over parameters and MACs ("pareto-params",
// "pareto-macs") and the per-block dimensions of the reference and the
// smallest, middle and largest variants ("block-dims"), with a model and a
// family, and the pruning trajectory ("trajectory"). Nothing is drawn until
// a Figure is written.
func NewReport(in ReportInput) *Report {
	if len(in.Formats) == 0 {
		in.Formats = Formats()
	}
	r := &Report{Formats: in.Formats, in: in}
	r.addSweeps()
	r.addEval()
	r.addPareto()
	if in.Trajectory != nil {
		tr := *in.Trajectory
		r.add("trajectory", trajectoryCaption(tr), func(w io.Writer, f Format) error {
			return WriteTrajectory(w, f, tr, Options{})
		})
	}
	return r
}

// trajectoryCaption describes a pruning run's figure for the index page.
func trajectoryCaption(tr Trajectory) string {
	c := "Pruning trajectory"
	if tr.Run != "" {
		c += " of " + tr.Run
	}
	c += ": " + strings.ToLower(trajectoryLatencyLabel(tr)[:1]) + trajectoryLatencyLabel(tr)[1:] + " per step"
	if tr.TargetMS > 0 {
		c += fmt.Sprintf(" against its target (%s ms)", formatTick(tr.TargetMS))
	}
	c += ", and top-1 accuracy"
	if tr.EvalImages > 0 {
		c += fmt.Sprintf(" on %d test images with 95%% intervals", tr.EvalImages)
	}
	return c + "."
}

func (r *Report) add(name, caption string, draw func(io.Writer, Format) error) {
	r.Figures = append(r.Figures, Figure{Name: name, Caption: caption, draw: draw})
}

// addSweeps adds the staircases and the heads × QK heat map.
func (r *Report) addSweeps() {
	t := r.in.Table
	label := latencyLabel(t.Header)
	opt := Options{Caption: DeviceCaption(t.Header)}
	var pred costmodel.Predictor
	model, with := "", "."
	if r.in.Model != nil {
		pred, model = r.in.Model, string(r.in.Model.Kind())+" model"
		with = fmt.Sprintf(" (markers) and the %s's prediction at every integer width (lines).", model)
	}
	for _, sw := range Sweeps(t, pred) {
		sw.Model = model
		rows := string(sw.Kind) + " rows"
		if sw.Fixed != "" {
			rows += "; " + sw.Fixed
		}
		if len(sw.Lines) > 1 {
			rows += "; a line per EMB"
		}
		r.add("latency-"+string(sw.Dim), fmt.Sprintf("Latency against %s (%s): measured points%s", dimTitle(sw.Dim), rows, with),
			func(w io.Writer, f Format) error { return WriteStaircase(w, f, sw, label, opt) })
	}
	if g, ok := HeadsQKGrid(t); ok {
		unit := "ms"
		if b := t.Header.Batch; b > 0 {
			unit = fmt.Sprintf("ms, batch %d", b)
		}
		r.add("heads-qk", fmt.Sprintf("Measured %s latency over heads × QK per head (%s), with a colour bar.", strings.ToLower(kindTitle(g.Kind)), g.Fixed),
			func(w io.Writer, f Format) error { return WriteHeatMap(w, f, g, unit, opt) })
	}
}

// addEval adds predicted against measured, when the evaluation predicted rows.
func (r *Report) addEval() {
	ev := r.in.Eval
	if ev == nil || len(ev.Rows) == 0 {
		return
	}
	all := costmodel.ComputeMetrics(evalPairs(ev))
	in := PredVsMeasured{Rows: ev.Rows,
		LatencyLabel: strings.TrimSuffix(strings.TrimPrefix(latencyLabel(r.in.Table.Header), "Latency ("), ")"),
		Note:         fmt.Sprintf("%s model, %d-fold: MAPE %.1f%%, %.0f%% within ±10%%", ev.Model, ev.Folds, float64(all.MAPE), float64(all.Within10))}
	opt := Options{Caption: DeviceCaption(r.in.Table.Header)}
	r.add("predicted-vs-measured", "Predicted against measured latency of rows held out of the fit (k-fold), with ±5% (dark) and ±10% (light, dashed edges) bands.",
		func(w io.Writer, f Format) error { return WritePredictedVsMeasured(w, f, in, opt) })
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

// addPareto adds the Pareto fronts and the variants' block dimensions.
func (r *Report) addPareto() {
	in := r.in
	switch {
	case in.FamilyErr != nil:
		r.Notes = append(r.Notes, fmt.Sprintf("no Pareto figure: %v", in.FamilyErr))
		return
	case in.Model == nil:
		return
	}
	fig, warns, err := BuildPareto(ParetoInput{Header: in.Table.Header, Latency: costmodel.LatencyFunc(in.Model),
		Models: TableModels(in.Table), Variants: in.Family, VariantGroup: in.FamilyGroup})
	if err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("no Pareto figure: %v", err))
		return
	}
	r.Notes = append(r.Notes, warns...)
	for _, metric := range []Metric{MetricParams, MetricMACs} {
		fm := fig
		fm.Metric = metric
		r.add("pareto-"+string(metric),
			fmt.Sprintf("%s against latency: the DeiT family, the table's models and the redistribution rule's variants "+
				"(labelled with their budgets; filled markers measured, open predicted); the dashed step line is the Pareto front.", metric.title()),
			func(w io.Writer, f Format) error { return WritePareto(w, f, fm, Options{}) })
	}
	if specs := BlockDimsSpecs(in.Ref, in.Family); len(specs) > 0 {
		opt := Options{Caption: DeviceCaption(in.Table.Header)}
		r.add("block-dims", "Per-block dimensions of the reference and of the smallest, middle and largest generated variants (NViT's Fig. 4).",
			func(w io.Writer, f Format) error { return WriteBlockDims(w, f, specs, opt) })
	}
}

// BlockDimsSpecs are the architectures a family's block-dims figure
// compares: the reference, then the first, middle and last variant of fam,
// each once. Without variants, none.
func BlockDimsSpecs(ref arch.Spec, fam []arch.Variant) []arch.Spec {
	if len(fam) == 0 {
		return nil
	}
	specs := []arch.Spec{ref}
	for _, i := range []int{0, len(fam) / 2, len(fam) - 1} {
		if s := fam[i].Spec; s.Name != specs[len(specs)-1].Name {
			specs = append(specs, s)
		}
	}
	return specs
}
