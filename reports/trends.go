package reports

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/nvitprof/nvitprof/arch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TrendScale is what the y axes of the trends figure measure.
type TrendScale string

// The scales of WriteTrends.
const (
	// TrendKept is the fraction of the dense reference's value kept.
	TrendKept TrendScale = "kept"
	// TrendPerEMB is the value over the model's own EMB: the quantity the
	// redistribution rule makes proportional to ε.
	TrendPerEMB TrendScale = "emb"
)

// TrendsFigure is the input of WriteTrends.
type TrendsFigure struct {
	Trends *arch.Trends
	// Fit, when set, is drawn as a dashed step line: the fitted rule's
	// value before rounding, at the models' mean EMB.
	Fit *arch.RuleFit
	// Scale of the y axes; default TrendKept with a dense reference,
	// TrendPerEMB without.
	Scale TrendScale
	// Title defaults to what the figure shows; Caption is one line of small
	// print under it (device, data).
	Title, Caption string
}

// WriteTrends draws NViT's dimension trends: one panel per per-block
// dimension (heads, QK per head, V per head, MLP width) stacked over the
// block index, one line with markers per model, and the fitted rule's
// profile; one paper column wide.
func WriteTrends(w io.Writer, format Format, fig TrendsFigure, opt Options) error {
	t := fig.Trends
	if t == nil || len(t.Models) == 0 {
		return errors.New("reports: trends: no architecture")
	}
	scale := fig.Scale
	switch {
	case scale == "" && t.Dense != nil:
		scale = TrendKept
	case scale == "":
		scale = TrendPerEMB
	case scale == TrendKept && t.Dense == nil:
		return errors.New("reports: trends: kept fractions need a dense reference")
	case scale != TrendKept && scale != TrendPerEMB:
		return fmt.Errorf("reports: trends: unknown scale %q (want kept or emb)", scale)
	}
	width, height, _ := opt.size(ColumnWidth, 4.8*vg.Inch)
	dims := arch.BlockDimensions()
	// The legend's share of the top panel's data area, estimated from the
	// figure's size (the axes take about 45 pt across, the title, caption
	// and x axes about 40 pt and 18 pt a panel down).
	dataW := width - 45
	dataH := (height-40)/vg.Length(len(dims)) - 18
	plots := make([]*plot.Plot, len(dims))
	for i, d := range dims {
		var strip *legendStrip
		if i == 0 {
			strip = &legendStrip{}
		}
		p, err := trendPanel(t, fig.Fit, d, scale, strip)
		if err != nil {
			return err
		}
		if strip != nil {
			p.Add(strip)
			share := float64(strip.height(dataW) / dataH)
			p.Y.Max /= math.Max(1-share, 0.3)
		}
		if i < len(dims)-1 {
			p.X.Label.Text = ""
		}
		plots[i] = p
	}
	fr := frame{title: fig.Title, caption: fig.Caption}
	if fr.title == "" {
		fr.title = trendsTitle(t, scale)
	}
	return save(w, format, opt, fr, ColumnWidth, 4.8*vg.Inch, grid(len(plots), 1, plots...))
}

// trendsTitle says what the figure shows.
func trendsTitle(t *arch.Trends, scale TrendScale) string {
	if scale == TrendKept {
		return fmt.Sprintf("Per-block dimensions kept, as a fraction of %s", t.Dense.Name)
	}
	return "Per-block dimensions relative to each model's EMB"
}

// trendValue is v on scale: over the dense value, or over emb.
func trendValue(v float64, dense, emb int, scale TrendScale) float64 {
	if scale == TrendKept {
		if dense == 0 {
			return math.NaN()
		}
		return v / float64(dense)
	}
	return v / float64(emb)
}

// trendPanel is one dimension's panel: a line per model, the rule dashed;
// the entries go to legend when it is not nil.
func trendPanel(t *arch.Trends, fit *arch.RuleFit, d arch.Dimension, scale TrendScale, legend *legendStrip) (*plot.Plot, error) {
	ylabel := fmt.Sprintf("%s / EMB", d.Name())
	if scale == TrendKept {
		ylabel = fmt.Sprintf("%s kept", d.Name())
	}
	if d == arch.DimHeads && scale == TrendPerEMB {
		ylabel = "heads / EMB"
	}
	p := newPlot("Block", ylabel)
	p.X.Tick.Marker = blockTicks(t.Depth)
	p.X.Min, p.X.Max = -0.4, float64(t.Depth)-0.6
	p.Y.Min = 0
	top := 0.0
	for i, m := range t.Models {
		var xys plotter.XYs
		for b, blk := range m.Blocks {
			if blk.Heads == 0 && (d == arch.DimQK || d == arch.DimV) {
				continue // no heads: no width per head
			}
			var dense int
			if t.Dense != nil {
				dense = t.Dense.Blocks[b].Get(d)
			}
			if y := trendValue(float64(blk.Get(d)), dense, m.EMB, scale); !math.IsNaN(y) {
				xys = append(xys, plotter.XY{X: float64(b), Y: y})
				top = math.Max(top, y)
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("reports: trends: %w", err)
		}
		c := seriesColor(i)
		l.Color, l.Width = c, 0.8
		s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: 1.6, Shape: seriesMarker(i, false)}
		p.Add(l, s)
		if legend != nil {
			legend.add(m.Name, l, s)
		}
	}
	if fit != nil {
		l, hi, label, err := ruleLine(t, fit.Rule, d, scale)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		top = math.Max(top, hi)
		if legend != nil {
			legend.add(label, l)
		}
	}
	p.Y.Max = math.Max(top, 1e-9) * 1.08
	return p, nil
}

// ruleLine is the fitted rule's profile along d before rounding, at the
// models' mean EMB, as a step line (ε is constant within a block).
func ruleLine(t *arch.Trends, r arch.Rule, d arch.Dimension, scale TrendScale) (*plotter.Line, float64, string, error) {
	sum := 0
	for _, m := range t.Models {
		sum += m.EMB
	}
	emb := float64(sum) / float64(len(t.Models))
	var xys plotter.XYs
	top := 0.0
	for b := range t.Depth {
		e := r.Epsilon[b] * emb
		v := map[arch.Dimension]float64{arch.DimHeads: e / r.HeadDivisor, arch.DimQK: e / r.QKDivisor,
			arch.DimV: float64(r.V), arch.DimMLP: r.MLPFactor * e}[d]
		var dense int
		if t.Dense != nil {
			dense = t.Dense.Blocks[b].Get(d)
		}
		y := trendValue(v, dense, int(math.Round(emb)), scale)
		if scale == TrendPerEMB {
			y = v / emb
		}
		if math.IsNaN(y) {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(b), Y: y})
		top = math.Max(top, y)
	}
	if len(xys) == 0 {
		return nil, 0, "", errors.New("reports: trends: the rule has no value on this scale")
	}
	// Plateaus run to the axis limits, so the end blocks' are whole.
	xys = append(append(plotter.XYs{{X: -0.4, Y: xys[0].Y}}, xys...), plotter.XY{X: float64(t.Depth) - 0.6, Y: xys[len(xys)-1].Y})
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, 0, "", fmt.Errorf("reports: trends: rule: %w", err)
	}
	l.Color, l.Width, l.Dashes = Black, lineWidth, []vg.Length{3, 1.5}
	l.StepStyle = plotter.MidStep
	label := "fitted rule"
	if lo, hi := minMaxEMB(t); lo != hi {
		label = fmt.Sprintf("fitted rule (EMB %.0f)", emb)
	}
	return l, top, label, nil
}

func minMaxEMB(t *arch.Trends) (lo, hi int) {
	lo, hi = t.Models[0].EMB, t.Models[0].EMB
	for _, m := range t.Models {
		lo, hi = min(lo, m.EMB), max(hi, m.EMB)
	}
	return lo, hi
}

// blockTicks label blocks from 1 at positions 0, 1, …; past 16 blocks
// every other label is left out so that they do not collide.
func blockTicks(depth int) nameTicks {
	names := make(nameTicks, depth)
	for i := range names {
		if depth <= 16 || i%2 == 0 {
			names[i] = fmt.Sprint(i + 1)
		}
	}
	return names
}
