package reports

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is a figure's file format.
type Format string

// The formats figures are written in.
const (
	PNG Format = "png"
	SVG Format = "svg"
	PDF Format = "pdf"
)

// Formats lists the formats, PNG first.
func Formats() []Format { return []Format{PNG, SVG, PDF} }

// ParseFormat reads a format name or a file extension ("png", ".svg", "PDF").
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimPrefix(s, ".")))
	for _, k := range Formats() {
		if f == k {
			return f, nil
		}
	}
	return "", fmt.Errorf("reports: unknown figure format %q (want png, svg or pdf)", s)
}

// Options size a figure. Zero fields take the figure's defaults.
type Options struct {
	Width, Height vg.Length // default: one column, 3.3 in wide
	DPI           int       // PNG resolution; default 300
	Title         string    // optional title above the plot
}

// ColumnWidth is the width of one column of a two-column paper.
const ColumnWidth = 3.3 * vg.Inch

// PageWidth is the width of a figure spanning both columns.
const PageWidth = 6.9 * vg.Inch

func (o Options) size(w, h vg.Length) (vg.Length, vg.Length, int) {
	if o.Width == 0 {
		o.Width = w
	}
	if o.Height == 0 {
		o.Height = h
	}
	if o.DPI == 0 {
		o.DPI = 300
	}
	return o.Width, o.Height, o.DPI
}

// Okabe–Ito colours (Okabe & Ito, "Color Universal Design", 2008), in the
// order series use them. Yellow is left out: it vanishes on white.
var (
	Black     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	Orange    = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	SkyBlue   = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	Green     = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	Blue      = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	Vermilion = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	Purple    = color.RGBA{0xcc, 0x79, 0xa7, 0xff}
	Yellow    = color.RGBA{0xf0, 0xe4, 0x42, 0xff}
)

// Palette is the series colours in order: Okabe–Ito without yellow.
func Palette() []color.Color {
	return []color.Color{Blue, Vermilion, Green, Orange, SkyBlue, Purple, Black}
}

// seriesColor is the i-th series colour.
func seriesColor(i int) color.Color { p := Palette(); return p[i%len(p)] }

// glyphs are marker shapes in order, so series differ without colour too.
// Filled shapes only: their open counterparts (openGlyph) mark predicted
// points.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.PyramidGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

// openGlyph is the outline counterpart of a filled glyph (for predicted points).
func openGlyph(g draw.GlyphDrawer) draw.GlyphDrawer {
	switch g.(type) {
	case draw.CircleGlyph:
		return draw.RingGlyph{}
	case draw.SquareGlyph:
		return draw.BoxGlyph{}
	case draw.PyramidGlyph:
		return draw.TriangleGlyph{}
	}
	return g
}

// Text sizes, chosen for a 3.3 in column printed at 100%.
const (
	titleSize = 8
	labelSize = 8
	tickSize  = 7
	legendSz  = 6.5
	noteSize  = 6
)

// lineWidth of data lines; thin axes.
const (
	lineWidth = 1.1
	axisWidth = 0.6
)

// newPlot is a plot in the house style.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = titleSize
	p.Title.Padding = 3
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = labelSize
		a.Label.Padding = 2
		a.Tick.Label.Font.Size = tickSize
		a.Tick.Length = 3
		a.Tick.LineStyle.Width = axisWidth
		a.LineStyle.Width = axisWidth
		a.Padding = 2
	}
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Legend.TextStyle.Font.Size = legendSz
	p.Legend.Padding = 1
	p.Legend.ThumbnailWidth = 12
	p.Legend.Top = true
	return p
}

// textStyle is a style for annotations.
func textStyle(size vg.Length, c color.Color) draw.TextStyle {
	p := plot.New()
	s := p.Title.TextStyle
	s.Font = font.From(plot.DefaultFont, size)
	s.Color = c
	s.XAlign, s.YAlign = draw.XLeft, draw.YBottom
	return s
}

// newCanvas makes a canvas of format f.
func newCanvas(f Format, w, h vg.Length, dpi int) (vg.CanvasWriterTo, error) {
	switch f {
	case PNG:
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))}, nil
	case SVG:
		return vgsvg.New(w, h), nil
	case PDF:
		c := vgpdf.New(w, h)
		c.EmbedFonts(true)
		return c, nil
	}
	return nil, fmt.Errorf("reports: unknown figure format %q (want png, svg or pdf)", f)
}

// save draws plots on a grid of rows × cols tiles and writes the canvas.
func save(w io.Writer, f Format, opt Options, defW, defH vg.Length, rows, cols int, plots ...*plot.Plot) error {
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
		sty := textStyle(titleSize, color.Black)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		dc.FillText(sty, vg.Point{X: width / 2, Y: height - 2}, opt.Title)
		dc = draw.Crop(dc, 0, 0, 0, -sty.Height(opt.Title)-4)
	}
	// Titles are wrapped here, where the width they get is known (a
	// --width, a longer device name), not at a fixed number of characters.
	for _, p := range plots {
		p.Title.Text = wrapTo(p.Title.Text, p.Title.TextStyle, 0.96*width/vg.Length(cols))
	}
	if rows*cols == 1 {
		plots[0].Draw(dc)
	} else {
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 6, PadY: 4, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 4}
		grid := make([][]*plot.Plot, rows)
		for r := range grid {
			grid[r] = make([]*plot.Plot, cols)
			for k := range cols {
				if i := r*cols + k; i < len(plots) {
					grid[r][k] = plots[i]
				}
			}
		}
		canvases := plot.Align(grid, tiles, dc)
		for r := range grid {
			for k := range grid[r] {
				if grid[r][k] != nil {
					grid[r][k].Draw(canvases[r][k])
				}
			}
		}
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("reports: write %s: %w", f, err)
	}
	return nil
}

// spansDecades reports whether positive values range over at least a
// factor of ten: then the axis is logarithmic.
func spansDecades(lo, hi float64) bool { return lo > 0 && hi/lo >= 10 }

// setLog makes a an axis of logarithmic scale with labelled 1-2-5 ticks.
func setLog(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
}

// logTicks labels 1, 2 and 5 × 10^k (only powers of ten over many decades)
// with minor ticks at every integer multiple.
type logTicks struct{}

// Ticks returns the ticks between lo and hi.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 {
		return nil
	}
	decades := math.Log10(hi / lo)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || (decades < 3 && (m == 2 || m == 5)) {
				label = formatTick(v)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// formatTick prints a tick value without trailing zeros.
func formatTick(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// intTicks labels integer positions with the given names (categorical axes).
type intTicks []string

// Ticks returns one labelled tick per name at 0, 1, 2, …
func (t intTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for i, s := range t {
		if float64(i) >= lo-0.5 && float64(i) <= hi+0.5 {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: s})
		}
	}
	return ticks
}

// padRange widens [lo, hi] by frac of its span (in log space for log axes).
func padRange(lo, hi, frac float64, log bool) (float64, float64) {
	if log {
		l, h := math.Log10(lo), math.Log10(hi)
		d := (h - l) * frac
		if d == 0 {
			d = 0.05
		}
		return math.Pow(10, l-d), math.Pow(10, h+d)
	}
	d := (hi - lo) * frac
	if d == 0 {
		d = math.Max(math.Abs(hi)*0.05, 0.5)
	}
	return lo - d, hi + d
}

// niceTicks are linear ticks at 1, 2 or 5 × 10^k, four to seven of them,
// labelled without trailing zeros, with a minor tick between majors.
type niceTicks struct{}

// Ticks returns the ticks between lo and hi.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first; v <= hi+step*1e-9; v += step {
		x := math.Round(v/step) * step
		if math.Abs(x) < step*1e-9 {
			x = 0
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: formatTick(x)})
		if m := x + step/2; m < hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m > lo {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
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

// setNote puts a line of small grey print above the plot (save wraps it to
// the figure's width).
func setNote(p *plot.Plot, note string) {
	if note == "" {
		return
	}
	p.Title.Text = note
	p.Title.TextStyle.Font.Size = noteSize
	p.Title.TextStyle.Color = color.Gray{0x40}
}
