package reports

import (
	"math"
	"sort"
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

// title names the metric in a figure's title.
func (m Metric) title() string {
	switch m {
	case MetricParams:
		return "Parameters"
	case MetricMACs:
		return "MACs"
	case MetricAccuracy:
		return "Top-1 accuracy"
	}
	return string(m)
}

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
	Name      string  // shown beside the point when Label is set and Text is empty
	Group     string  // series: "DeiT", "generated", "user", …
	LatencyMS float64 // x
	Measured  bool    // latency measured (filled marker) or predicted (open marker)
	Params    int64
	MACs      int64
	Accuracy  float64 // top-1 %; 0 or NaN when unknown
	Label     bool    // write Text (or Name) beside the point
	Text      string  // the label, when not Name: a generated variant's budgets, "0.4×, 0.5×"
	// Aliases are the names of identical architectures drawn as this one
	// point (budgets that gave the same variant).
	Aliases []string
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
	Note         string // a line of small print under the title
	// Caption is the line under the plot that says what the latencies
	// belong to (DeviceCaption of the table); Options.Caption replaces it.
	Caption string
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
