package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sizes of the staircase figure's marks.
const (
	measuredRadius = 2.0 // markers of measured points
	modelWidth     = 0.8 // lines of a model's prediction: thinner than data lines
)

// keyColor draws the legend's "measured" and model entries when colours
// stand for lines.
var keyColor color.Color = color.Gray{0x50}

// WriteStaircase draws latency along one dimension, one colour and marker
// shape per line (EMB): measured points as markers, and the model's
// prediction at every integer width (SweepLine.PredX) as a thinner line
// under them, so that the staircases between measurements and the points
// the model does not reproduce show. The legend says which is which. The y
// axis is logarithmic when the latencies span a decade or more.
func WriteStaircase(w io.Writer, format Format, sw DimensionSweep, latencyLabel string, opt Options) error {
	p, _, err := staircasePlot(sw, latencyLabel)
	if err != nil {
		return err
	}
	return save(w, format, opt, frame{title: staircaseTitle(sw)}, ColumnWidth, 2.4*vg.Inch, single(p))
}

// staircasePlot builds WriteStaircase's plot; the overlay tells tests where
// the legend went once it is drawn.
func staircasePlot(sw DimensionSweep, latencyLabel string) (*plot.Plot, *overlay, error) {
	if len(sw.Lines) == 0 {
		return nil, nil, errors.New("reports: staircase: no measured line")
	}
	if latencyLabel == "" {
		latencyLabel = "Latency (ms)"
	}
	p := newPlot(sw.Dim.Label(), latencyLabel)
	p.X.Tick.Marker = integerTicks{}
	lo, hi := sweepRange(sw)
	logY := spansDecades(lo, hi)
	if logY {
		setLog(&p.Y)
	}
	ov := newOverlay()
	anyPred := false
	var markers []plot.Plotter // drawn over every line
	for i, l := range sw.Lines {
		model, sc, err := staircaseLine(i, l)
		if err != nil {
			return nil, nil, fmt.Errorf("reports: staircase: %w", err)
		}
		thumbs := []plot.Thumbnailer{sc}
		if model != nil {
			anyPred = true
			p.Add(model)
			ov.addLine(model.XYs)
			thumbs = []plot.Thumbnailer{model, sc}
		}
		ov.addMarks(sc.XYs, measuredRadius)
		markers = append(markers, sc)
		if len(sw.Lines) > 1 {
			ov.addEntry(l.Label, thumbs...)
		}
	}
	key := keyColor
	if len(sw.Lines) == 1 {
		key = seriesColor(0)
	}
	ov.addEntry("measured", &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: key, Radius: measuredRadius, Shape: seriesMarker(0, false)}})
	if anyPred {
		ov.addEntry(modelName(sw.Model), &plotter.Line{LineStyle: draw.LineStyle{Color: key, Width: modelWidth}})
	}
	// Headroom above the data for a legend in a top corner.
	headroom := 0.06 + 0.075*float64(len(ov.entries))
	p.Y.Min, _ = padRange(lo, hi, 0.05, logY)
	if logY {
		p.Y.Max = hi * math.Pow(hi/lo, headroom)
	} else {
		p.Y.Max = hi + (hi-lo)*headroom*1.6
	}
	p.Add(markers...)
	p.Add(ov)
	return p, ov, nil
}

// sweepRange is the least and greatest positive latency of a sweep,
// measured or predicted.
func sweepRange(sw DimensionSweep) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, l := range sw.Lines {
		for _, v := range append(append([]float64(nil), l.MeasuredMS...), l.PredMS...) {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}

// staircaseLine is the i-th line's model prediction (nil without one) and
// its measured points, in the line's colour and marker.
func staircaseLine(i int, l SweepLine) (*plotter.Line, *plotter.Scatter, error) {
	c := seriesColor(i)
	var model *plotter.Line
	if len(l.PredX) > 1 {
		xy := make(plotter.XYs, len(l.PredX))
		for j := range l.PredX {
			xy[j] = plotter.XY{X: l.PredX[j], Y: l.PredMS[j]}
		}
		var err error
		if model, err = plotter.NewLine(xy); err != nil {
			return nil, nil, err
		}
		model.Color, model.Width = c, modelWidth
	}
	xy := make(plotter.XYs, len(l.X))
	for j := range l.X {
		xy[j] = plotter.XY{X: l.X[j], Y: l.MeasuredMS[j]}
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: measuredRadius, Shape: seriesMarker(i, false)}
	return model, sc, nil
}

// modelName is how a legend names the model's lines.
func modelName(m string) string {
	if m == "" {
		return "cost model"
	}
	return m
}

// staircaseTitle says what a staircase shows: "Attention latency vs. heads
// (QK 32, V 32)".
func staircaseTitle(sw DimensionSweep) string {
	t := fmt.Sprintf("%s latency vs. %s", kindTitle(sw.Kind), dimTitle(sw.Dim))
	if sw.Fixed != "" {
		t += " (" + sw.Fixed + ")"
	}
	return t
}

// kindTitle names a kind of row in a title.
func kindTitle(k tablefmt.Kind) string {
	switch k {
	case tablefmt.KindAttn:
		return "Attention"
	case tablefmt.KindMLP:
		return "MLP"
	case tablefmt.KindBlock:
		return "Block"
	case tablefmt.KindModel:
		return "Model"
	}
	return string(k)
}

// dimTitle names a dimension in a title.
func dimTitle(d arch.Dimension) string {
	switch d {
	case arch.DimHeads:
		return "heads"
	case arch.DimQK, arch.DimV:
		return d.Name() + " width per head"
	case arch.DimMLP:
		return "MLP width"
	}
	return d.Name()
}
