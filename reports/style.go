package reports

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
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

// Options size a figure and replace its text. Zero fields take the
// figure's defaults.
type Options struct {
	Width, Height vg.Length // default: one column, 3.3 in wide
	DPI           int       // PNG resolution; default 300
	// Title replaces the figure's own title, which says what it shows.
	Title string
	// Caption is the line under the plot that says what the latencies
	// belong to (DeviceCaption of the table); figures whose input carries
	// one (ParetoFigure, Trajectory) use theirs when it is empty.
	Caption string
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

// Text sizes, chosen for a 3.3 in column printed at 100%.
const (
	titleSize = 8
	labelSize = 7.5
	tickSize  = 7
	legendSz  = 6.5
	noteSize  = 6
	pointSize = 6 // labels beside points and in cells
)

// lineWidth of data lines; thin axes.
const (
	lineWidth = 1.1
	axisWidth = 0.6
)

// newPlot is a plot in the house style. Its legend stays empty: figures
// put theirs in an overlay, which places it where it covers no data.
func newPlot(xlabel, ylabel string) *plot.Plot {
	p := plot.New()
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

// ParseFormats reads a comma-separated list of formats ("png,svg,pdf").
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for _, f := range strings.Split(s, ",") {
		ff, err := ParseFormat(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, ff)
	}
	return out, nil
}
