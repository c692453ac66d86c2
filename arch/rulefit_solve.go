package arch

import (
	"cmp"
	"math"
	"slices"
)

// The numerics behind FitRule. A rule says, per block b of a model of
// width EMB and per dimension d ∈ {heads, QK, MLP}, that
//
//	ln(value / EMB) ≈ e_s(b) − g_d
//
// where e_s = ln ε of the segment s holding b, g_heads = ln HeadDivisor,
// g_qk = ln QKDivisor and g_mlp = −ln MLPFactor. That is a two-way additive
// model in log space (segment effect + dimension effect), fitted by least
// squares; and, because each observed value is a rounded multiple of its
// step, an interval on e_s − g_d, so that "the rule regenerates this value"
// is a system of difference constraints, solved exactly by shortest paths.

// fitDims are the dimensions with a divisor or factor, in variable order.
var fitDims = [3]Dimension{DimHeads, DimQK, DimMLP}

// observation is one positive value the rule must explain.
type observation struct {
	block, dim int // dim indexes fitDims
	emb        float64
	value      int
	z          float64 // ln(value / emb)
}

// lsFit is a least-squares fit of z = e[seg[block]] + c[dim].
type lsFit struct {
	e   []float64 // per segment; NaN for a segment without observations
	c   [3]float64
	rss float64
}

// fitLS fits the additive model by alternating means (backfitting), which
// converges to the least-squares solution of a two-way layout with missing
// cells; with every cell present it is exact after one sweep.
func fitLS(obs []observation, seg []int, k int) lsFit {
	f := lsFit{e: make([]float64, k)}
	for range 10000 {
		var sum, cnt [3]float64
		es, en := make([]float64, k), make([]float64, k)
		for _, o := range obs {
			s := seg[o.block]
			es[s] += o.z - f.c[o.dim]
			en[s]++
		}
		change := 0.0
		for s := range f.e {
			v := math.NaN()
			if en[s] > 0 {
				v = es[s] / en[s]
				change = math.Max(change, math.Abs(v-f.e[s]))
			}
			f.e[s] = v
		}
		for _, o := range obs {
			sum[o.dim] += o.z - f.e[seg[o.block]]
			cnt[o.dim]++
		}
		for d := range f.c {
			if cnt[d] > 0 {
				v := sum[d] / cnt[d]
				change = math.Max(change, math.Abs(v-f.c[d]))
				f.c[d] = v
			}
		}
		if change < 1e-14 {
			break
		}
	}
	for _, o := range obs {
		r := o.z - f.e[seg[o.block]] - f.c[o.dim]
		f.rss += r * r
	}
	return f
}

// segmentation splits blocks 0..n-1 into k runs minimising the weighted sum
// of squares of v around each run's weighted mean (dynamic programming over
// prefix sums). Blocks of weight 0 cost nothing. It returns each block's run.
func segmentation(v, w []float64, k int) []int {
	n := len(v)
	k = min(max(k, 1), n)
	var sw, swv, swv2 = make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
	for i := range n {
		x := v[i]
		if w[i] == 0 {
			x = 0
		}
		sw[i+1], swv[i+1], swv2[i+1] = sw[i]+w[i], swv[i]+w[i]*x, swv2[i]+w[i]*x*x
	}
	cost := func(i, j int) float64 { // blocks i..j-1
		W := sw[j] - sw[i]
		if W == 0 {
			return 0
		}
		S := swv[j] - swv[i]
		return math.Max(swv2[j]-swv2[i]-S*S/W, 0)
	}
	inf := math.Inf(1)
	best := make([][]float64, k+1) // best[m][j]: first j blocks in m runs
	from := make([][]int, k+1)
	for m := range best {
		best[m], from[m] = make([]float64, n+1), make([]int, n+1)
		for j := range best[m] {
			best[m][j] = inf
		}
	}
	best[0][0] = 0
	for m := 1; m <= k; m++ {
		for j := m; j <= n; j++ {
			for i := m - 1; i < j; i++ {
				if c := best[m-1][i] + cost(i, j); c < best[m][j]-1e-15 {
					best[m][j], from[m][j] = c, i
				}
			}
		}
	}
	seg := make([]int, n)
	for m, j := k, n; m > 0; m-- {
		i := from[m][j]
		for b := i; b < j; b++ {
			seg[b] = m - 1
		}
		j = i
	}
	return seg
}

// interval is a closed range of ln(value/EMB); lo may be −∞.
type interval struct{ lo, hi float64 }

// roundingInterval is the range of real x that r rounds to value at step
// (Rounding.Round's own thresholds), as ln(x/emb); ok is false when the
// rule cannot produce value at all (not a positive multiple of step).
func roundingInterval(r Rounding, step, value int, emb float64) (interval, bool) {
	if step <= 0 || value < step || value%step != 0 {
		return interval{}, false
	}
	n := float64(value / step)
	var lo, hi float64
	switch r {
	case RoundDown:
		lo, hi = n-1e-9, n+1-1e-9
	case RoundUp:
		lo, hi = n-1+1e-9, n+1e-9
	default:
		lo, hi = n-0.5, n+0.5
	}
	iv := interval{lo: math.Inf(-1), hi: math.Log(hi * float64(step) / emb)}
	if n > 1 { // one step is also what anything smaller rounds to
		iv.lo = math.Log(lo * float64(step) / emb)
	}
	return iv, true
}

// constraints are, per segment and fitted dimension, the intersection of
// the intervals of every observation: lo ≤ e_s − g_d ≤ hi.
type constraints struct {
	k     int
	cells map[[2]int]interval // [segment, dim]
}

// intervalConstraints intersects the observations' rounding intervals per
// segment and dimension; ok is false when one is empty or a value cannot be
// produced by the rule's steps.
func intervalConstraints(obs []observation, seg []int, k int, round [3]Rounding, step [3]int) (constraints, bool) {
	c := constraints{k: k, cells: map[[2]int]interval{}}
	for _, o := range obs {
		iv, ok := roundingInterval(round[o.dim], step[o.dim], o.value, o.emb)
		if !ok {
			return c, false
		}
		key := [2]int{seg[o.block], o.dim}
		if have, seen := c.cells[key]; seen {
			iv = interval{lo: math.Max(have.lo, iv.lo), hi: math.Min(have.hi, iv.hi)}
		}
		if !(iv.lo < iv.hi) {
			return c, false
		}
		c.cells[key] = iv
	}
	return c, true
}

// edges are c as difference constraints, each with the given slack, in a
// fixed order (so that borderline systems are decided the same way each
// time). Variables: the k segments, g_heads, g_qk, g_mlp, then an anchor.
func (c constraints) edges(margin float64) []edge {
	keys := make([][2]int, 0, len(c.cells))
	for key := range c.cells {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b [2]int) int { return cmp.Or(a[0]-b[0], a[1]-b[1]) })
	var es []edge
	for _, key := range keys {
		iv, s, g := c.cells[key], key[0], c.k+key[1]
		es = append(es, edge{from: g, to: s, w: iv.hi - margin})
		if !math.IsInf(iv.lo, -1) {
			es = append(es, edge{from: s, to: g, w: -iv.lo - margin})
		}
	}
	return es
}

// edge is x[to] − x[from] ≤ w.
type edge struct {
	from, to int
	w        float64
}

// solveDiff solves a system of difference constraints over n variables by
// Bellman–Ford from a virtual source joined to every variable by 0: the
// shortest distances satisfy every constraint, or a negative cycle says
// none does.
func solveDiff(n int, edges []edge) ([]float64, bool) {
	x := make([]float64, n)
	for range n + 1 {
		changed := false
		for _, e := range edges {
			if v := x[e.from] + e.w; v < x[e.to]-1e-15*math.Max(1, math.Abs(v)) {
				x[e.to] = v
				changed = true
			}
		}
		if !changed {
			return x, true
		}
	}
	return nil, false
}

// exactSolve finds log-space parameters (e per segment, then g_heads, g_qk,
// g_mlp) that satisfy every constraint with some slack, as close (largest
// coordinate difference) to the least-squares point p as that allows.
// Variables are the k segments, the three g, and an anchor fixed at 0 that
// ties the box around p down. It returns the slack it kept, for simplify;
// ok is false when no parameters satisfy the constraints.
func exactSolve(c constraints, p []float64) (x []float64, margin float64, ok bool) {
	n := c.k + 4
	anchor := n - 1
	feasible := func(margin, box float64) ([]float64, bool) {
		es := c.edges(margin)
		if !math.IsInf(box, 1) {
			for i, v := range p {
				if !math.IsNaN(v) {
					es = append(es, edge{from: anchor, to: i, w: v + box}, edge{from: i, to: anchor, w: box - v})
				}
			}
		}
		return solveDiff(n, es)
	}
	if _, ok := feasible(0, math.Inf(1)); !ok {
		return nil, 0, false
	}
	// The largest uniform slack, then a small share of it: enough that no
	// rounding threshold is met by floating-point error, little enough not
	// to pull the point away from the least-squares one.
	top := 1.0
	for _, iv := range c.cells {
		if !math.IsInf(iv.lo, -1) {
			top = math.Min(top, (iv.hi-iv.lo)/2)
		}
	}
	lo, hi := 0.0, top
	for range 60 {
		if _, ok := feasible((lo+hi)/2, math.Inf(1)); ok {
			lo = (lo + hi) / 2
		} else {
			hi = (lo + hi) / 2
		}
	}
	margin = math.Min(lo/2, 1e-6)
	// The smallest box around p that holds a solution with that slack;
	// the solution kept is the last one found feasible.
	if x, ok = feasible(margin, math.Inf(1)); !ok {
		return nil, 0, false
	}
	bLo, bHi := 0.0, 1.0
	for ; bHi < 1e6; bHi *= 2 {
		if y, ok := feasible(margin, bHi); ok {
			x = y
			break
		}
	}
	for range 60 {
		mid := (bLo + bHi) / 2
		if y, ok := feasible(margin, mid); ok {
			x, bHi = y, mid
		} else {
			bLo = mid
		}
	}
	for i := range x {
		x[i] -= x[anchor]
	}
	return x[:anchor], margin, true
}

// simplify moves the parameters of the exact solution x (log space: e per
// segment, then g) one at a time, ε levels first, then HeadDivisor,
// QKDivisor and MLPFactor, each to the value with the fewest significant
// digits (in linear scale) with which the constraints, with slack margin,
// still hold given the values already chosen (the others free); so the
// rule reads "MLP = 3·ε·EMB" where the data allow 2.9994 to 3.0011. The
// narrowest segment anchors the scale at ε = 1.
func simplify(c constraints, x []float64, margin float64) []float64 {
	n := c.k + 4
	anchor := n - 1
	narrow, lo := -1, math.Inf(1)
	for s, e := range x[:c.k] {
		if !math.IsNaN(e) && e < lo {
			narrow, lo = s, e
		}
	}
	if narrow < 0 {
		return x
	}
	fixed := map[int]float64{narrow: 0}
	solve := func() ([]float64, bool) {
		es := c.edges(margin)
		for i, v := range fixed {
			es = append(es, edge{from: anchor, to: i, w: v}, edge{from: i, to: anchor, w: -v})
		}
		return solveDiff(n, es)
	}
	for i := range x {
		if i == narrow || math.IsNaN(x[i]) {
			continue
		}
		sign := 1.0
		if i == c.k+2 { // g_mlp = −ln MLPFactor
			sign = -1
		}
		v := math.Exp(sign * (x[i] - lo))
		for _, cand := range roundings(v) {
			fixed[i] = sign * math.Log(cand)
			if _, ok := solve(); ok {
				break
			}
			delete(fixed, i)
		}
		if _, ok := fixed[i]; !ok {
			fixed[i] = x[i] - lo
		}
	}
	out, ok := solve()
	if !ok {
		return x
	}
	for i := range out {
		out[i] -= out[anchor]
	}
	return out[:anchor]
}

// roundings are the numbers near v with one, two, … six significant
// digits, nearest first within each count of digits.
func roundings(v float64) []float64 {
	var out []float64
	for digits := 1; digits <= 6; digits++ {
		unit := math.Pow(10, math.Floor(math.Log10(math.Abs(v)))-float64(digits-1))
		r, f, c := math.Round(v/unit)*unit, math.Floor(v/unit)*unit, math.Ceil(v/unit)*unit
		if math.Abs(f-v) > math.Abs(c-v) {
			f, c = c, f
		}
		for _, x := range []float64{r, f, c} {
			if x > 0 && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out
}
