package reports

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// spansDecades reports whether positive values range over at least a
// factor of ten: then the axis is logarithmic.
func spansDecades(lo, hi float64) bool { return lo > 0 && hi/lo >= 10 }

// setLog makes a an axis of logarithmic scale with labelled 1-2-5 ticks.
func setLog(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
}

// logTicks labels 1, 2 and 5 × 10^k (only powers of ten over many decades)
// with minor ticks at every integer multiple.
type logTicks struct{}

// Ticks returns the ticks between lo and hi.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= 0 {
		return nil
	}
	decades := math.Log10(hi / lo)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			label := ""
			if m == 1 || (decades < 3 && (m == 2 || m == 5)) {
				label = formatTick(v)
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// formatTick prints a tick value without trailing zeros.
func formatTick(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// nameTicks labels integer positions with the given names (categorical axes).
type nameTicks []string

// Ticks returns one labelled tick per name at 0, 1, 2, …
func (t nameTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for i, s := range t {
		if float64(i) >= lo-0.5 && float64(i) <= hi+0.5 {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: s})
		}
	}
	return ticks
}

// padRange widens [lo, hi] by frac of its span (in log space for log axes).
func padRange(lo, hi, frac float64, log bool) (float64, float64) {
	if log {
		l, h := math.Log10(lo), math.Log10(hi)
		d := (h - l) * frac
		if d == 0 {
			d = 0.05
		}
		return math.Pow(10, l-d), math.Pow(10, h+d)
	}
	d := (hi - lo) * frac
	if d == 0 {
		d = math.Max(math.Abs(hi)*0.05, 0.5)
	}
	return lo - d, hi + d
}

// niceTicks are linear ticks at 1, 2 or 5 × 10^k, four to seven of them,
// labelled without trailing zeros, with a minor tick between majors.
type niceTicks struct{}

// Ticks returns the ticks between lo and hi.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo)}}
	}
	step := niceStep((hi - lo) / 6)
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first; v <= hi+step*1e-9; v += step {
		x := math.Round(v/step) * step
		if math.Abs(x) < step*1e-9 {
			x = 0
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: formatTick(x)})
		if m := x + step/2; m < hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
	}
	if m := first - step/2; m > lo {
		ticks = append(ticks, plot.Tick{Value: m})
	}
	return ticks
}

// integerTicks are niceTicks for an axis of whole numbers (heads, widths,
// pruning steps): every tick, major or minor, is an integer.
type integerTicks struct{}

// Ticks returns the ticks between lo and hi: labelled steps of 1, 2 or
// 5 × 10^k (never below 1), a minor tick between two majors only where it
// falls on an integer.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		v := math.Round(lo)
		return []plot.Tick{{Value: v, Label: formatTick(v)}}
	}
	step := math.Max(1, niceStep((hi-lo)/6))
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for v := first; v <= hi+1e-9; v += step {
		if v == 0 {
			v = 0 // not -0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v)})
	}
	if step >= 2 && math.Mod(step, 2) == 0 {
		for v := first - step/2; v <= hi; v += step {
			if v >= lo {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// niceStep is the smallest of 1, 2 or 5 × 10^k at least raw.
func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}
