package costmodel

import (
	"math"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// A "new device" that runs the synthetic table's blocks 1.3 times slower,
// and more so the wider the EMB (a smooth factor), measured at a handful of
// blocks: with the synthetic table as the prior, the correction is exact
// but for the prior model's own error, and every block is predicted within
// 2%; the same rows without the prior predict far worse.
func TestFitPriorLearnsASmoothFactor(t *testing.T) {
	synth := synthTable(t)
	prior, err := FitDecomposed(synth, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slower := func(r tablefmt.Row) float64 { return r.MedianMS * 1.3 * math.Pow(float64(r.EMB)/256, 0.2) }
	var grid []tablefmt.Row
	meas := tablefmt.Table{Header: synth.Header}
	meas.Header.Sampling = &tablefmt.Sampling{Strategy: tablefmt.SamplingAdaptive, Share: 0.95, Decompose: true}
	for _, r := range synth.Rows {
		g := r
		g.MedianMS = 0
		grid = append(grid, g)
		corner := (r.Heads == 1 || r.Heads == 12) && (r.QK == 1 || r.QK == 64) && (r.V == 1 || r.V == 64) && r.EMB != 512
		ref := r.Heads == 6 && r.QK == 32 && r.V == 32 && (r.MLP == 128 || r.MLP == 3072 || r.MLP == 0)
		if (corner && r.MLP == 0) || ref {
			m := r
			m.MedianMS = slower(r)
			meas.Rows = append(meas.Rows, m)
		}
	}
	within := func(m *Model) float64 {
		n := 0
		for _, r := range synth.Rows {
			if p, err := m.RowMS(r); err == nil && math.Abs(p/slower(r)-1) <= 0.02 {
				n++
			}
		}
		return 100 * float64(n) / float64(len(synth.Rows))
	}
	// The prior has no rest rows: the grid's rest is left to the measured one.
	grid = append(grid, tablefmt.Row{Kind: tablefmt.KindRest, EMB: 256}, tablefmt.Row{Kind: tablefmt.KindRest, EMB: 768})
	meas.Rows = append(meas.Rows, tablefmt.Row{Kind: tablefmt.KindRest, EMB: 256, MedianMS: 3})
	withPrior, err := FitPrior(meas, prior, grid, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alone := mustFit(t, meas, ModelHW)
	if w := within(withPrior); w < 99 {
		t.Errorf("with the prior, %.2f%% of %d blocks within 2%% from %d rows; want ≥ 99%%", w, len(synth.Rows), len(meas.Rows))
	}
	if w := within(alone); w > 80 { // 53% here
		t.Errorf("without the prior, %.2f%% within 2%%: the test shows nothing", w)
	}
	if s := withPrior.Source(); s.Rows != len(meas.Rows) || s.Header.Sampling == nil {
		t.Errorf("source %+v: want the measured table's", s)
	}
}
