package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sense says whether larger or smaller values of a Pareto objective are better.
type Sense int

// The senses of the value objective (latency is always minimised).
const (
	Maximize Sense = iota // accuracy; params or MACs read as capacity bought per latency
	Minimize              // params or MACs read as a cost
)

// Dominates reports whether point a = (latency la, value va) dominates
// b = (lb, vb): no slower, no worse, and strictly better in one of the two.
// NaN never dominates and is never dominated by anything but itself being
// left off the front (see Front).
func Dominates(la, va, lb, vb float64, s Sense) bool {
	if s == Minimize {
		va, vb = -va, -vb
	}
	return la <= lb && va >= vb && (la < lb || va > vb)
}

// Front returns the indices of the non-dominated points among (lat[i],
// val[i]): latency minimised, the value as s says. Points that are equal in
// both coordinates do not dominate each other, so duplicates of a front
// point are all on the front. Points with a NaN or infinite coordinate are
// never on the front. The indices are sorted by latency, then by value
// (best first), then by index.
func Front(lat, val []float64, s Sense) []int {
	if len(lat) != len(val) {
		panic("reports: Front: slice length mismatch")
	}
	ok := func(i int) bool {
		return !math.IsNaN(lat[i]) && !math.IsNaN(val[i]) && !math.IsInf(lat[i], 0) && !math.IsInf(val[i], 0)
	}
	var front []int
	for i := range lat {
		if !ok(i) {
			continue
		}
		dominated := false
		for j := range lat {
			if j != i && ok(j) && Dominates(lat[j], val[j], lat[i], val[i], s) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	sort.SliceStable(front, func(a, b int) bool {
		i, j := front[a], front[b]
		if lat[i] != lat[j] {
			return lat[i] < lat[j]
		}
		if val[i] != val[j] {
			if s == Minimize {
				return val[i] < val[j]
			}
			return val[i] > val[j]
		}
		return i < j
	})
	return front
}

// Metric is what a Pareto figure plots against latency.
type Metric string

// The metrics.
const (
	MetricParams   Metric = "params"   // parameters, millions
	MetricMACs     Metric = "macs"     // multiply-accumulates per image, G
	MetricAccuracy Metric = "accuracy" // top-1, %
)

// Label is the metric's axis label with its unit.
func (m Metric) Label() string {
	switch m {
	case MetricParams:
		return "Parameters (M)"
	case MetricMACs:
		return "MACs per image (G)"
	case MetricAccuracy:
		return "Top-1 accuracy (%)"
	}
	return string(m)
}

// ParetoPoint is one architecture on a Pareto figure.
type ParetoPoint struct {
	Name      string  // shown beside the point when Label is set
	Group     string  // series: "DeiT", "generated", "user", …
	LatencyMS float64 // x
	Measured  bool    // latency measured (filled marker) or predicted (open marker)
	Params    int64
	MACs      int64
	Accuracy  float64 // top-1 %; 0 or NaN when unknown
	Label     bool    // write Name beside the point
}

// Value is p's coordinate for metric m: NaN when unknown (an accuracy of
// 0 or NaN).
func (p ParetoPoint) Value(m Metric) float64 {
	switch m {
	case MetricParams:
		return float64(p.Params) / 1e6
	case MetricMACs:
		return float64(p.MACs) / 1e9
	case MetricAccuracy:
		if p.Accuracy > 0 {
			return p.Accuracy
		}
	}
	return math.NaN()
}

// ParetoFigure describes a Pareto plot.
type ParetoFigure struct {
	Points       []ParetoPoint
	Metric       Metric
	Sense        Sense  // default Maximize
	LatencyLabel string // x-axis label; default "Latency (ms)"
	Note         string // a line of small print in the corner (device, batch)
}

// FrontPoints returns the points of f on its Pareto front, in front order.
func (f ParetoFigure) FrontPoints() []ParetoPoint {
	lat, val := f.coords()
	var out []ParetoPoint
	for _, i := range Front(lat, val, f.Sense) {
		out = append(out, f.Points[i])
	}
	return out
}

func (f ParetoFigure) coords() (lat, val []float64) {
	for _, p := range f.Points {
		lat = append(lat, p.LatencyMS)
		val = append(val, p.Value(f.Metric))
	}
	return lat, val
}

// WritePareto draws the points of f by group (colour and marker shape per
// group; filled where the latency was measured, open where predicted) and
// its Pareto front as a step line: at each latency the best value any
// point at most that slow reaches.
func WritePareto(w io.Writer, format Format, f ParetoFigure, opt Options) error {
	lat, val := f.coords()
	var n int
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range lat {
		if !math.IsNaN(val[i]) && lat[i] > 0 {
			n++
			lo, hi = math.Min(lo, lat[i]), math.Max(hi, lat[i])
		}
	}
	if n == 0 {
		return errors.New("reports: pareto: no point has both a latency and a " + string(f.Metric))
	}
	xl := f.LatencyLabel
	if xl == "" {
		xl = "Latency (ms)"
	}
	p := newPlot("", xl, f.Metric.Label())
	// The region beyond the front is empty by definition: fast and good,
	// top left when the value is maximised, bottom left when minimised.
	p.Legend.Left = true
	p.Legend.Top = f.Sense == Maximize
	logX := spansDecades(lo, hi)
	if logX {
		setLog(&p.X)
	}
	// The front first, under the markers.
	front := Front(lat, val, f.Sense)
	fr := make(plotter.XYs, 0, len(front))
	for _, i := range front {
		fr = append(fr, plotter.XY{X: lat[i], Y: val[i]})
	}
	if len(fr) > 0 {
		l, err := plotter.NewLine(fr)
		if err != nil {
			return fmt.Errorf("reports: pareto: %w", err)
		}
		l.StepStyle = plotter.PostStep
		l.Color = color.Gray{0x60}
		l.Width = lineWidth
		l.Dashes = []vg.Length{3, 2}
		p.Add(l)
		p.Legend.Add("Pareto front", l)
	}
	groups := []string{}
	seen := map[string]bool{}
	for _, pt := range f.Points {
		if !seen[pt.Group] {
			seen[pt.Group] = true
			groups = append(groups, pt.Group)
		}
	}
	anyPredicted, anyMeasured := false, false
	var labels plotter.XYLabels
	for gi, g := range groups {
		c := seriesColor(gi)
		shape := glyphs[gi%len(glyphs)]
		for _, measured := range []bool{true, false} {
			var xys plotter.XYs
			for i, pt := range f.Points {
				if pt.Group != g || pt.Measured != measured || math.IsNaN(val[i]) || !(lat[i] > 0) {
					continue
				}
				xys = append(xys, plotter.XY{X: lat[i], Y: val[i]})
				if pt.Label && pt.Name != "" {
					labels.XYs = append(labels.XYs, plotter.XY{X: lat[i], Y: val[i]})
					labels.Labels = append(labels.Labels, pt.Name)
				}
			}
			if len(xys) == 0 {
				continue
			}
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return fmt.Errorf("reports: pareto: %w", err)
			}
			s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: 2.2, Shape: shape}
			if !measured {
				s.GlyphStyle.Shape = openGlyph(shape)
				anyPredicted = true
			} else {
				anyMeasured = true
			}
			p.Add(s)
			// One legend entry per group, in its measured style if any.
			if measured || !hasMeasured(f.Points, g) {
				p.Legend.Add(g, s)
			}
		}
	}
	if len(labels.XYs) > 0 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return fmt.Errorf("reports: pareto: %w", err)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font.Size = noteSize
			lb.TextStyle[i].Color = color.Gray{0x30}
		}
		lb.Offset = vg.Point{X: 3, Y: 2}
		p.Add(lb)
	}
	x0, x1 := padRange(lo, hi, 0.06, logX)
	p.X.Min, p.X.Max = x0, x1
	if !logX {
		p.X.Min = math.Max(p.X.Min, 0)
	}
	// Room on the right for labels.
	if len(labels.XYs) > 0 {
		_, p.X.Max = padRange(lo, hi, 0.18, logX)
	}
	note := f.Note
	switch {
	case anyMeasured && anyPredicted:
		note = joinNote(note, "filled: measured, open: predicted latency")
	case anyPredicted:
		note = joinNote(note, "latency predicted by the cost model")
	}
	setNote(p, note)
	return save(w, format, opt, ColumnWidth, 2.6*vg.Inch, 1, 1, p)
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
