package profiler

import (
	"math"
	"sort"
)

// Summary describes repeated timings of one quantity, in milliseconds.
type Summary struct {
	Median float64 `json:"median_ms"`
	Q1     float64 `json:"q1_ms"`
	Q3     float64 `json:"q3_ms"`
	N      int     `json:"samples"`
}

// Spread is the interquartile range, a noise measure robust to outliers.
func (s Summary) Spread() float64 { return s.Q3 - s.Q1 }

// RelSpread is the spread relative to the median (0 when the median is 0).
func (s Summary) RelSpread() float64 {
	if s.Median == 0 {
		return 0
	}
	return math.Abs(s.Spread() / s.Median)
}

// Summarize returns the median and quartiles of xs (linear interpolation
// between order statistics, as R's default quantile type 7).
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Summary{Median: quantile(s, 0.5), Q1: quantile(s, 0.25), Q3: quantile(s, 0.75), N: len(s)}
}

// quantile of sorted data, R type 7.
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}
