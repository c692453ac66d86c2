package costmodel

import (
	"math"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// The robust trend shrugs off one wild reading: exact data from
// coefficients chosen by hand, one row tripled, and the coefficients come
// back within 0.1% (least squares alone would be pulled by the row).
func TestFitTrendIgnoresOneWildRow(t *testing.T) {
	h := testHeader()
	want := []float64{0.05, 3e-7, 0, 2e-6}
	var xs [][]int
	var ys []float64
	for _, e := range []int{32, 64, 100, 128} {
		for _, m := range []int{16, 50, 128, 300} {
			x := []int{e, m}
			y := 0.0
			for i, f := range trendRow(tablefmt.KindMLP, h, x) {
				y += want[i] * f
			}
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	ys[5] *= 3
	got, err := fitTrend(tablefmt.KindMLP, h, xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-3*math.Max(want[i], 1e-6) {
			t.Errorf("coef %d (%s): %g, want %g", i, trendFeatures(tablefmt.KindMLP, h)[i], got[i], want[i])
		}
	}
}
