package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// paretoRadius is the radius of a Pareto figure's markers.
const paretoRadius = 2.2

// frontStyle draws the Pareto front.
var frontStyle = draw.LineStyle{Color: color.Gray{0x60}, Width: lineWidth, Dashes: []vg.Length{3, 2}}

// WritePareto draws the points of f by group (colour and marker shape per
// group; filled where the latency was measured, open where predicted) and
// its Pareto front as a step line: at each latency the best value any
// point at most that slow reaches.
//
// An axis is logarithmic when its values span a decade or more. A few
// points far beyond the others (offScale) would crush them into a corner:
// the axis ends before them, and they are drawn at its edge with their
// values written beside them. Labels go where they overlap no marker, no
// other label and not the legend, with a leader line when set apart.
func WritePareto(w io.Writer, format Format, f ParetoFigure, opt Options) error {
	d, err := paretoPlot(f)
	if err != nil {
		return err
	}
	return save(w, format, opt, d.frame, ColumnWidth, 2.6*vg.Inch, single(d.plot))
}

// paretoDrawing is WritePareto's plot and frame, its series, and its
// overlay, which tells tests where the labels went once the plot is drawn.
type paretoDrawing struct {
	plot   *plot.Plot
	frame  frame
	series []paretoSeries
	ov     *overlay
}

// paretoSeries is the measured or the predicted points of a group.
type paretoSeries struct {
	group    string
	measured bool
	scatter  *plotter.Scatter
}

// paretoPlot builds WritePareto's drawing.
func paretoPlot(f ParetoFigure) (paretoDrawing, error) {
	lat, val := f.coords()
	var xs, ys []float64
	for i := range lat {
		if ok := !math.IsNaN(val[i]) && lat[i] > 0; ok {
			xs, ys = append(xs, lat[i]), append(ys, val[i])
		}
	}
	if len(xs) == 0 {
		return paretoDrawing{}, errors.New("reports: pareto: no point has both a latency and a " + string(f.Metric))
	}
	xl := f.LatencyLabel
	if xl == "" {
		xl = "Latency (ms)"
	}
	p := newPlot(xl, f.Metric.Label())
	ax, ay := newParetoAxis(xs), newParetoAxis(ys)
	ax.apply(&p.X)
	ay.apply(&p.Y)
	at := func(i int) plotter.XY { return plotter.XY{X: ax.clamp(lat[i]), Y: ay.clamp(val[i])} }
	ov := newOverlay()
	// The region beyond the front is empty by definition: fast and good,
	// top left when the value is maximised, bottom left when minimised.
	if f.Sense == Minimize {
		ov.corners = []corner{{false, true}, {true, false}, {false, false}, {true, true}}
	}
	front := Front(lat, val, f.Sense)
	if len(front) > 0 {
		fr := make(plotter.XYs, 0, len(front))
		for _, i := range front {
			fr = append(fr, at(i))
		}
		l := &plotter.Line{XYs: fr, LineStyle: frontStyle, StepStyle: plotter.PostStep}
		p.Add(l)
		ov.addLine(stepped(fr))
		ov.addEntry("Pareto front", l)
	}
	series := paretoGroups(f, at)
	anyPredicted, anyMeasured := false, false
	for _, sr := range series {
		p.Add(sr.scatter)
		ov.addMarks(sr.scatter.XYs, paretoRadius)
		anyMeasured, anyPredicted = anyMeasured || sr.measured, anyPredicted || !sr.measured
		// One legend entry per group, in its measured style if it has one.
		if sr.measured || !hasMeasured(f.Points, sr.group) {
			ov.addEntry(sr.group, sr.scatter)
		}
	}
	addParetoLabels(ov, f, ax, ay, at)
	p.Add(ov)
	note := f.Note
	switch {
	case anyMeasured && anyPredicted:
		note = joinNote(note, "filled markers: measured latency, open: predicted")
	case anyPredicted:
		note = joinNote(note, "latency predicted by the cost model")
	}
	fr := frame{title: f.Metric.title() + " vs. latency, with the Pareto front", subtitle: note, caption: f.Caption}
	return paretoDrawing{plot: p, frame: fr, series: series, ov: ov}, nil
}

// addParetoLabels asks the overlay for the points' labels; those of
// off-scale points say where the points really are.
func addParetoLabels(ov *overlay, f ParetoFigure, ax, ay paretoAxis, at func(int) plotter.XY) {
	lat, val := f.coords()
	for i, pt := range f.Points {
		if !pt.Label || math.IsNaN(val[i]) || !(lat[i] > 0) {
			continue
		}
		text := pt.Text
		if text == "" {
			text = pt.Name
		}
		if text == "" {
			continue
		}
		if ax.off(lat[i]) || ay.off(val[i]) {
			text += fmt.Sprintf("\n(off scale: %s ms, %s)", format3(lat[i]), formatValue(f.Metric, val[i]))
		}
		q := at(i)
		ov.addLabel(q.X, q.Y, text, paretoRadius)
	}
}

// paretoGroups are the points group by group, measured and predicted
// apart: a colour and marker shape per group, filled where measured and
// open where predicted.
func paretoGroups(f ParetoFigure, at func(int) plotter.XY) []paretoSeries {
	lat, val := f.coords()
	var groups []string
	for _, pt := range f.Points {
		if !slices.Contains(groups, pt.Group) {
			groups = append(groups, pt.Group)
		}
	}
	var out []paretoSeries
	for gi, g := range groups {
		for _, measured := range []bool{true, false} {
			var xys plotter.XYs
			for i, pt := range f.Points {
				if pt.Group == g && pt.Measured == measured && !math.IsNaN(val[i]) && lat[i] > 0 {
					xys = append(xys, at(i))
				}
			}
			if len(xys) > 0 {
				sty := draw.GlyphStyle{Color: seriesColor(gi), Radius: paretoRadius, Shape: seriesMarker(gi, !measured)}
				out = append(out, paretoSeries{group: g, measured: measured, scatter: &plotter.Scatter{XYs: xys, GlyphStyle: sty}})
			}
		}
	}
	return out
}

// stepped is the polyline a PostStep line draws through xys.
func stepped(xys plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for i, q := range xys {
		if i > 0 {
			out = append(out, plotter.XY{X: q.X, Y: xys[i-1].Y})
		}
		out = append(out, q)
	}
	return out
}

// formatValue writes a metric's value with its unit.
func formatValue(m Metric, v float64) string {
	switch m {
	case MetricParams:
		return format3(v) + "M params"
	case MetricMACs:
		return format3(v) + "G MACs"
	case MetricAccuracy:
		return format3(v) + "%"
	}
	return format3(v)
}

// format3 writes v with three significant digits, whole numbers from 100
// up: 1806, 5.36, 0.365.
func format3(v float64) string {
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// offScaleGap is how far apart, as a share of an axis's whole range, the
// largest values must lie from the rest to be drawn off scale.
const offScaleGap = 0.4

// paretoAxis is the range of one axis of a Pareto figure: logarithmic when
// its values span a decade, ending before off-scale values.
type paretoAxis struct {
	log    bool
	lo, hi float64 // the axis's range
	limit  float64 // values above are off scale; +Inf: none
}

func newParetoAxis(v []float64) paretoAxis {
	lo, hi := slices.Min(v), slices.Max(v)
	a := paretoAxis{log: spansDecades(lo, hi), limit: math.Inf(1)}
	pad := 0.08
	if limit, ok := offScale(v, a.log); ok {
		a.limit, hi = limit, limit
		a.log = spansDecades(lo, hi)
		pad = 0.15 // room between the rest and the off-scale points at the end
	}
	a.lo, a.hi = padRange(lo, hi, pad, a.log)
	if !a.log && lo >= 0 {
		a.lo = math.Max(a.lo, 0)
	}
	return a
}

func (a paretoAxis) apply(ax *plot.Axis) {
	if a.log {
		setLog(ax)
	}
	ax.Min, ax.Max = a.lo, a.hi
}

// off reports whether v is beyond the axis's end.
func (a paretoAxis) off(v float64) bool { return v > a.limit }

// clamp is where v is drawn: off-scale values at the axis's end.
func (a paretoAxis) clamp(v float64) float64 {
	if a.off(v) {
		return a.hi
	}
	return v
}

// offScale finds the largest values that lie beyond a gap wider than
// offScaleGap of the whole range (measured in the axis's scale), when they
// are few: one or two, at most a fifth of at least five values. It returns
// the largest value below the gap.
func offScale(v []float64, log bool) (float64, bool) {
	n := len(v)
	if n < 5 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	scale := func(x float64) float64 {
		if log {
			return math.Log10(x)
		}
		return x
	}
	span := scale(s[n-1]) - scale(s[0])
	best, bestGap := 0, offScaleGap*span
	for m := 1; m <= min(2, n/5); m++ {
		if gap := scale(s[n-m]) - scale(s[n-m-1]); gap > bestGap {
			best, bestGap = m, gap
		}
	}
	if best == 0 {
		return 0, false
	}
	return s[n-best-1], true
}

func hasMeasured(pts []ParetoPoint, g string) bool {
	for _, p := range pts {
		if p.Group == g && p.Measured {
			return true
		}
	}
	return false
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
