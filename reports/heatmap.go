package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// colorBarWidth is the strip right of a heat map that holds its colour
// bar, the bar's ticks and its label.
const colorBarWidth = 50

// WriteHeatMap draws latency over heads × QK per head: each cell coloured
// (viridis, colour-blind safe) and, up to 64 cells, labelled with its
// latency; a colour bar on the right gives the scale in latencyUnit
// ("ms, batch 8"). The title says whether the latencies are measured or
// predicted (HeatGrid.Predicted) and of which rows.
func WriteHeatMap(w io.Writer, format Format, g HeatGrid, latencyUnit string, opt Options) error {
	if len(g.Heads) == 0 || len(g.QK) == 0 {
		return errors.New("reports: heat map: empty grid")
	}
	if latencyUnit == "" {
		latencyUnit = "ms"
	}
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
	cmap := &viridisMap{min: lo, max: hi}
	hm := plotter.NewHeatMap(heatGrid{g}, cmap)
	hm.Min, hm.Max = lo, hi
	hm.NaN = color.Gray{0xe8}
	p := newPlot("QK width per head", "Attention heads")
	p.Add(hm)
	names := func(v []int) nameTicks {
		t := make(nameTicks, len(v))
		for i, x := range v {
			t[i] = fmt.Sprint(x)
		}
		return t
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = names(g.QK), names(g.Heads)
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.Padding, p.Y.Padding = 0, 0
	if err := addCellLabels(p, g, lo, hi); err != nil {
		return err
	}
	bar := plot.New()
	bar.HideX()
	bar.X.Padding, bar.Y.Padding = 0, 0
	bar.Y.Label.Text = "Latency (" + latencyUnit + ")"
	bar.Y.Label.TextStyle.Font.Size = labelSize
	bar.Y.Label.Padding = 2
	bar.Y.Tick.Label.Font.Size = tickSize
	bar.Y.Tick.Length, bar.Y.Tick.LineStyle.Width, bar.Y.LineStyle.Width = 3, axisWidth, axisWidth
	bar.Y.Tick.Marker = niceTicks{}
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true, Colors: 128})
	fr := frame{title: heatTitle(g), subtitle: g.Fixed}
	return save(w, format, opt, fr, ColumnWidth, 2.6*vg.Inch, func(dc draw.Canvas) {
		main := draw.Crop(dc, 0, -colorBarWidth, 0, 0)
		p.Draw(main)
		data := p.DataCanvas(main)
		bar.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: dc.Max.X - colorBarWidth + 8, Y: data.Min.Y},
			Max: vg.Point{X: dc.Max.X - 2, Y: data.Max.Y}}})
	})
}

// heatTitle says what a heat map shows: "Measured attention latency over
// heads × QK per head".
func heatTitle(g HeatGrid) string {
	src := "Measured"
	if g.Predicted {
		src = "Predicted"
	}
	k := "attention"
	if g.Kind != "" {
		k = strings.ToLower(kindTitle(g.Kind))
	}
	return fmt.Sprintf("%s %s latency over heads × QK per head", src, k)
}

// addCellLabels writes each cell's latency in it, dark on light cells and
// light on dark; not beyond 64 cells, where they would not fit.
func addCellLabels(p *plot.Plot, g HeatGrid, lo, hi float64) error {
	var lab plotter.XYLabels
	var colors []color.Color
	for i := range g.Heads {
		for j := range g.QK {
			v := g.MS[i][j]
			if math.IsNaN(v) {
				continue
			}
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: float64(i)})
			lab.Labels = append(lab.Labels, formatMS(v))
			if (v-lo)/(hi-lo) > 0.6 {
				colors = append(colors, color.Black)
			} else {
				colors = append(colors, color.White)
			}
		}
	}
	if len(lab.XYs) == 0 || len(lab.XYs) > 64 {
		return nil
	}
	lb, err := plotter.NewLabels(lab)
	if err != nil {
		return fmt.Errorf("reports: heat map: %w", err)
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = pointSize
		lb.TextStyle[i].Color = colors[i]
		lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(lb)
	return nil
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

// viridisAnchors are 9 colours of matplotlib's viridis map, perceptually
// uniform and colour-blind safe, from dark purple to yellow.
var viridisAnchors = [][3]uint8{
	{68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
	{39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37},
}

// viridisAt is the colour at t in [0, 1], interpolated between anchors.
func viridisAt(t float64) color.Color {
	n := len(viridisAnchors) - 1
	t = math.Max(0, math.Min(1, t)) * float64(n)
	k := min(int(t), n-1)
	f := t - float64(k)
	a, b := viridisAnchors[k], viridisAnchors[k+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.RGBA{mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2]), 0xff}
}

// viridisMap is viridis as a palette.ColorMap over [min, max] (for the
// colour bar) and as a 256-colour palette.Palette (for the heat map).
type viridisMap struct{ min, max float64 }

// At returns the colour of v; an error outside [Min, Max].
func (m *viridisMap) At(v float64) (color.Color, error) {
	switch {
	case math.IsNaN(v):
		return nil, palette.ErrNaN
	case v < m.min:
		return nil, palette.ErrUnderflow
	case v > m.max:
		return nil, palette.ErrOverflow
	}
	return viridisAt((v - m.min) / (m.max - m.min)), nil
}

func (m *viridisMap) Max() float64       { return m.max }
func (m *viridisMap) SetMax(v float64)   { m.max = v }
func (m *viridisMap) Min() float64       { return m.min }
func (m *viridisMap) SetMin(v float64)   { m.min = v }
func (m *viridisMap) Alpha() float64     { return 1 }
func (m *viridisMap) SetAlpha(a float64) {}

// Palette returns n colours from dark purple to yellow.
func (m *viridisMap) Palette(n int) palette.Palette { return viridisPalette(n) }

// Colors returns 256 colours from dark purple to yellow.
func (m *viridisMap) Colors() []color.Color { return viridisPalette(256).Colors() }

type viridisPalette int

func (n viridisPalette) Colors() []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		out[i] = viridisAt(float64(i) / math.Max(1, float64(n-1)))
	}
	return out
}
