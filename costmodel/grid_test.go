package costmodel

import (
	"math"
	"testing"
)

// A hole at x = 2, y = 20 of the grid x ∈ {1, 2, 4}, y ∈ {10, 20}, by hand.
// Along x it lies between known nodes 3 (x = 1) and 9 (x = 4): the
// interpolation is 3 + 6/3 = 5, weighted scale/distance = 2/2 = 1. Along y
// only y = 10 is known (8): one-sided, weighted ½·20/10 = 1. fill, which
// hears only two-sided axes, gives 5; fillWeighted (5 + 8) / 2 = 6.5.
func TestFillWeightedByHand(t *testing.T) {
	mk := func() (*grid, []bool) {
		g := newGrid([][]float64{{1, 2, 4}, {10, 20}})
		// Row-major, y fastest: (1,10) (1,20) (2,10) (2,20) (4,10) (4,20).
		copy(g.values, []float64{7, 3, 8, -1, 11, 9})
		return g, []bool{true, true, true, false, true, true}
	}
	g, known := mk()
	if n := g.fill(known); n != 1 || g.values[3] != 5 {
		t.Errorf("fill: %d filled, value %g; want 1 and 5", n, g.values[3])
	}
	g, known = mk()
	if n := g.fillWeighted(known); n != 1 || math.Abs(g.values[3]-6.5) > 1e-12 {
		t.Errorf("fillWeighted: %d filled, value %g; want 1 and 6.5", n, g.values[3])
	}
	for i, want := range []float64{7, 3, 8, 11, 9} { // known nodes untouched
		if got := g.values[[]int{0, 1, 2, 4, 5}[i]]; got != want {
			t.Errorf("known node %d changed to %g", i, got)
		}
	}
}

// A node no axis line reaches from a known one gets the mean of the known values.
func TestFillWeightedFallsBackToTheMean(t *testing.T) {
	g := newGrid([][]float64{{1, 2}, {1, 2}})
	copy(g.values, []float64{4, 0, 0, 0})
	known := []bool{true, false, false, false}
	if n := g.fillWeighted(known); n != 3 {
		t.Fatalf("%d filled, want 3", n)
	}
	// (1,2) and (2,1) see (1,1) one-sided; (2,2) sees nothing known.
	if g.values[1] != 4 || g.values[2] != 4 || g.values[3] != 4 {
		t.Errorf("values %v, want all 4", g.values)
	}
	empty := newGrid([][]float64{{1, 2}})
	if n := empty.fillWeighted([]bool{false, false}); n != 0 {
		t.Errorf("nothing known: %d filled", n)
	}
}
