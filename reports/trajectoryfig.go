package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TrajectoryStep is one step of a pruning run as the pruner logs it.
type TrajectoryStep struct {
	Step      int     `json:"step"`       // 0 is the dense model
	LatencyMS float64 `json:"latency_ms"` // predicted (or measured) latency after the step
	Accuracy  float64 `json:"accuracy"`   // top-1 % after the step's fine-tuning; NaN when not evaluated
	Params    int64   `json:"params,omitempty"`
}

// LatencySource says where a trajectory's latencies come from.
type LatencySource string

// The sources of a trajectory's latencies.
const (
	LatencyPredicted LatencySource = "predicted" // a cost model's prediction (nvitprof prune)
	LatencyMeasured  LatencySource = "measured"
)

// Trajectory is a pruning run's per-step log, for WriteTrajectory. Only
// Steps is required; every other field is said on the figure when given.
type Trajectory struct {
	Steps    []TrajectoryStep
	TargetMS float64 // the latency target; 0: none drawn
	// LatencyLabel replaces the latency axis's label, by default made of
	// Latency and Batch ("Predicted latency (ms, batch 8)").
	LatencyLabel string
	Title        string // replaces the title made of Run
	// Run names the run (its directory, say) in the title.
	Run string
	// Latency says whether the latencies are predicted or measured.
	Latency LatencySource
	// Batch is the batch size the latencies are for.
	Batch int
	// EvalImages is the number of test images each step's accuracy was
	// scored on: the accuracy axis says it, and each accuracy gets its 95%
	// binomial interval.
	EvalImages int
	// Caption says what the latencies belong to: DeviceCaption of the cost
	// model's table (Options.Caption replaces it).
	Caption string
}

// minAccuracySpan is the least range, in points of top-1, of a trajectory's
// accuracy axis, so that a few tenths of a point do not look like a cliff.
const minAccuracySpan = 2.0

// WriteTrajectory draws latency (top panel, with the target dashed) and,
// when any step has one, top-1 accuracy (bottom panel) against the pruning
// step. The accuracy axis spans at least minAccuracySpan points and shows
// the dense model's accuracy (step 0) as a dotted reference line.
func WriteTrajectory(w io.Writer, format Format, tr Trajectory, opt Options) error {
	plots, err := trajectoryPlots(tr)
	if err != nil {
		return err
	}
	h := 2.2 * vg.Inch
	if len(plots) == 2 {
		h = 3.4 * vg.Inch
	}
	fr := frame{title: tr.Title, caption: tr.Caption}
	if fr.title == "" {
		fr.title = "Pruning trajectory: latency and accuracy per step"
		if tr.Run != "" {
			fr.title = "Pruning run " + tr.Run + ": latency and accuracy per step"
		}
	}
	return save(w, format, opt, fr, ColumnWidth, h, grid(len(plots), 1, plots...))
}

// trajectoryPlots are WriteTrajectory's panels: latency, and accuracy when
// a step has one.
func trajectoryPlots(tr Trajectory) ([]*plot.Plot, error) {
	if len(tr.Steps) == 0 {
		return nil, errors.New("reports: trajectory: no steps")
	}
	var lat, acc plotter.XYs
	for _, s := range tr.Steps {
		if s.LatencyMS > 0 {
			lat = append(lat, plotter.XY{X: float64(s.Step), Y: s.LatencyMS})
		}
		if !math.IsNaN(s.Accuracy) && s.Accuracy != 0 {
			acc = append(acc, plotter.XY{X: float64(s.Step), Y: s.Accuracy})
		}
	}
	if len(lat) == 0 {
		return nil, errors.New("reports: trajectory: no step has a latency")
	}
	top, err := latencyPanel(tr, lat)
	if err != nil {
		return nil, err
	}
	plots := []*plot.Plot{top}
	if len(acc) > 0 {
		top.X.Label.Text = ""
		bot, err := accuracyPanel(tr, acc)
		if err != nil {
			return nil, err
		}
		bot.X.Min, bot.X.Max = top.X.Min, top.X.Max
		plots = append(plots, bot)
	}
	return plots, nil
}

// latencyPanel is latency per step from 0 up, with the target.
func latencyPanel(tr Trajectory, lat plotter.XYs) (*plot.Plot, error) {
	p := newPlot("Pruning step", trajectoryLatencyLabel(tr))
	p.X.Tick.Marker = integerTicks{}
	p.X.Min, p.X.Max = lat[0].X, lat[len(lat)-1].X
	l, s, err := plotter.NewLinePoints(lat)
	if err != nil {
		return nil, fmt.Errorf("reports: trajectory: %w", err)
	}
	l.Color, l.Width = Blue, lineWidth
	s.GlyphStyle = draw.GlyphStyle{Color: Blue, Radius: 1.6, Shape: seriesMarker(0, tr.Latency == LatencyPredicted)}
	ov := newOverlay()
	p.Add(l)
	ov.addLine(lat)
	ov.addMarks(lat, 1.6)
	name := "latency"
	if tr.Latency != "" {
		name = string(tr.Latency) + " latency"
	}
	ov.addEntry(name, l, s)
	hi := lat[0].Y
	for _, q := range lat {
		hi = math.Max(hi, q.Y)
	}
	if tr.TargetMS > 0 {
		t := &plotter.Line{XYs: plotter.XYs{{X: p.X.Min, Y: tr.TargetMS}, {X: p.X.Max, Y: tr.TargetMS}},
			LineStyle: draw.LineStyle{Color: Vermilion, Width: lineWidth, Dashes: []vg.Length{4, 2}}}
		p.Add(t)
		ov.addLine(t.XYs)
		ov.addEntry("target", t)
		hi = math.Max(hi, tr.TargetMS)
	}
	p.Add(s, ov)
	p.Y.Min, p.Y.Max = 0, hi*1.12
	return p, nil
}

// trajectoryLatencyLabel is the latency axis's label: what the latency is
// and at what batch.
func trajectoryLatencyLabel(tr Trajectory) string {
	if tr.LatencyLabel != "" {
		return tr.LatencyLabel
	}
	unit := "ms"
	if tr.Batch > 0 {
		unit = fmt.Sprintf("ms, batch %d", tr.Batch)
	}
	switch tr.Latency {
	case LatencyPredicted:
		return "Predicted latency (" + unit + ")"
	case LatencyMeasured:
		return "Measured latency (" + unit + ")"
	}
	return "Latency (" + unit + ")"
}

// accuracyPanel is top-1 per step with its 95% intervals, the dense
// model's accuracy dotted across.
func accuracyPanel(tr Trajectory, acc plotter.XYs) (*plot.Plot, error) {
	ylabel := "Top-1 accuracy (%)"
	if tr.EvalImages > 0 {
		ylabel = fmt.Sprintf("Top-1 (%%, %d test images)", tr.EvalImages)
	}
	p := newPlot("Pruning step", ylabel)
	p.X.Tick.Marker = integerTicks{}
	ov := newOverlay()
	lo, hi := math.Inf(1), math.Inf(-1)
	if tr.EvalImages > 0 {
		errs := binomialErrors(acc, tr.EvalImages)
		eb, err := plotter.NewYErrorBars(errs)
		if err != nil {
			return nil, fmt.Errorf("reports: trajectory: %w", err)
		}
		eb.LineStyle = draw.LineStyle{Color: Green, Width: 0.6}
		eb.CapWidth = 3
		p.Add(eb)
		for i, q := range acc {
			lo, hi = math.Min(lo, q.Y-errs.YErrors[i].Low), math.Max(hi, q.Y+errs.YErrors[i].High)
		}
	}
	l, s, err := plotter.NewLinePoints(acc)
	if err != nil {
		return nil, fmt.Errorf("reports: trajectory: %w", err)
	}
	l.Color, l.Width = Green, lineWidth
	s.GlyphStyle = draw.GlyphStyle{Color: Green, Radius: 1.6, Shape: seriesMarker(1, false)}
	p.Add(l, s)
	ov.addLine(acc)
	ov.addMarks(acc, 1.6)
	name := "top-1"
	if tr.EvalImages > 0 {
		name = "top-1, 95% interval"
	}
	ov.addEntry(name, l, s)
	for _, q := range acc {
		lo, hi = math.Min(lo, q.Y), math.Max(hi, q.Y)
	}
	if dense, ok := denseAccuracy(tr); ok {
		ref := &plotter.Line{XYs: plotter.XYs{{X: float64(tr.Steps[0].Step), Y: dense}, {X: float64(tr.Steps[len(tr.Steps)-1].Step), Y: dense}},
			LineStyle: draw.LineStyle{Color: color.Gray{0x60}, Width: 0.6, Dashes: []vg.Length{1, 1.5}}}
		p.Add(ref)
		ov.addLine(ref.XYs)
		ov.addEntry("dense", ref)
	}
	p.Add(ov)
	p.Y.Min, p.Y.Max = accuracyRange(lo, hi)
	return p, nil
}

// accuracyRange is the accuracy axis around [lo, hi]: at least
// minAccuracySpan wide, padded for the legend, within [0, 100].
func accuracyRange(lo, hi float64) (float64, float64) {
	if span := hi - lo; span < minAccuracySpan {
		mid := (lo + hi) / 2
		lo, hi = mid-minAccuracySpan/2, mid+minAccuracySpan/2
	}
	pad := (hi - lo) * 0.1
	lo, hi = lo-pad, hi+3*pad
	if hi > 100 {
		lo, hi = lo-(hi-100), 100
	}
	return math.Max(0, lo), hi
}

// denseAccuracy is step 0's accuracy, when it was scored.
func denseAccuracy(tr Trajectory) (float64, bool) {
	s := tr.Steps[0]
	return s.Accuracy, s.Step == 0 && !math.IsNaN(s.Accuracy) && s.Accuracy != 0
}

// accErrors are accuracies with their intervals, for plotter.YErrorBars.
type accErrors struct {
	plotter.XYs
	plotter.YErrors
}

// binomialErrors are the 95% intervals of accuracies (in %) scored on n
// images: ±1.96 standard errors of a proportion.
func binomialErrors(acc plotter.XYs, n int) accErrors {
	e := accErrors{XYs: acc, YErrors: make(plotter.YErrors, len(acc))}
	for i, q := range acc {
		p := math.Max(0, math.Min(1, q.Y/100))
		d := 100 * 1.96 * math.Sqrt(p*(1-p)/float64(n))
		e.YErrors[i].Low, e.YErrors[i].High = d, d
	}
	return e
}
