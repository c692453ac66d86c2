package reports

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// frame is the text around a figure's plots: a title that says what the
// figure shows, an optional line of small print under it, and a one-line
// caption under the plots that says what the latencies belong to (device,
// runtime, batch).
type frame struct {
	title, subtitle, caption string
}

// Colours of the frame's small print.
var (
	subtitleColor = color.Gray{0x40}
	captionColor  = color.Gray{0x55}
)

// minCaptionSize is the smallest the caption shrinks to before it is cut.
const minCaptionSize = 5.5

// save draws a figure of format f: the frame (its title and caption
// replaced by opt's when given) and, in the space left between them,
// content. Text is wrapped here, where the width it gets is known (a
// --width, a longer device name); the caption is kept to one line.
func save(w io.Writer, f Format, opt Options, fr frame, defW, defH vg.Length, content func(dc draw.Canvas)) error {
	width, height, dpi := opt.size(defW, defH)
	c, err := newCanvas(f, width, height, dpi)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	if f == SVG || f == PDF {
		dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: width, Y: 0}, {X: width, Y: height}, {X: 0, Y: height}})
	}
	if opt.Title != "" {
		fr.title = opt.Title
	}
	if opt.Caption != "" {
		fr.caption = opt.Caption
	}
	top := height - 2
	for _, t := range []struct {
		s   string
		sty draw.TextStyle
		gap vg.Length
	}{
		{fr.title, textStyle(titleSize, color.Black), 1},
		{fr.subtitle, textStyle(noteSize, subtitleColor), 2},
	} {
		if t.s == "" {
			continue
		}
		s := wrapTo(t.s, t.sty, width-8)
		t.sty.XAlign, t.sty.YAlign = draw.XCenter, draw.YTop
		dc.FillText(t.sty, vg.Point{X: width / 2, Y: top}, s)
		top -= t.sty.Height(s) + t.gap
	}
	bottom := vg.Length(0)
	if fr.caption != "" {
		sty := textStyle(noteSize, captionColor)
		if sty.Width(fr.caption) > width-8 {
			sty = textStyle(minCaptionSize, captionColor)
		}
		s := ellipsize(fr.caption, sty, width-8)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
		dc.FillText(sty, vg.Point{X: width / 2, Y: 2}, s)
		bottom = sty.Height(s) + 3
	}
	content(draw.Crop(dc, 0, 0, bottom, top-height))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("reports: write %s: %w", f, err)
	}
	return nil
}

// single draws one plot on the whole canvas. gonum pads a plot for a log
// axis's label as if the label were centred on the data's midpoint, not
// on the axis, which shrinks a plot with a long label: the labels of log
// axes are drawn here instead, where gonum would draw them.
func single(p *plot.Plot) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		dc = draw.Crop(dc, 0, -3, 0, -2)
		inner := dc
		var xl, yl string
		if _, ok := p.X.Scale.(plot.LogScale); ok && p.X.Label.Text != "" {
			xl, p.X.Label.Text = p.X.Label.Text, ""
			inner = draw.Crop(inner, 0, 0, p.X.Label.TextStyle.Height(xl)+p.X.Label.Padding, 0)
		}
		if _, ok := p.Y.Scale.(plot.LogScale); ok && p.Y.Label.Text != "" {
			yl, p.Y.Label.Text = p.Y.Label.Text, ""
			sty := p.Y.Label.TextStyle
			inner = draw.Crop(inner, sty.Height(yl)+sty.FontExtents().Descent+p.Y.Label.Padding, 0, 0, 0)
		}
		p.Draw(inner)
		da := p.DataCanvas(inner)
		if xl != "" {
			sty := p.X.Label.TextStyle
			dc.FillText(sty, vg.Point{X: da.Center().X, Y: dc.Min.Y + sty.FontExtents().Descent}, xl)
			p.X.Label.Text = xl
		}
		if yl != "" {
			sty := p.Y.Label.TextStyle
			sty.Rotation += math.Pi / 2
			dc.FillText(sty, vg.Point{X: dc.Min.X + sty.Height(yl) - sty.FontExtents().Descent, Y: da.Center().Y}, yl)
			p.Y.Label.Text = yl
		}
	}
}

// grid draws plots on rows × cols tiles, their axes aligned.
func grid(rows, cols int, plots ...*plot.Plot) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 6, PadY: 4, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 4}
		g := make([][]*plot.Plot, rows)
		for r := range g {
			g[r] = make([]*plot.Plot, cols)
			for k := range cols {
				if i := r*cols + k; i < len(plots) {
					g[r][k] = plots[i]
				}
			}
		}
		canvases := plot.Align(g, tiles, dc)
		for r := range g {
			for k := range g[r] {
				if g[r][k] != nil {
					g[r][k].Draw(canvases[r][k])
				}
			}
		}
	}
}

// ellipsize cuts s, a single line, to width in sty, ending it with "…"
// when cut.
func ellipsize(s string, sty text.Style, width vg.Length) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if sty.Width(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && sty.Width(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,·;") + "…"
}

// wrapTo breaks every line of s at spaces so that, in sty, none is wider
// than width (a single word wider than width keeps its own line).
func wrapTo(s string, sty text.Style, width vg.Length) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, w := range strings.Fields(para) {
			if cur != "" && sty.Width(cur+" "+w) > width {
				lines = append(lines, cur)
				cur = w
				continue
			}
			if cur == "" {
				cur = w
			} else {
				cur += " " + w
			}
		}
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}
