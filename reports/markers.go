package reports

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// shape is a marker's outline. Every shape has a filled and an open form,
// so that a series keeps its shape whether its points were measured
// (filled) or predicted (open); crosses and pluses, which have no open
// form, are not used.
type shape int

// The shapes in the order series take them.
const (
	shapeCircle shape = iota
	shapeTriangle
	shapeSquare
	shapeDiamond
	shapeTriangleDown
	numShapes
)

// marker draws a shape, filled or open. Open markers are filled white so
// that a line behind them does not run through them; filled ones get a
// thin white edge that keeps touching markers apart.
type marker struct {
	shape shape
	open  bool
}

// seriesMarker is the marker of the i-th series.
func seriesMarker(i int, open bool) marker {
	return marker{shape: shape(i % int(numShapes)), open: open}
}

// Stroke widths of marker outlines.
const (
	openStroke = 0.8
	edgeStroke = 0.35
)

// DrawGlyph draws the marker at pt with sty's colour and radius.
func (m marker) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	p := m.path(pt, sty.Radius)
	if m.open {
		c.SetColor(color.White)
		c.Fill(p)
		c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: openStroke})
		c.Stroke(p)
		return
	}
	c.SetColor(sty.Color)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: color.White, Width: edgeStroke})
	c.Stroke(p)
}

// path is the marker's outline around pt; shapes of radius r have about
// the area of a circle of radius r.
func (m marker) path(pt vg.Point, r vg.Length) vg.Path {
	var p vg.Path
	poly := func(radius vg.Length, start float64, n int) {
		for k := range n {
			a := start + 2*math.Pi*float64(k)/float64(n)
			q := vg.Point{X: pt.X + radius*vg.Length(math.Cos(a)), Y: pt.Y + radius*vg.Length(math.Sin(a))}
			if k == 0 {
				p.Move(q)
			} else {
				p.Line(q)
			}
		}
		p.Close()
	}
	switch m.shape {
	case shapeTriangle:
		poly(r*1.5, math.Pi/2, 3)
	case shapeTriangleDown:
		poly(r*1.5, -math.Pi/2, 3)
	case shapeSquare:
		poly(r*1.25, math.Pi/4, 4)
	case shapeDiamond:
		poly(r*1.3, math.Pi/2, 4)
	default:
		p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		p.Arc(pt, r, 0, 2*math.Pi)
		p.Close()
	}
	return p
}
