package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PredVsMeasured is the input of WritePredictedVsMeasured: an evaluation's
// rows, and how to label the metrics.
type PredVsMeasured struct {
	Rows         []costmodel.EvalRow
	LatencyLabel string // unit of the axes, default "ms"
	Note         string // small print under the title, e.g. "hw model, 5-fold: MAPE 3.2%"
}

// The ±5% and ±10% bands: a darker filled band inside a light one whose
// edges are dashed, so the two read apart even where the axes span decades
// and the bands are thin.
var (
	band5Color    = color.Gray{0xb4}
	band10Color   = color.Gray{0xea}
	band10Edge    = draw.LineStyle{Color: color.Gray{0x78}, Width: 0.5, Dashes: []vg.Length{2, 1.5}}
	identityStyle = draw.LineStyle{Color: color.Gray{0x30}, Width: axisWidth}
	scatterRadius = vg.Length(1.7)
)

// WritePredictedVsMeasured draws each predicted row against its measurement
// (one colour and marker per kind of row), the identity line and the ±5%
// and ±10% bands. Axes are logarithmic when latencies span a decade.
func WritePredictedVsMeasured(w io.Writer, format Format, in PredVsMeasured, opt Options) error {
	unit := in.LatencyLabel
	if unit == "" {
		unit = "ms"
	}
	byKind, kinds, lo, hi := rowsByKind(in.Rows)
	if len(kinds) == 0 {
		return errors.New("reports: predicted vs measured: no predicted row")
	}
	p := newPlot("Measured latency ("+unit+")", "Predicted latency ("+unit+")")
	logs := spansDecades(lo, hi)
	if logs {
		setLog(&p.X)
		setLog(&p.Y)
	}
	a, b := padRange(lo, hi, 0.04, logs)
	if !logs {
		a = math.Max(a, 0)
	}
	ov := newOverlay()
	// The empty half above the diagonal first, then below it.
	ov.corners = []corner{{true, true}, {false, false}, {true, false}, {false, true}}
	b10, err := band(a, b, 0.10, logs, band10Color)
	if err != nil {
		return fmt.Errorf("reports: predicted vs measured: %w", err)
	}
	b5, err := band(a, b, 0.05, logs, band5Color)
	if err != nil {
		return fmt.Errorf("reports: predicted vs measured: %w", err)
	}
	id := &plotter.Line{XYs: plotter.XYs{{X: a, Y: a}, {X: b, Y: b}}, LineStyle: identityStyle}
	// The edges end where they leave the axes: a line's glyph boxes beyond
	// the axes would shrink the plot to fit them.
	e10lo := &plotter.Line{XYs: plotter.XYs{{X: a / 0.9, Y: a}, {X: b, Y: b * 0.9}}, LineStyle: band10Edge}
	e10hi := &plotter.Line{XYs: plotter.XYs{{X: a, Y: a * 1.1}, {X: b / 1.1, Y: b}}, LineStyle: band10Edge}
	p.Add(b10, e10lo, e10hi, b5, id)
	ov.addLine(id.XYs)
	for i, k := range kinds {
		sc, err := plotter.NewScatter(byKind[k])
		if err != nil {
			return fmt.Errorf("reports: predicted vs measured: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: seriesColor(i), Radius: scatterRadius, Shape: seriesMarker(i, false)}
		p.Add(sc)
		ov.addMarks(byKind[k], scatterRadius)
		ov.addEntry(fmt.Sprintf("%s (%d)", k, len(byKind[k])), sc)
	}
	ov.addEntry("±5%", b5)
	ov.addEntry("±10%", b10, thumbEdge{band10Edge})
	p.Add(ov)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = a, b, a, b // after Add, which widens them to the bands' edges
	fr := frame{title: "Predicted vs. measured latency of held-out rows", subtitle: in.Note}
	return save(w, format, opt, fr, ColumnWidth, ColumnWidth, single(p))
}

// rowsByKind are the predicted rows as (measured, predicted) points by
// kind, the kinds in the order they come, and the least and greatest
// latency.
func rowsByKind(rows []costmodel.EvalRow) (map[tablefmt.Kind]plotter.XYs, []tablefmt.Kind, float64, float64) {
	byKind := map[tablefmt.Kind]plotter.XYs{}
	var kinds []tablefmt.Kind
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
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
	return byKind, kinds, lo, hi
}

// band is the region within ±f of the diagonal from (a, a) to (b, b),
// densified on log axes so that it stays straight there.
func band(a, b, f float64, logs bool, c color.Color) (*plotter.Polygon, error) {
	pts := plotter.XYs{{X: a, Y: a * (1 - f)}, {X: b, Y: b * (1 - f)}, {X: b, Y: b * (1 + f)}, {X: a, Y: a * (1 + f)}}
	if logs {
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

// thumbEdge draws a legend thumbnail's top and bottom edges in a style.
type thumbEdge struct{ sty draw.LineStyle }

// Thumbnail implements plot.Thumbnailer.
func (t thumbEdge) Thumbnail(c *draw.Canvas) {
	c.StrokeLine2(t.sty, c.Min.X, c.Min.Y, c.Max.X, c.Min.Y)
	c.StrokeLine2(t.sty, c.Min.X, c.Max.Y, c.Max.X, c.Max.Y)
}

var _ plot.Thumbnailer = thumbEdge{}
