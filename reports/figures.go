package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteStaircase draws latency along one dimension: measured points as
// markers, the model's prediction as a line, one colour per EMB. The y axis
// is logarithmic when the latencies span a decade or more.
func WriteStaircase(w io.Writer, format Format, sw DimensionSweep, latencyLabel string, opt Options) error {
	if len(sw.Lines) == 0 {
		return errors.New("reports: staircase: no measured line")
	}
	if latencyLabel == "" {
		latencyLabel = "Latency (ms)"
	}
	p := newPlot("", sw.Dim.Label(), latencyLabel)
	p.Legend.Left = true
	p.Legend.Top = true
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range sw.Lines {
		for _, v := range append(append([]float64(nil), l.MeasuredMS...), l.PredMS...) {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	logY := spansDecades(lo, hi)
	if logY {
		setLog(&p.Y)
	}
	anyPred := false
	for i, l := range sw.Lines {
		c := seriesColor(i)
		var ln *plotter.Line
		if len(l.PredX) > 1 {
			anyPred = true
			xy := make(plotter.XYs, len(l.PredX))
			for j := range l.PredX {
				xy[j] = plotter.XY{X: l.PredX[j], Y: l.PredMS[j]}
			}
			var err error
			if ln, err = plotter.NewLine(xy); err != nil {
				return fmt.Errorf("reports: staircase: %w", err)
			}
			ln.Color, ln.Width = c, lineWidth*0.8
			p.Add(ln)
		}
		xy := make(plotter.XYs, len(l.X))
		for j := range l.X {
			xy[j] = plotter.XY{X: l.X[j], Y: l.MeasuredMS[j]}
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return fmt.Errorf("reports: staircase: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: 1.8, Shape: glyphs[i%len(glyphs)]}
		p.Add(sc)
		if ln != nil {
			p.Legend.Add(l.Label, ln, sc)
		} else {
			p.Legend.Add(l.Label, sc)
		}
	}
	// Headroom above the data for the legend (top left).
	headroom := 0.12 + 0.07*float64(len(sw.Lines))
	p.Y.Min, _ = padRange(lo, hi, 0.05, logY)
	if logY {
		p.Y.Max = hi * math.Pow(hi/lo, headroom)
	} else {
		p.Y.Max = hi + (hi-lo)*headroom*1.6
	}
	note := string(sw.Kind) + " rows"
	if sw.Fixed != "" {
		note += "; fixed " + sw.Fixed
	}
	if anyPred {
		note += "; markers measured, lines the cost model"
	}
	setNote(p, note)
	return save(w, format, opt, ColumnWidth, 2.4*vg.Inch, 1, 1, p)
}

// WriteHeatMap draws latency over heads × QK per head, each cell coloured
// (viridis, colour-blind safe) and labelled with its latency.
func WriteHeatMap(w io.Writer, format Format, g HeatGrid, latencyUnit string, opt Options) error {
	if len(g.Heads) == 0 || len(g.QK) == 0 {
		return errors.New("reports: heat map: empty grid")
	}
	if latencyUnit == "" {
		latencyUnit = "ms"
	}
	grid := heatGrid{g}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range g.MS {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return errors.New("reports: heat map: no measured cell")
	}
	if hi == lo {
		hi = lo * 1.001
	}
	pal := viridis{}
	hm := plotter.NewHeatMap(grid, pal)
	hm.Min, hm.Max = lo, hi
	hm.NaN = color.Gray{0xe8}
	p := newPlot("", "QK width per head", "Attention heads")
	p.Add(hm)
	names := func(v []int) intTicks {
		t := make(intTicks, len(v))
		for i, x := range v {
			t[i] = fmt.Sprint(x)
		}
		return t
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = names(g.QK), names(g.Heads)
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.Padding, p.Y.Padding = 0, 0
	// Label each cell; dark text on light cells and light on dark.
	var lab plotter.XYLabels
	var styles []color.Color
	for i := range g.Heads {
		for j := range g.QK {
			v := g.MS[i][j]
			if math.IsNaN(v) {
				continue
			}
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: float64(i)})
			lab.Labels = append(lab.Labels, formatMS(v))
			if (v-lo)/(hi-lo) > 0.6 {
				styles = append(styles, color.Black)
			} else {
				styles = append(styles, color.White)
			}
		}
	}
	if len(lab.XYs) <= 64 {
		lb, err := plotter.NewLabels(lab)
		if err != nil {
			return fmt.Errorf("reports: heat map: %w", err)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font.Size = noteSize
			lb.TextStyle[i].Color = styles[i]
			lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		}
		p.Add(lb)
	}
	setNote(p, fmt.Sprintf("Latency (%s) at %s", latencyUnit, g.Fixed))
	return save(w, format, opt, ColumnWidth, 2.6*vg.Inch, 1, 1, p)
}

func formatMS(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

type heatGrid struct{ g HeatGrid }

func (h heatGrid) Dims() (c, r int)   { return len(h.g.QK), len(h.g.Heads) }
func (h heatGrid) Z(c, r int) float64 { return h.g.MS[r][c] }
func (h heatGrid) X(c int) float64    { return float64(c) }
func (h heatGrid) Y(r int) float64    { return float64(r) }

// viridis is matplotlib's perceptually uniform, colour-blind-safe map,
// interpolated from 9 anchors.
type viridis struct{}

var viridisAnchors = [][3]uint8{
	{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
}

// Colors returns 256 colours from dark purple to yellow.
func (viridis) Colors() []color.Color {
	out := make([]color.Color, 256)
	n := len(viridisAnchors) - 1
	for i := range out {
		t := float64(i) / 255 * float64(n)
		k := min(int(t), n-1)
		f := t - float64(k)
		a, b := viridisAnchors[k], viridisAnchors[k+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
		out[i] = color.RGBA{mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2]), 0xff}
	}
	return out
}

// PredVsMeasured is the input of WritePredictedVsMeasured: an evaluation's
// rows, and how to label the metrics.
type PredVsMeasured struct {
	Rows         []costmodel.EvalRow
	LatencyLabel string // unit of the axes, default "ms"
	Note         string // e.g. "hw model, 5-fold, MAPE 3.2%"
}

// WritePredictedVsMeasured draws each predicted row against its measurement
// (one colour and marker per kind of row), the identity line and the ±5%
// and ±10% bands. Axes are logarithmic when latencies span a decade.
func WritePredictedVsMeasured(w io.Writer, format Format, in PredVsMeasured, opt Options) error {
	unit := in.LatencyLabel
	if unit == "" {
		unit = "ms"
	}
	byKind := map[tablefmt.Kind]plotter.XYs{}
	var kinds []tablefmt.Kind
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range in.Rows {
		pv := float64(r.PredictedMS)
		if r.Refused != "" || math.IsNaN(pv) || !(pv > 0) || !(r.MeasuredMS > 0) {
			continue
		}
		if _, ok := byKind[r.Kind]; !ok {
			kinds = append(kinds, r.Kind)
		}
		byKind[r.Kind] = append(byKind[r.Kind], plotter.XY{X: r.MeasuredMS, Y: pv})
		lo = math.Min(lo, math.Min(r.MeasuredMS, pv))
		hi = math.Max(hi, math.Max(r.MeasuredMS, pv))
	}
	if len(kinds) == 0 {
		return errors.New("reports: predicted vs measured: no predicted row")
	}
	p := newPlot("", "Measured latency ("+unit+")", "Predicted latency ("+unit+")")
	p.Legend.Left = true
	logs := spansDecades(lo, hi)
	if logs {
		setLog(&p.X)
		setLog(&p.Y)
	}
	a, b := padRange(lo, hi, 0.04, logs)
	if !logs {
		a = math.Max(a, 0)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = a, b, a, b
	// Bands: ±10% lighter, ±5% darker, drawn as polygons along the diagonal.
	band := func(f float64, c color.Color) (*plotter.Polygon, error) {
		pts := plotter.XYs{{X: a, Y: a * (1 - f)}, {X: b, Y: b * (1 - f)}, {X: b, Y: b * (1 + f)}, {X: a, Y: a * (1 + f)}}
		if logs {
			// Densify so the band is straight on log axes too.
			pts = nil
			for i := 0; i <= 40; i++ {
				x := a * math.Pow(b/a, float64(i)/40)
				pts = append(pts, plotter.XY{X: x, Y: x * (1 - f)})
			}
			for i := 40; i >= 0; i-- {
				x := a * math.Pow(b/a, float64(i)/40)
				pts = append(pts, plotter.XY{X: x, Y: x * (1 + f)})
			}
		}
		pg, err := plotter.NewPolygon(pts)
		if err != nil {
			return nil, err
		}
		pg.Color = c
		pg.LineStyle.Width = 0
		return pg, nil
	}
	b10, err := band(0.10, color.Gray{0xe6})
	if err != nil {
		return fmt.Errorf("reports: predicted vs measured: %w", err)
	}
	b5, err := band(0.05, color.Gray{0xcc})
	if err != nil {
		return fmt.Errorf("reports: predicted vs measured: %w", err)
	}
	id, _ := plotter.NewLine(plotter.XYs{{X: a, Y: a}, {X: b, Y: b}})
	id.Color, id.Width = color.Gray{0x50}, axisWidth
	p.Add(b10, b5, id)
	for i, k := range kinds {
		sc, err := plotter.NewScatter(byKind[k])
		if err != nil {
			return fmt.Errorf("reports: predicted vs measured: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: seriesColor(i), Radius: 1.6, Shape: glyphs[i%len(glyphs)]}
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s (%d)", k, len(byKind[k])), sc)
	}
	p.Legend.Add("±5%", b5)
	p.Legend.Add("±10%", b10)
	setNote(p, in.Note)
	return save(w, format, opt, ColumnWidth, ColumnWidth, 1, 1, p)
}

// WriteBlockDims draws the per-block dimensions of one or more
// architectures, NViT's Fig. 4: four panels (heads, QK per head, V per
// head, MLP width), a group of bars per block, one colour per architecture.
func WriteBlockDims(w io.Writer, format Format, specs []arch.Spec, opt Options) error {
	if len(specs) == 0 {
		return errors.New("reports: block dims: no architecture")
	}
	depth := 0
	for _, s := range specs {
		depth = max(depth, s.Depth())
	}
	panels := []struct {
		label string
		get   func(arch.Block) int
	}{
		{"Heads", func(b arch.Block) int { return b.Heads }},
		{"QK per head", func(b arch.Block) int { return b.QK }},
		{"V per head", func(b arch.Block) int { return b.V }},
		{"MLP width", func(b arch.Block) int { return b.MLP }},
	}
	width, _, _ := opt.size(PageWidth, 3.4*vg.Inch)
	// Bars fill 80% of a block's slot, split between architectures.
	slot := (width/2 - 40) / vg.Length(depth)
	bw := slot * 0.8 / vg.Length(len(specs))
	var plots []*plot.Plot
	names := make(intTicks, depth)
	for i := range names {
		names[i] = fmt.Sprint(i + 1)
	}
	for pi, pn := range panels {
		p := newPlot("", "Block", pn.label)
		p.X.Tick.Marker = names
		p.X.Tick.Length = 0
		p.Y.Min = 0
		for si, s := range specs {
			vals := make(plotter.Values, depth)
			for i := range vals {
				if i < len(s.Blocks) {
					vals[i] = float64(pn.get(s.Blocks[i]))
				}
			}
			bc, err := plotter.NewBarChart(vals, bw)
			if err != nil {
				return fmt.Errorf("reports: block dims: %w", err)
			}
			bc.Color = seriesColor(si)
			bc.LineStyle.Width = 0
			bc.Offset = bw * (vg.Length(si) - vg.Length(len(specs)-1)/2)
			p.Add(bc)
			if pi == 0 && len(specs) > 1 {
				name := s.Name
				if name == "" {
					name = fmt.Sprintf("architecture %d", si+1)
				}
				p.Legend.Add(name, bc)
			}
		}
		p.X.Min, p.X.Max = -0.6, float64(depth)-0.4
		top := 0.0
		for _, s := range specs {
			for _, b := range s.Blocks {
				top = math.Max(top, float64(pn.get(b)))
			}
		}
		// Room above the bars for the legend.
		p.Y.Max = top * (1.15 + 0.1*float64(len(specs)))
		p.Legend.Top, p.Legend.Left = true, true
		plots = append(plots, p)
	}
	if opt.Title == "" && len(specs) == 1 && specs[0].Name != "" {
		opt.Title = fmt.Sprintf("%s: EMB %d, %.1fM params, %.2fG MACs", specs[0].Name, specs[0].EMB,
			float64(specs[0].Params())/1e6, float64(specs[0].MACs())/1e9)
	}
	return save(w, format, opt, PageWidth, 3.4*vg.Inch, 2, 2, plots...)
}

// TrajectoryStep is one step of a pruning run as the pruner logs it.
type TrajectoryStep struct {
	Step      int     `json:"step"`       // 0 is the dense model
	LatencyMS float64 `json:"latency_ms"` // predicted (or measured) latency after the step
	Accuracy  float64 `json:"accuracy"`   // top-1 % after the step's fine-tuning; NaN when not evaluated
	Params    int64   `json:"params,omitempty"`
}

// Trajectory is a pruning run's per-step log, for WriteTrajectory.
type Trajectory struct {
	Steps        []TrajectoryStep
	TargetMS     float64 // the latency target; 0: none drawn
	LatencyLabel string  // default "Latency (ms)"
	Title        string
}

// WriteTrajectory draws latency (top panel, with the target dashed) and
// accuracy (bottom panel, when any step has one) against the pruning step.
func WriteTrajectory(w io.Writer, format Format, tr Trajectory, opt Options) error {
	if len(tr.Steps) == 0 {
		return errors.New("reports: trajectory: no steps")
	}
	ll := tr.LatencyLabel
	if ll == "" {
		ll = "Latency (ms)"
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
		return errors.New("reports: trajectory: no step has a latency")
	}
	top := newPlot("", "Pruning step", ll)
	l, s, err := plotter.NewLinePoints(lat)
	if err != nil {
		return fmt.Errorf("reports: trajectory: %w", err)
	}
	l.Color, l.Width = Blue, lineWidth
	s.GlyphStyle = draw.GlyphStyle{Color: Blue, Radius: 1.5, Shape: draw.CircleGlyph{}}
	top.Add(l, s)
	top.Legend.Left = false
	top.Y.Min = 0
	if tr.TargetMS > 0 {
		t, _ := plotter.NewLine(plotter.XYs{{X: lat[0].X, Y: tr.TargetMS}, {X: lat[len(lat)-1].X, Y: tr.TargetMS}})
		t.Color, t.Width, t.Dashes = Vermilion, lineWidth, []vg.Length{4, 2}
		top.Add(t)
		top.Legend.Add("latency", l, s)
		top.Legend.Add("target", t)
	}
	plots := []*plot.Plot{top}
	rows := 1
	if len(acc) > 0 {
		top.X.Label.Text = ""
		bot := newPlot("", "Pruning step", "Top-1 accuracy (%)")
		l, s, err := plotter.NewLinePoints(acc)
		if err != nil {
			return fmt.Errorf("reports: trajectory: %w", err)
		}
		l.Color, l.Width = Green, lineWidth
		s.GlyphStyle = draw.GlyphStyle{Color: Green, Radius: 1.5, Shape: draw.TriangleGlyph{}}
		bot.Add(l, s)
		bot.X.Min, bot.X.Max = top.X.Min, top.X.Max
		plots = append(plots, bot)
		rows = 2
	}
	if opt.Title == "" {
		opt.Title = tr.Title
	}
	h := 2.0 * vg.Inch
	if rows == 2 {
		h = 3.2 * vg.Inch
	}
	return save(w, format, opt, ColumnWidth, h, rows, 1, plots...)
}
