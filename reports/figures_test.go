package reports

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// checkFigure checks one figure in every format: a PNG of the expected
// pixel size with enough pixels of the data's colour, an SVG holding the
// given strings, a PDF that starts like one.
func checkFigure(t *testing.T, name string, wIn, hIn float64, svgWant []string, draw func(buf *bytes.Buffer, f Format) error) {
	checkFigureColors(t, name, wIn, hIn, svgWant, []color.RGBA{Blue, Vermilion, Green, Orange}, draw)
}

func checkFigureColors(t *testing.T, name string, wIn, hIn float64, svgWant []string, colors []color.RGBA, draw func(buf *bytes.Buffer, f Format) error) {
	t.Helper()
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := draw(&buf, f); err != nil {
			t.Fatalf("%s %s: %v", name, f, err)
		}
		data := buf.Bytes()
		switch f {
		case PNG:
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: not a PNG: %v", name, err)
			}
			b := img.Bounds()
			if wantW, wantH := int(math.Round(wIn*300)), int(math.Round(hIn*300)); abs(b.Dx()-wantW) > 1 || abs(b.Dy()-wantH) > 1 {
				t.Errorf("%s: PNG is %dx%d, want %dx%d (300 dpi)", name, b.Dx(), b.Dy(), wantW, wantH)
			}
			ink, data := countInk(img, colors)
			if frac := float64(ink) / float64(b.Dx()*b.Dy()); frac < 0.01 {
				t.Errorf("%s: PNG nearly blank (%.2f%% ink)", name, 100*frac)
			}
			if data < 30 {
				t.Errorf("%s: only %d pixels of the Okabe–Ito data colours: the series are missing", name, data)
			}
		case SVG:
			s := string(data)
			if !strings.HasPrefix(strings.TrimSpace(s), "<?xml") || !strings.Contains(s, "<svg") {
				t.Errorf("%s: not an SVG", name)
			}
			for _, w := range svgWant {
				if !strings.Contains(s, w) {
					t.Errorf("%s: SVG lacks %q", name, w)
				}
			}
		case PDF:
			if !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.Contains(data[len(data)-64:], []byte("%%EOF")) {
				t.Errorf("%s: not a PDF", name)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// countInk counts non-white pixels, and pixels of the series colours.
func countInk(img image.Image, series []color.RGBA) (ink, data int) {
	b := img.Bounds()
	rgba, _ := img.(*image.RGBA) // what gonum's PNGs decode to: read its pixels directly
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var r, g, bl uint32
			if rgba != nil {
				px := rgba.Pix[rgba.PixOffset(x, y):]
				r, g, bl = uint32(px[0]), uint32(px[1]), uint32(px[2])
			} else {
				r, g, bl, _ = img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
			}
			if r < 245 || g < 245 || bl < 245 {
				ink++
			}
			for _, c := range series {
				if near(r, c.R) && near(g, c.G) && near(bl, c.B) {
					data++
					break
				}
			}
		}
	}
	return ink, data
}

func near(a uint32, b uint8) bool { d := int(a) - int(b); return d >= -6 && d <= 6 }

// testTable is a small decomposed table: attn over heads × QK at two EMBs,
// MLP over four widths at two EMBs, one rest row.
func testTable() tablefmt.Table {
	t := tablefmt.Table{Header: tablefmt.Header{Version: tablefmt.FormatVersion, Tokens: 65, Batch: 8,
		Image: 32, Patch: 4, Channels: 3, Classes: 10}}
	for _, e := range []int{64, 128} {
		for _, h := range []int{1, 2, 4} {
			for _, q := range []int{8, 16, 32} {
				t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: h, QK: q, V: 32,
					MedianMS: 1 + float64(e)/64 + float64(h*q)/16})
			}
		}
		for _, m := range []int{128, 256, 384, 512} {
			t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: float64(e*m) / 8192})
		}
		t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindRest, EMB: e, MedianMS: 0.5})
	}
	return t
}

func TestSweepsAreTheTable(t *testing.T) {
	tab := testTable()
	m, err := costmodel.Fit(tab, costmodel.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sws := Sweeps(tab, m)
	byDim := map[arch.Dimension]DimensionSweep{}
	for _, s := range sws {
		byDim[s.Dim] = s
	}
	for _, d := range []arch.Dimension{arch.DimHeads, arch.DimQK, arch.DimMLP, arch.DimEMB} {
		if _, ok := byDim[d]; !ok {
			t.Errorf("no sweep along %s", d)
		}
	}
	if _, ok := byDim[arch.DimV]; ok {
		t.Error("a sweep along V, which the table does not vary")
	}
	mlp := byDim[arch.DimMLP]
	if len(mlp.Lines) != 2 || mlp.Lines[1].Label != "EMB 128" {
		t.Fatalf("MLP lines %+v", mlp.Lines)
	}
	for i, x := range mlp.Lines[1].X {
		if want := 128 * x / 8192; mlp.Lines[1].MeasuredMS[i] != want {
			t.Errorf("MLP %v: %v ms, table %v", x, mlp.Lines[1].MeasuredMS[i], want)
		}
	}
	// The model reproduces a measured, monotone table at its nodes.
	for i, x := range mlp.Lines[1].PredX {
		if x == 256 && math.Abs(mlp.Lines[1].PredMS[i]-4) > 1e-9 {
			t.Errorf("model at MLP 256: %v, table 4", mlp.Lines[1].PredMS[i])
		}
	}
	qk := byDim[arch.DimQK]
	if qk.Fixed != "heads 4, V 32" {
		t.Errorf("QK sweep fixed %q", qk.Fixed)
	}
	g, ok := HeadsQKGrid(tab)
	if !ok || len(g.Heads) != 3 || len(g.QK) != 3 || g.MS[2][1] != 1+2+4*16.0/16 || g.Fixed != "EMB 128, V 32" {
		t.Errorf("heads × QK grid %+v", g)
	}
}

func TestFiguresAreValidFiles(t *testing.T) {
	tab := testTable()
	m, err := costmodel.Fit(tab, costmodel.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sw := range Sweeps(tab, m) {
		want := []string{sw.Lines[0].Label, "Latency (ms, batch 8)", sw.Dim.Label()}
		checkFigure(t, "staircase "+string(sw.Dim), 3.3, 2.4, want, func(b *bytes.Buffer, f Format) error {
			return WriteStaircase(b, f, sw, "Latency (ms, batch 8)", Options{})
		})
	}
	g, _ := HeadsQKGrid(tab)
	// The fastest cell is the palette's first colour, the slowest its last.
	viridisEnds := []color.RGBA{{68, 1, 84, 255}, {253, 231, 37, 255}}
	checkFigureColors(t, "heat map", 3.3, 2.6, []string{"QK width per head", "Attention heads", "4.00"}, viridisEnds, func(b *bytes.Buffer, f Format) error {
		return WriteHeatMap(b, f, g, "ms", Options{})
	})
	ev, err := costmodel.Eval(tab, costmodel.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, "predicted vs measured", 3.3, 3.3, []string{"attn (", "mlp (", "±10%"}, func(b *bytes.Buffer, f Format) error {
		return WritePredictedVsMeasured(b, f, PredVsMeasured{Rows: ev.Rows, Note: "hw model"}, Options{})
	})
	deitS, _ := arch.Preset("deit-s-distilled")
	revit, _ := arch.Preset("revit-s")
	checkFigure(t, "block dims", 6.9, 3.4, []string{"deit-s-distilled", "revit-s", "MLP width"}, func(b *bytes.Buffer, f Format) error {
		return WriteBlockDims(b, f, []arch.Spec{deitS, revit}, Options{})
	})
	pf := ParetoFigure{Metric: MetricParams, Points: []ParetoPoint{
		{Name: "deit-s", Group: "DeiT", LatencyMS: 10, Params: 22e6, Measured: true, Label: true},
		{Name: "revit-a", Group: "generated", LatencyMS: 8, Params: 20e6},
		{Name: "revit-b", Group: "generated", LatencyMS: 12, Params: 30e6},
		{Name: "mine", Group: "user", LatencyMS: 11, Params: 10e6, Label: true},
	}}
	checkFigure(t, "pareto", 3.3, 2.6, []string{"Pareto front", "DeiT", "generated", "user", "deit-s"}, func(b *bytes.Buffer, f Format) error {
		return WritePareto(b, f, pf, Options{})
	})
	tr := Trajectory{TargetMS: 5, Steps: []TrajectoryStep{{0, 10, 80, 0}, {1, 8, 79, 0}, {2, 6, math.NaN(), 0}, {3, 4.9, 77.5, 0}}}
	checkFigure(t, "trajectory", 3.3, 3.4, []string{"target", "Top-1 accuracy (%)", "Pruning step"}, func(b *bytes.Buffer, f Format) error {
		return WriteTrajectory(b, f, tr, Options{})
	})
}

func TestFigureOptionsAndErrors(t *testing.T) {
	var b bytes.Buffer
	pf := ParetoFigure{Metric: MetricParams, Points: []ParetoPoint{{LatencyMS: 1, Params: 1e6}, {LatencyMS: 2, Params: 2e6}}}
	if err := WritePareto(&b, PNG, pf, Options{Width: 200, Height: 100, DPI: 72}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil || img.Bounds().Dx() != 200 || img.Bounds().Dy() != 100 {
		t.Errorf("custom size: %v %v", img.Bounds(), err)
	}
	if err := WritePareto(&b, "gif", pf, Options{}); err == nil {
		t.Error("gif accepted")
	}
	pf.Metric = MetricAccuracy
	if err := WritePareto(&b, PNG, pf, Options{}); err == nil || !strings.Contains(err.Error(), "accuracy") {
		t.Errorf("no accuracy: %v", err)
	}
	if err := WriteTrajectory(&b, PNG, Trajectory{}, Options{}); err == nil {
		t.Error("empty trajectory accepted")
	}
	if err := WriteBlockDims(&b, PNG, nil, Options{}); err == nil {
		t.Error("no architecture accepted")
	}
	if _, err := ParseFormat(".PDF"); err != nil {
		t.Error(err)
	}
	if _, err := ParseFormat("jpeg"); err == nil {
		t.Error("jpeg accepted")
	}
}

func TestLogAxesWhenDecades(t *testing.T) {
	if !spansDecades(1, 10) || spansDecades(1, 9.9) || spansDecades(0, 100) {
		t.Error("spansDecades")
	}
	var labels []string
	for _, tk := range (logTicks{}).Ticks(0.8, 300) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "1 2 5 10 20 50 100 200" {
		t.Errorf("log tick labels %v", labels)
	}
	labels = nil
	for _, tk := range (niceTicks{}).Ticks(0, 23) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, " ") != "0 5 10 15 20" {
		t.Errorf("linear tick labels %v", labels)
	}
}
