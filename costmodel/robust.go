package costmodel

import (
	"math"
	"slices"
)

// The rule that tells a wrong reading from a real step (hw model; the
// package documentation gives it to users). A reading is judged by its
// residual r = log(latency / trend) against the residuals of its
// neighbours: the nearest measured node on each side along each axis, and
// at an edge the line through the two nearest (neighbourEstimates). It is
// an outlier when it lies beyond every one of them, on the same side, by
// more than τ = max(outlierK·σ, outlierMin), where σ is the component's
// noise: 1.4826 × the median over its nodes of |r − the median of the
// node's neighbours' r| (the normal-consistent MAD of each reading against
// its neighbourhood).
//
// A step is a change of level that several neighbouring readings share:
// each reading on either side of it has a neighbour on its own side that
// agrees with it, so none lies beyond all its neighbours and none is
// touched, however tall the step. A staircase that repeats along another
// axis (NViT's MLP widths, slower at every EMB and head count) is shared by
// the neighbours along that axis and survives as well. One reading that no
// neighbour confirms — a configuration timed in a quiet moment, or whose
// shallow stack was slowed — is an outlier. Two neighbouring readings wrong
// the same way confirm each other: without passes they cannot be told from
// a short step, and they are kept.
//
// A reading is judged only where it has at least two neighbours (with one,
// either reading could be the wrong one) and only in components with at
// least outlierMinNodes such readings: with fewer, σ is too rough, and a
// grid of two values per axis (a few DeiT points) has no node inside it, so
// a reading's neighbours may all be the wrong ones. When the table's row
// holds every pass's own latency (tablefmt.Row.PassesMS) and every pass lies
// beyond τ on the same side too, the passes confirm the reading and it is
// kept.
//
// The search is repeated without the outliers found (findOutliers). An
// outlier is treated like a node no row measured: its residual is filled
// from its neighbours (grid.fillWeighted) before the envelope, so that one
// low reading does not cap every smaller configuration at its value, and
// one high reading makes no bump.
const (
	outlierK        = 2.0  // τ is at least outlierK robust scales
	outlierMin      = 0.05 // and at least 0.05 (5%): smaller deviations are never overridden
	outlierMinNodes = 16   // fewest judgeable readings: a scale from fewer is too rough
	outlierRounds   = 3    // looks for outliers, each without those found before
)

// findOutliers returns the measured nodes of residual grid r that the rule
// above overrides, in grid order. passes holds, per node whose row has
// them, every pass's residual. known is not changed.
//
// It looks again without the outliers found, up to outlierRounds times in
// all: a wrong reading next to a wronger one shows once its neighbour is set
// aside, and σ is estimated afresh without the outliers, which inflated
// their neighbours' deviations (τ never falls below outlierMin).
func findOutliers(r *grid, known []bool, passes map[int][]float64) []int {
	known = slices.Clone(known)
	var out []int
	for range outlierRounds {
		dev, local, judged := neighbourDeviations(r, known)
		if judged < outlierMinNodes {
			break
		}
		tau := math.Max(outlierK*1.4826*median(local), outlierMin)
		n := len(out)
		for k, d := range dev {
			if math.Abs(d) > tau && !confirmed(passes[k], r.values[k]-d, d, tau) {
				out = append(out, k)
				known[k] = false
			}
		}
		if len(out) == n {
			break
		}
	}
	slices.Sort(out)
	return out
}

// neighbourDeviations compares every known node of r with its neighbours
// (see neighbourEstimates). dev is how far a node with at least two
// neighbours lies beyond all of their estimates: r − their maximum when
// above every one, r − their minimum when below, else 0. local holds
// |r − the estimates' median| of every node with a neighbour, for the
// scale; judged counts the nodes with two or more.
func neighbourDeviations(r *grid, known []bool) (dev, local []float64, judged int) {
	st := r.strides()
	idx := make([]int, len(r.axes))
	dev = make([]float64, len(r.values))
	var est []float64
	for k, ok := range known {
		if !ok {
			continue
		}
		r.unflatten(k, idx)
		var n int
		est, n = r.neighbourEstimates(known, k, idx, st, est[:0])
		if n == 0 {
			continue
		}
		v := r.values[k]
		local = append(local, math.Abs(v-median(slices.Clone(est))))
		if n < 2 {
			continue
		}
		judged++
		if lo, hi := slices.Min(est), slices.Max(est); v > hi {
			dev[k] = v - hi
		} else if v < lo {
			dev[k] = v - lo
		}
	}
	return dev, local, judged
}

// neighbourEstimates appends to est what the neighbours of node k (per-axis
// indices idx, strides st) say its value is: along each axis, the value of
// the nearest known node on each side and, where there is a known node on
// one side only and a second beyond it, their linear extrapolation to k —
// so that at the edge of the grid, where a slope in r (the trend's misfit)
// makes the last node lower or higher than its one neighbour, the node is
// not taken for an outlier. n counts the neighbours.
func (g *grid) neighbourEstimates(known []bool, k int, idx, st []int, est []float64) (_ []float64, n int) {
	for d, a := range g.axes {
		at := func(i int) float64 { return g.values[k+(i-idx[d])*st[d]] }
		l, h := g.knownNeighbours(known, k, idx, st, d)
		for _, i := range []int{l, h} {
			if i >= 0 {
				est = append(est, at(i))
				n++
			}
		}
		if (l >= 0) == (h >= 0) {
			continue
		}
		near := max(l, h)
		saved := idx[d]
		idx[d] = near
		l2, h2 := g.knownNeighbours(known, k+(near-saved)*st[d], idx, st, d)
		idx[d] = saved
		far := h2
		if l >= 0 {
			far = l2
		}
		if far >= 0 {
			x, x1, x2 := a[idx[d]], a[near], a[far]
			est = append(est, at(near)+(at(near)-at(far))*(x-x1)/(x1-x2))
		}
	}
	return est, n
}

// confirmed reports whether every pass (residuals ps) lies beyond bound —
// the neighbours' largest estimate for a high reading (dev > 0), their
// smallest for a low one — by more than tau, on the same side.
func confirmed(ps []float64, bound, dev, tau float64) bool {
	if len(ps) < 2 {
		return false
	}
	for _, p := range ps {
		if dev > 0 && p-bound <= tau || dev < 0 && bound-p <= tau {
			return false
		}
	}
	return true
}
