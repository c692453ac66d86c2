package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/reports"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// minHeldOut is the fewest configurations held out for a point to be
// drawn: a model that measured nearly everything has nothing left to
// predict.
const minHeldOut = 10

// writeFigure draws accuracy (the share of the configurations not measured
// that the model predicts within ±5%) against configurations measured, one
// line per strategy, the full grid's 5-fold cross-validation as a point, on
// a logarithmic x axis, the legend at the right.
func writeFigure(path string, r tableResult) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d configurations", r.bt.name, r.evaluated)
	p.X.Label.Text = "configurations measured"
	p.Y.Label.Text = "held out within ±5% (%)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ticks125{}
	p.Y.Min, p.Y.Max = 0, 100
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	colors := reports.Palette()
	glyphs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.PyramidGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}
	for i, s := range r.series {
		var xy plotter.XYs
		for _, pt := range s.points {
			if pt.heldOut.N >= minHeldOut {
				xy = append(xy, plotter.XY{X: float64(pt.measured), Y: pt.heldOut.W5})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		c := colors[i%len(colors)]
		l.Color, l.Width = c, vg.Points(1.1)
		sc.Color, sc.Shape, sc.Radius = c, glyphs[i%len(glyphs)], vg.Points(2.2)
		p.Add(l, sc)
		legend.Add(s.name, l, sc)
	}
	full, err := plotter.NewScatter(plotter.XYs{{X: float64(r.full.measured), Y: r.full.heldOut.W5}})
	if err != nil {
		return err
	}
	full.Color, full.Shape, full.Radius = color.Black, draw.BoxGlyph{}, vg.Points(3.5)
	p.Add(full)
	p.X.Max = 1.4 * float64(r.full.measured)
	legend.Add("full grid (5-fold)", full)
	return savePNG(path, p, legend)
}

// savePNG draws p with legend beside it, at 200 dpi.
func savePNG(path string, p *plot.Plot, legend plot.Legend) error {
	const w, h, side = 7 * vg.Inch, 3.4 * vg.Inch, 2.2 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(200))
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -side, 0, 0))
	legend.Left, legend.Top, legend.Padding = true, true, vg.Points(3)
	legend.Draw(draw.Crop(dc, w-side+6, 0, 0, -h/4))
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w)
		return err
	})
}

// ticks125 labels a logarithmic axis at 1, 2 and 5 times powers of ten, so
// that a range within one decade has labels too.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
			}
		}
	}
	return out
}
