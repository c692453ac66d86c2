package reports

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendStrip is a legend laid out in rows across the top of a panel's
// data area, entries side by side: gonum's legend is one column, which on
// a short panel covers the lines it names.
type legendStrip struct {
	names  []string
	thumbs [][]plot.Thumbnailer
}

// Legend strip metrics.
const (
	stripThumb = 12 // thumbnail width
	stripGap   = 2  // between thumbnail and name
	stripSep   = 7  // between entries
	stripPad   = 2  // around the strip
)

func (l *legendStrip) add(name string, th ...plot.Thumbnailer) {
	l.names = append(l.names, name)
	l.thumbs = append(l.thumbs, th)
}

func (l *legendStrip) style() draw.TextStyle {
	s := textStyle(legendSz, Black)
	s.YAlign = draw.YCenter
	return s
}

func (l *legendStrip) rowHeight() vg.Length { return vg.Length(legendSz) * 1.4 }

// layout places the entries in rows within width: each entry's left x
// offset and row (from 0, the top).
func (l *legendStrip) layout(width vg.Length) (xs []vg.Length, rows []int) {
	sty := l.style()
	x, row := vg.Length(stripPad), 0
	for _, n := range l.names {
		w := stripThumb + stripGap + sty.Width(n)
		if x > stripPad && x+w > width-stripPad {
			x, row = stripPad, row+1
		}
		xs, rows = append(xs, x), append(rows, row)
		x += w + stripSep
	}
	return xs, rows
}

// height is the strip's height when laid out within width.
func (l *legendStrip) height(width vg.Length) vg.Length {
	if len(l.names) == 0 {
		return 0
	}
	_, rows := l.layout(width)
	return vg.Length(rows[len(rows)-1]+1)*l.rowHeight() + 2*stripPad
}

// Plot draws the strip at the top of the data area c (plot.Plotter).
func (l *legendStrip) Plot(c draw.Canvas, _ *plot.Plot) {
	xs, rows := l.layout(c.Max.X - c.Min.X)
	sty, rh := l.style(), l.rowHeight()
	for i, n := range l.names {
		top := c.Max.Y - stripPad - vg.Length(rows[i])*rh
		x := c.Min.X + xs[i]
		tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: top - rh}, Max: vg.Point{X: x + stripThumb, Y: top}}}
		for _, th := range l.thumbs[i] {
			th.Thumbnail(&tc)
		}
		c.FillText(sty, vg.Point{X: x + stripThumb + stripGap, Y: top - rh/2}, n)
	}
}
