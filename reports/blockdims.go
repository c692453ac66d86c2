package reports

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"

	"github.com/nvitprof/nvitprof/arch"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteBlockDims draws the per-block dimensions of one or more
// architectures, NViT's Fig. 4: four panels (heads, QK per head, V per
// head, MLP width), a group of bars per block, one colour per architecture,
// named with its parameter count in a legend row above the panels (where it
// covers no bar).
func WriteBlockDims(w io.Writer, format Format, specs []arch.Spec, opt Options) error {
	width, _, _ := opt.size(PageWidth, 3.4*vg.Inch)
	plots, legend, err := blockDimsPlots(specs, width)
	if err != nil {
		return err
	}
	fr := frame{title: blockDimsTitle(specs)}
	return save(w, format, opt, fr, PageWidth, 3.4*vg.Inch, func(dc draw.Canvas) {
		if len(specs) > 1 {
			dc = drawLegendRow(dc, legend)
		}
		grid(2, 2, plots...)(dc)
	})
}

// blockDimsPlots are WriteBlockDims's four panels for a figure width wide,
// and its legend.
func blockDimsPlots(specs []arch.Spec, width vg.Length) ([]*plot.Plot, []legendItem, error) {
	if len(specs) == 0 {
		return nil, nil, errors.New("reports: block dims: no architecture")
	}
	depth := 0
	for _, s := range specs {
		depth = max(depth, s.Depth())
	}
	panels := []struct {
		label string
		get   func(arch.Block) int
	}{
		{"Heads", func(b arch.Block) int { return b.Heads }},
		{"QK per head", func(b arch.Block) int { return b.QK }},
		{"V per head", func(b arch.Block) int { return b.V }},
		{"MLP width", func(b arch.Block) int { return b.MLP }},
	}
	// Bars fill 80% of a block's slot, split between architectures.
	slot := (width/2 - 40) / vg.Length(depth)
	bw := slot * 0.8 / vg.Length(len(specs))
	names := make(nameTicks, depth)
	for i := range names {
		names[i] = fmt.Sprint(i + 1)
	}
	var plots []*plot.Plot
	var legend []legendItem
	for pi, pn := range panels {
		p := newPlot("Block", pn.label)
		p.X.Tick.Marker = names
		p.Y.Tick.Marker = integerTicks{}
		p.X.Tick.Length = 0
		top := 0.0
		for si, s := range specs {
			vals := make(plotter.Values, depth)
			for i := range vals {
				if i < len(s.Blocks) {
					vals[i] = float64(pn.get(s.Blocks[i]))
					top = math.Max(top, vals[i])
				}
			}
			bc, err := plotter.NewBarChart(vals, bw)
			if err != nil {
				return nil, nil, fmt.Errorf("reports: block dims: %w", err)
			}
			bc.Color = seriesColor(si)
			bc.LineStyle.Width = 0
			bc.Offset = bw * (vg.Length(si) - vg.Length(len(specs)-1)/2)
			p.Add(bc)
			if pi == 0 {
				legend = append(legend, legendItem{specName(s, si), seriesColor(si)})
			}
		}
		p.X.Min, p.X.Max = -0.6, float64(depth)-0.4
		p.Y.Min, p.Y.Max = 0, math.Max(1, top*1.08)
		plots = append(plots, p)
	}
	return plots, legend, nil
}

// specName names an architecture in a legend, with its parameters.
func specName(s arch.Spec, i int) string {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("architecture %d", i+1)
	}
	return fmt.Sprintf("%s (%s params)", name, FormatCount(s.Params()))
}

func blockDimsTitle(specs []arch.Spec) string {
	if len(specs) == 1 && specs[0].Name != "" {
		s := specs[0]
		return fmt.Sprintf("Per-block dimensions of %s: EMB %d, %.1fM params, %.2fG MACs", s.Name, s.EMB,
			float64(s.Params())/1e6, float64(s.MACs())/1e9)
	}
	return "Per-block dimensions: heads, QK and V per head, MLP width"
}

// legendItem is a colour swatch and its name.
type legendItem struct {
	name string
	c    color.Color
}

// drawLegendRow draws items in a centred row (rows, if they do not fit) at
// the top of dc and returns the canvas left below them.
func drawLegendRow(dc draw.Canvas, items []legendItem) draw.Canvas {
	sty := textStyle(legendSz, color.Black)
	sty.YAlign = draw.YCenter
	const swatch, gap, between = 9, 3, 12
	h := sty.Height("M") + 3
	var rows [][]legendItem
	var widths []vg.Length
	avail := dc.Max.X - dc.Min.X - 8
	for _, it := range items {
		iw := vg.Length(swatch+gap) + sty.Width(it.name)
		if n := len(rows); n == 0 || widths[n-1]+between+iw > avail {
			rows, widths = append(rows, nil), append(widths, -between)
		}
		n := len(rows) - 1
		rows[n], widths[n] = append(rows[n], it), widths[n]+between+iw
	}
	y := dc.Max.Y - h/2
	for r, row := range rows {
		x := (dc.Min.X+dc.Max.X)/2 - widths[r]/2
		for _, it := range row {
			dc.FillPolygon(it.c, []vg.Point{{X: x, Y: y - 3}, {X: x + swatch, Y: y - 3}, {X: x + swatch, Y: y + 3}, {X: x, Y: y + 3}})
			dc.FillText(sty, vg.Point{X: x + swatch + gap, Y: y}, it.name)
			x += swatch + gap + sty.Width(it.name) + between
		}
		y -= h
	}
	return draw.Crop(dc, 0, 0, 0, -h*vg.Length(len(rows))-2)
}
