package reports

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// update rewrites the golden figures under testdata/ with what the tests
// drew: go test ./reports -run Golden -update, then look at the figures
// (convert them, or draw the same inputs as PNG) before committing.
var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares got with testdata/name, or writes it there with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s: if the change is meant, rerun with -update and look at the figure", name, path)
	}
}

// The golden figures' inputs are written out here rather than fitted or
// measured, so that they change only when the drawing does.

const goldenCaption = "Test CPU, 2 cores · gomlx/SimpleGo · float32 · batch 8 · 65 tokens"

// goldenSweep is attention latency along heads at two EMBs; the model
// misses EMB 64's measurement at 4 heads.
func goldenSweep() DimensionSweep {
	return DimensionSweep{Dim: arch.DimHeads, Kind: tablefmt.KindAttn, Fixed: "QK 32, V 32", Model: "hw model", Lines: []SweepLine{
		{Label: "EMB 64", X: []float64{1, 2, 4}, MeasuredMS: []float64{8, 12.5, 38}, PredX: []float64{1, 2, 3, 4}, PredMS: []float64{8, 12.5, 20.2, 27.9}},
		{Label: "EMB 128", X: []float64{1, 2, 4}, MeasuredMS: []float64{11, 17.9, 32.1}, PredX: []float64{1, 2, 3, 4}, PredMS: []float64{11, 17.9, 25, 32.1}},
	}}
}

// goldenGrid is heads × QK with one cell not measured.
func goldenGrid() HeatGrid {
	return HeatGrid{Heads: []int{1, 2, 4}, QK: []int{8, 16, 32}, Fixed: "EMB 128, V 32", Kind: tablefmt.KindAttn,
		MS: [][]float64{{8.29, 9, 11}, {13.4, math.NaN(), 17.9}, {25, 26.9, 32.1}}}
}

// goldenEval is held-out rows of three kinds over two decades, most
// within 5%, a few beyond 10%.
func goldenEval() PredVsMeasured {
	var rows []costmodel.EvalRow
	add := func(k tablefmt.Kind, meas, pred float64) {
		rows = append(rows, costmodel.EvalRow{Kind: k, MeasuredMS: meas, PredictedMS: costmodel.NullFloat(pred)})
	}
	for i, m := range []float64{4.4, 5.2, 6.8, 8.1, 9.9, 12.5, 15, 18.2, 22, 27.5, 31, 38} {
		add(tablefmt.KindAttn, m, m*(1+0.03*math.Sin(float64(i))))
	}
	add(tablefmt.KindAttn, 13.5, 8)
	for _, m := range []float64{4.5, 8, 14, 25, 44} {
		add(tablefmt.KindMLP, m, m*1.02)
	}
	add(tablefmt.KindModel, 93, 90)
	add(tablefmt.KindModel, 340, 310)
	return PredVsMeasured{Rows: rows, LatencyLabel: "ms, batch 8", Note: "hw model, 5-fold: MAPE 5.1%, 90% within ±10%"}
}

// goldenPareto is the quickstart's Pareto figure: one DeiT shape far
// beyond the rest (off scale on both axes), two measured table models, and
// generated variants where budgets 0.4/0.5 and 0.8/0.9 gave the same
// architecture.
func goldenPareto() ParetoFigure {
	v := func(text string, ms, mparams float64) ParetoPoint {
		return ParetoPoint{Name: "revit-" + text, Group: "generated (revit)", LatencyMS: ms, Params: int64(mparams * 1e6), Label: true, Text: text}
	}
	return ParetoFigure{Metric: MetricParams, LatencyLabel: "Latency (ms, batch 8)", Caption: goldenCaption,
		Note: "variants labelled with their latency budget (× mini-128)",
		Points: []ParetoPoint{
			{Name: "deit-192-shaped", Group: "DeiT", LatencyMS: 1806, Params: 5_363_000, Label: true},
			{Name: "mini-64", Group: "table models", LatencyMS: 93, Params: 175_000, Measured: true, Label: true},
			{Name: "mini-128", Group: "table models", LatencyMS: 340, Params: 809_000, Measured: true, Label: true},
			v("0.2×", 43.5, 0.031), v("0.3×", 89.9, 0.147), v("0.4×, 0.5×", 122.2, 0.233), v("0.6×", 161.6, 0.337),
			v("0.7×", 201.8, 0.459), v("0.8×, 0.9×", 242.6, 0.6), v("1×", 281.3, 0.76),
		}}
}

// goldenTrajectory is a five-step run that loses 0.3 points of accuracy.
func goldenTrajectory() Trajectory {
	return Trajectory{TargetMS: 150, Run: "demo", Latency: LatencyPredicted, Batch: 8, EvalImages: 2000, Caption: goldenCaption,
		Steps: []TrajectoryStep{{0, 300, 97.2, 0}, {1, 262, 97.1, 0}, {2, 228, 97.0, 0}, {3, 199, math.NaN(), 0}, {4, 172, 96.9, 0}, {5, 149, 96.9, 0}}}
}

// goldenSpecs are a reference and a narrower variant of it.
func goldenSpecs() []arch.Spec {
	ref, v := mini("mini-128", 128, 4), mini("revit-0.60x", 80, 4)
	for i := range v.Blocks {
		v.Blocks[i].Heads, v.Blocks[i].QK, v.Blocks[i].V, v.Blocks[i].MLP = 2, 8, 64, []int{240, 480, 480, 240}[i]
	}
	return []arch.Spec{ref, v}
}

func TestGoldenFigures(t *testing.T) {
	opt := Options{Caption: goldenCaption}
	for _, tc := range []struct {
		name string
		draw func(b *bytes.Buffer) error
	}{
		{"staircase.svg", func(b *bytes.Buffer) error {
			return WriteStaircase(b, SVG, goldenSweep(), "Latency (ms, batch 8)", opt)
		}},
		{"heatmap.svg", func(b *bytes.Buffer) error { return WriteHeatMap(b, SVG, goldenGrid(), "ms, batch 8", opt) }},
		{"predicted-vs-measured.svg", func(b *bytes.Buffer) error { return WritePredictedVsMeasured(b, SVG, goldenEval(), opt) }},
		{"pareto.svg", func(b *bytes.Buffer) error { return WritePareto(b, SVG, goldenPareto(), Options{}) }},
		{"trajectory.svg", func(b *bytes.Buffer) error { return WriteTrajectory(b, SVG, goldenTrajectory(), Options{}) }},
		{"block-dims.svg", func(b *bytes.Buffer) error { return WriteBlockDims(b, SVG, goldenSpecs(), opt) }},
	} {
		var b bytes.Buffer
		if err := tc.draw(&b); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		checkGolden(t, tc.name, b.Bytes())
	}
}
