package reports

import (
	"bytes"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// On any range, integer ticks are integers inside it, labelled as
// integers, at least two of them labelled when the range holds two.
func TestIntegerTicksAreIntegers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		lo := math.Floor(r.Float64() * 100)
		hi := lo + r.Float64()*math.Pow(10, r.Float64()*4)
		var labelled int
		for _, tk := range (integerTicks{}).Ticks(lo, hi) {
			if tk.Value != math.Trunc(tk.Value) || tk.Value < lo-1e-9 || tk.Value > hi+1e-9 {
				t.Fatalf("[%v, %v]: tick %v", lo, hi, tk.Value)
			}
			if tk.Label != "" {
				labelled++
				if strings.ContainsAny(tk.Label, ".e") || tk.Label == "-0" {
					t.Fatalf("[%v, %v]: label %q", lo, hi, tk.Label)
				}
			}
		}
		if hi-lo >= 1 && labelled < 2 {
			t.Fatalf("[%v, %v]: %d labelled ticks", lo, hi, labelled)
		}
	}
	if got := tickLabels(integerTicks{}, 1, 4); got != "1 2 3 4" {
		t.Errorf("heads 1..4: %s", got)
	}
}

func tickLabels(m plot.Ticker, lo, hi float64) string {
	var l []string
	for _, tk := range m.Ticks(lo, hi) {
		if tk.Label != "" {
			l = append(l, tk.Label)
		}
	}
	return strings.Join(l, " ")
}

// checkIntegerAxis fails when an axis has a tick that is not an integer.
func checkIntegerAxis(t *testing.T, name string, a plot.Axis) {
	t.Helper()
	for _, tk := range a.Tick.Marker.Ticks(a.Min, a.Max) {
		if tk.Value != math.Trunc(tk.Value) {
			t.Errorf("%s: tick at %v", name, tk.Value)
		}
	}
}

// Heads, widths, blocks and pruning steps are whole numbers: so are the
// ticks of their axes (latency-heads had ticks at 1.5, 2.5 and 3.5).
func TestIntegerAxesHaveIntegerTicks(t *testing.T) {
	p, _, err := staircasePlot(goldenSweep(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkIntegerAxis(t, "staircase x", p.X)
	plots, err := trajectoryPlots(goldenTrajectory())
	if err != nil || len(plots) != 2 {
		t.Fatalf("%d panels, %v", len(plots), err)
	}
	for _, p := range plots {
		checkIntegerAxis(t, "trajectory step", p.X)
	}
	panels, _, err := blockDimsPlots(goldenSpecs(), PageWidth)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range panels {
		checkIntegerAxis(t, "block dims "+p.Y.Label.Text, p.Y)
	}
}

// Every shape has a filled form (coloured inside) and an open one (white
// inside, coloured outline), and the first five series have five shapes.
func TestMarkersHaveOpenAndFilledForms(t *testing.T) {
	shapes := map[shape]bool{}
	for i := range 5 {
		for _, open := range []bool{false, true} {
			m := seriesMarker(i, open)
			shapes[m.shape] = true
			c := vgimg.NewWith(vgimg.UseWH(60, 60), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
			dc := draw.New(c)
			dc.DrawGlyph(draw.GlyphStyle{Color: Blue, Radius: 20, Shape: m}, vg.Point{X: 30, Y: 30})
			img := c.Image()
			inside := color.RGBAModel.Convert(img.At(30, 30)).(color.RGBA)
			if open && inside != (color.RGBA{255, 255, 255, 255}) || !open && inside != Blue {
				t.Errorf("series %d open=%v: centre %v", i, open, inside)
			}
			edge := 0 // bluish pixels along the middle row: the outline crosses it
			for x := range 60 {
				if px := color.RGBAModel.Convert(img.At(x, 30)).(color.RGBA); int(px.B)-int(px.R) > 60 {
					edge++
				}
			}
			if edge == 0 {
				t.Errorf("series %d open=%v: no outline", i, open)
			}
		}
	}
	if len(shapes) != 5 {
		t.Errorf("%d shapes for five series", len(shapes))
	}
}

// Predicted points are open and measured ones filled, each group keeping
// its shape.
func TestParetoPredictedPointsAreOpen(t *testing.T) {
	d, err := paretoPlot(goldenPareto())
	if err != nil {
		t.Fatal(err)
	}
	shapeOf := map[string]shape{}
	for _, s := range d.series {
		m := s.scatter.GlyphStyle.Shape.(marker)
		if m.open == s.measured {
			t.Errorf("%s measured=%v drawn open=%v", s.group, s.measured, m.open)
		}
		if sh, ok := shapeOf[s.group]; ok && sh != m.shape {
			t.Errorf("%s: two shapes", s.group)
		}
		shapeOf[s.group] = m.shape
	}
	if len(d.series) != 3 || !strings.Contains(d.frame.subtitle, "filled markers: measured latency, open: predicted") {
		t.Errorf("%d series, subtitle %q", len(d.series), d.frame.subtitle)
	}
}

// drawPareto draws the golden Pareto figure and returns its drawing, whose
// overlay then says where the legend and labels went.
func drawPareto(t *testing.T, f ParetoFigure, opt Options) paretoDrawing {
	t.Helper()
	d, err := paretoPlot(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := save(io.Discard, SVG, opt, d.frame, ColumnWidth, 2.6*vg.Inch, single(d.plot)); err != nil {
		t.Fatal(err)
	}
	return d
}

// No label overlaps another, a marker or the legend, and the legend covers
// no marker and no line, at column width and at a narrower width.
func TestParetoLabelsDoNotOverlap(t *testing.T) {
	for _, opt := range []Options{{}, {Width: 2.8 * vg.Inch, Height: 2.4 * vg.Inch}} {
		d := drawPareto(t, goldenPareto(), opt)
		ov := d.ov
		if len(ov.labelBoxes) != 10 || ov.blocked != 0 {
			t.Fatalf("width %v: %d labels placed, %d blocked", opt.Width, len(ov.labelBoxes), ov.blocked)
		}
		for i, a := range ov.labelBoxes {
			for _, b := range ov.labelBoxes[i+1:] {
				if overlaps(a, b) {
					t.Errorf("width %v: labels %v and %v overlap", opt.Width, a, b)
				}
			}
			for _, m := range ov.markBoxes {
				if overlaps(a, m) {
					t.Errorf("width %v: label %v covers a marker at %v", opt.Width, a, m)
				}
			}
			if overlaps(a, ov.legendBox) {
				t.Errorf("width %v: label %v covers the legend", opt.Width, a)
			}
		}
		if ov.legendHits != 0 {
			t.Errorf("width %v: the legend covers %d marks", opt.Width, ov.legendHits)
		}
	}
}

// The staircase's legend covers no data either.
func TestStaircaseLegendCoversNoData(t *testing.T) {
	p, ov, err := staircasePlot(goldenSweep(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := save(io.Discard, SVG, Options{}, frame{}, ColumnWidth, 2.4*vg.Inch, single(p)); err != nil {
		t.Fatal(err)
	}
	if ov.legendHits != 0 || len(ov.entries) != 4 || ov.entries[2] != "measured" || ov.entries[3] != "hw model" {
		t.Errorf("legend %q covers %d marks", ov.entries, ov.legendHits)
	}
}

// One point far beyond the rest (1806 ms against at most 340) no longer
// squeezes them: the latency axis ends before it, it is drawn at its edge,
// and its label gives its values. On the (log) parameter axis it is not
// far enough from the rest to be cut off.
func TestParetoOffScalePoint(t *testing.T) {
	d := drawPareto(t, goldenPareto(), Options{})
	if d.plot.X.Max >= 1806 || d.plot.X.Max < 340 || d.plot.Y.Max < 5.363 {
		t.Errorf("axes end at %v ms, %v M params", d.plot.X.Max, d.plot.Y.Max)
	}
	if _, log := d.plot.X.Scale.(plot.LogScale); log {
		t.Error("latency axis logarithmic although the points left on it span less than a decade")
	}
	if _, log := d.plot.Y.Scale.(plot.LogScale); !log {
		t.Error("parameter axis linear although its values span more than a decade")
	}
	want := "deit-192-shaped\n(off scale: 1806 ms, 5.36M params)"
	if d.ov.labels[0].Text != want || d.ov.labels[0].X != d.plot.X.Max || d.ov.labels[0].Y != 5.363 {
		t.Errorf("label %+v, want %q at the axis's end", d.ov.labels[0], want)
	}
}

// offScale by hand: the values beyond a gap of more than 40% of the range,
// one of five or more, two of ten or more.
func TestOffScale(t *testing.T) {
	for _, tc := range []struct {
		v     []float64
		log   bool
		limit float64
		ok    bool
	}{
		{[]float64{1, 2, 3, 4}, false, 0, false},         // too few
		{[]float64{1, 2, 3, 4, 5}, false, 0, false},      // evenly spread
		{[]float64{1, 2, 3, 4, 100}, false, 4, true},     // gap 96 of 99
		{[]float64{1, 2, 3, 4, 7}, false, 4, true},       // gap 3 of 6: 50%
		{[]float64{10, 20, 30, 40, 60}, false, 0, false}, // gap 20 of 50: 40%, not more
		{[]float64{1, 2, 4, 8, 16}, true, 0, false},      // even in log
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 90, 100}, false, 8, true},
		{[]float64{1, 2, 3, 4, 5, 90, 100}, false, 0, false}, // two of seven may not go, and 100 is near 90
	} {
		limit, ok := offScale(tc.v, tc.log)
		if ok != tc.ok || limit != tc.limit {
			t.Errorf("offScale(%v, log %v) = %v, %v; want %v, %v", tc.v, tc.log, limit, ok, tc.limit, tc.ok)
		}
	}
}

// The heat map has a colour bar with the latency's unit and says that the
// latencies are measured (or predicted).
func TestHeatMapHasColourBar(t *testing.T) {
	g := goldenGrid()
	for _, pred := range []bool{false, true} {
		g.Predicted = pred
		var b bytes.Buffer
		if err := WriteHeatMap(&b, SVG, g, "ms, batch 8", Options{}); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		title := map[bool]string{false: "Measured attention latency", true: "Predicted attention latency"}[pred]
		for _, w := range []string{"<image", "Latency (ms, batch 8)", title} {
			if !strings.Contains(s, w) {
				t.Errorf("predicted=%v: SVG lacks %q", pred, w)
			}
		}
	}
	m := &viridisMap{min: 8.29, max: 32.1}
	lo, _ := m.At(8.29)
	hi, _ := m.At(32.1)
	if lo != (color.RGBA{68, 1, 84, 255}) || hi != (color.RGBA{253, 231, 37, 255}) {
		t.Errorf("colour bar from %v to %v, want viridis's ends", lo, hi)
	}
	if _, err := m.At(40); err == nil {
		t.Error("a latency above the scale has a colour")
	}
}

// The ±5% band is clearly darker than the ±10% band, whose edges are
// dashed.
func TestBandsAreDistinct(t *testing.T) {
	if d := int(band10Color.Y) - int(band5Color.Y); d < 0x30 {
		t.Errorf("bands %#x and %#x: %d grey levels apart", band5Color.Y, band10Color.Y, d)
	}
	if len(band10Edge.Dashes) == 0 {
		t.Error("±10% edges are not dashed")
	}
}

// The trajectory says whose run it is, what its latency is and on how many
// images accuracy was scored; a 0.3-point drop spans little of an
// accuracy axis at least two points tall that includes the dense accuracy.
func TestTrajectoryFigure(t *testing.T) {
	tr := goldenTrajectory()
	plots, err := trajectoryPlots(tr)
	if err != nil {
		t.Fatal(err)
	}
	top, bot := plots[0], plots[1]
	if top.Y.Label.Text != "Predicted latency (ms, batch 8)" || bot.Y.Label.Text != "Top-1 (%, 2000 test images)" {
		t.Errorf("labels %q, %q", top.Y.Label.Text, bot.Y.Label.Text)
	}
	if span := bot.Y.Max - bot.Y.Min; span < minAccuracySpan || 0.3/span > 0.15 {
		t.Errorf("accuracy axis %v..%v", bot.Y.Min, bot.Y.Max)
	}
	// The 95% interval of 97.2% on 2000 images is ±0.72 points.
	if e := binomialErrors(plotter.XYs{{X: 1, Y: 97.2}}, 2000).YErrors[0].Low; math.Abs(e-0.7222) > 1e-3 {
		t.Errorf("95%% interval ±%v", e)
	}
	var b bytes.Buffer
	if err := WriteTrajectory(&b, SVG, tr, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Pruning run demo: latency and accuracy per step", "predicted latency", "dense", goldenCaption} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	// Without the new fields, the figure is as before: no interval, plain labels.
	plots, _ = trajectoryPlots(Trajectory{Steps: tr.Steps})
	if plots[0].Y.Label.Text != "Latency (ms)" || plots[1].Y.Label.Text != "Top-1 accuracy (%)" {
		t.Errorf("bare labels %q, %q", plots[0].Y.Label.Text, plots[1].Y.Label.Text)
	}
}

// A caption too long for one line shrinks, then is cut with an ellipsis
// to the width.
func TestCaptionStaysOneLine(t *testing.T) {
	sty := textStyle(minCaptionSize, captionColor)
	long := strings.Repeat("a very long device name, ", 20)
	got := ellipsize(long, sty, 200)
	if !strings.HasSuffix(got, "…") || sty.Width(got) > 200 || strings.Contains(got, "\n") {
		t.Errorf("%q (%v wide)", got, sty.Width(got))
	}
	if got := ellipsize("short", sty, 200); got != "short" {
		t.Errorf("short caption changed: %q", got)
	}
}
