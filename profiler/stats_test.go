package profiler

import (
	"math"
	"testing"
)

// Values from R: quantile(c(5, 1, 4, 2, 3, 10), c(.25, .5, .75)) = 2.25 3.5 4.75.
func TestSummarizeMatchesR(t *testing.T) {
	s := Summarize([]float64{5, 1, 4, 2, 3, 10})
	for _, c := range []struct{ got, want float64 }{{s.Q1, 2.25}, {s.Median, 3.5}, {s.Q3, 4.75}} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("got %v, want %v (summary %+v)", c.got, c.want, s)
		}
	}
	if s.N != 6 || math.Abs(s.Spread()-2.5) > 1e-12 {
		t.Errorf("summary %+v", s)
	}
	if one := Summarize([]float64{7}); one.Median != 7 || one.Spread() != 0 {
		t.Errorf("single sample: %+v", one)
	}
	if empty := Summarize(nil); empty.N != 0 || empty.RelSpread() != 0 {
		t.Errorf("empty: %+v", empty)
	}
}
