package costmodel

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// grid is a rectilinear grid of latencies: one sorted axis of coordinates
// per dimension and a value per node, stored row-major (the last axis
// varies fastest).
type grid struct {
	axes   [][]float64
	values []float64
}

func newGrid(axes [][]float64) *grid {
	n := 1
	for _, a := range axes {
		n *= len(a)
	}
	return &grid{axes: axes, values: make([]float64, n)}
}

// size is the number of nodes.
func (g *grid) size() int { return len(g.values) }

// strides returns the row-major stride of every axis.
func (g *grid) strides() []int {
	s := make([]int, len(g.axes))
	acc := 1
	for d := len(g.axes) - 1; d >= 0; d-- {
		s[d] = acc
		acc *= len(g.axes[d])
	}
	return s
}

// index returns the flat index of the node with per-axis indices idx.
func (g *grid) index(idx []int) int {
	k := 0
	for d, i := range idx {
		k = k*len(g.axes[d]) + i
	}
	return k
}

// unflatten writes the per-axis indices of flat index k into idx.
func (g *grid) unflatten(k int, idx []int) {
	for d := len(g.axes) - 1; d >= 0; d-- {
		n := len(g.axes[d])
		idx[d] = k % n
		k /= n
	}
}

// coords writes the coordinates of flat index k into x.
func (g *grid) coords(k int, x []float64) {
	for d := len(g.axes) - 1; d >= 0; d-- {
		n := len(g.axes[d])
		x[d] = g.axes[d][k%n]
		k /= n
	}
}

// outOfRange describes the first coordinate of x outside g's axes, or "".
func (g *grid) outOfRange(x []float64, names []string) string {
	for d, v := range x {
		a := g.axes[d]
		if v < a[0] || v > a[len(a)-1] {
			return fmt.Sprintf("%s %g is outside [%g, %g]", names[d], v, a[0], a[len(a)-1])
		}
	}
	return ""
}

// cell finds, along axis a, the interval [a[i], a[i+1]] holding v and the
// weight t of a[i+1]. v must lie within the axis.
func cell(a []float64, v float64) (i int, t float64) {
	if len(a) == 1 {
		return 0, 0
	}
	i = sort.SearchFloat64s(a, v) // first a[i] >= v
	if i < len(a) && a[i] == v {
		if i == len(a)-1 {
			return i - 1, 1
		}
		return i, 0
	}
	i--
	return i, (v - a[i]) / (a[i+1] - a[i])
}

// maxDims is the most dimensions a component has (a block's five).
const maxDims = 5

// at interpolates g multilinearly at x, which must lie within every axis.
// Exactly on a node it returns the node's value.
func (g *grid) at(x []float64) float64 {
	nd := len(g.axes)
	if nd > maxDims {
		panic("costmodel: grid of more than 5 dimensions")
	}
	// Arrays, not slices, and only the corners of axes where x is between
	// nodes: at runs for every node of every hw grid. The sum keeps the
	// order of a loop over all 2^nd corners (the others weigh 0).
	var lo, st, active [maxDims]int
	var ts [maxDims]float64
	acc, base, na := 1, 0, 0
	for d := nd - 1; d >= 0; d-- {
		lo[d], ts[d] = cell(g.axes[d], x[d])
		st[d] = acc
		acc *= len(g.axes[d])
		base += lo[d] * st[d]
	}
	for d := range nd {
		if ts[d] != 0 {
			active[na] = d
			na++
		}
	}
	sum := 0.0
	for corner := 0; corner < 1<<na; corner++ {
		w, k := 1.0, base
		for j := range na {
			d := active[j]
			if corner>>j&1 == 1 {
				w *= ts[d]
				k += st[d]
			} else {
				w *= 1 - ts[d]
			}
		}
		if w != 0 {
			sum += w * g.values[k]
		}
	}
	return sum
}

// envelope replaces every node value by the minimum over the nodes that
// dominate it (every coordinate ≥): L̃(x) = min_{y ≥ x} L(y). It is a suffix
// minimum along each axis in turn. The result is non-decreasing along every
// axis, keeps every value that no larger node undercuts, and never raises a
// value.
func (g *grid) envelope() {
	st := g.strides()
	for d := range g.axes {
		n := len(g.axes[d])
		if n < 2 {
			continue
		}
		for k := range g.values {
			if k/st[d]%n != n-1 {
				continue // start each line at its last node
			}
			for i := n - 2; i >= 0; i-- {
				at := k - (n-1-i)*st[d]
				g.values[at] = min(g.values[at], g.values[at+st[d]])
			}
		}
	}
}

// fill gives every node with known[k] false a value from its known
// neighbours: along each axis, the nearest known nodes on both sides are
// interpolated linearly in the coordinate; the estimates of the axes that
// have both sides are averaged; failing that, the one-sided nearest values
// are averaged; failing that (no known node on any axis line through it),
// the mean of all known values. It returns the number of nodes filled.
func (g *grid) fill(known []bool) int {
	return g.fillWith(known, func(k int, idx, st []int) (float64, bool) {
		var two, one []float64
		for d, a := range g.axes {
			l, r := g.knownNeighbours(known, k, idx, st, d)
			switch {
			case l >= 0 && r >= 0:
				vl, vr := g.values[k+(l-idx[d])*st[d]], g.values[k+(r-idx[d])*st[d]]
				t := (a[idx[d]] - a[l]) / (a[r] - a[l])
				two = append(two, vl+(vr-vl)*t)
			case l >= 0:
				one = append(one, g.values[k+(l-idx[d])*st[d]])
			case r >= 0:
				one = append(one, g.values[k+(r-idx[d])*st[d]])
			}
		}
		switch {
		case len(two) > 0:
			return meanOf(two), true
		case len(one) > 0:
			return meanOf(one), true
		}
		return 0, false
	})
}

// fillWith gives every node with known[k] false the value estimate returns
// for it (from the known values only: estimates do not feed each other), or
// the mean of all known values where estimate has none. It returns the
// number of nodes filled.
func (g *grid) fillWith(known []bool, estimate func(k int, idx, st []int) (float64, bool)) int {
	mean, ok := g.knownMean(known)
	if !ok {
		return 0
	}
	st := g.strides()
	idx := make([]int, len(g.axes))
	out := slices.Clone(g.values)
	filled := 0
	for k, ok := range known {
		if ok {
			continue
		}
		g.unflatten(k, idx)
		if v, ok := estimate(k, idx, st); ok {
			out[k] = v
		} else {
			out[k] = mean
		}
		filled++
	}
	copy(g.values, out)
	return filled
}

// knownMean is the mean of the known values (false when there are none).
func (g *grid) knownMean(known []bool) (float64, bool) {
	var sum float64
	var n int
	for k, ok := range known {
		if ok {
			sum += g.values[k]
			n++
		}
	}
	return sum / float64(max(n, 1)), n > 0
}

// knownNeighbours returns the indices along axis d of the nearest known
// nodes below and above node k (per-axis indices idx, strides st), or −1.
func (g *grid) knownNeighbours(known []bool, k int, idx, st []int, d int) (l, r int) {
	l, r = -1, -1
	for i := idx[d] - 1; i >= 0; i-- {
		if known[k+(i-idx[d])*st[d]] {
			l = i
			break
		}
	}
	for i := idx[d] + 1; i < len(g.axes[d]); i++ {
		if known[k+(i-idx[d])*st[d]] {
			r = i
			break
		}
	}
	return l, r
}

// oneSidedWeight scales the weight of a one-sided estimate (the nearest
// known value on one side) against an interpolation at the same distance.
const oneSidedWeight = 0.5

// fillWeighted is fill with every axis heard: each axis with a known node
// on both sides gives their linear interpolation, each with one side its
// nearest value, weighted by the inverse of the relative distance to the
// farther (or only) neighbour, one-sided estimates at half weight. A hole at
// the edge of a coarse grid is then informed by all its neighbours rather
// than by the one axis it lies inside, while a fine axis (NViT's MLP steps)
// still dominates. Nodes with no known neighbour on any axis line get the
// mean of all known values. It returns the number of nodes filled.
func (g *grid) fillWeighted(known []bool) int {
	return g.fillWith(known, func(k int, idx, st []int) (float64, bool) {
		var sw, sv float64
		for d, a := range g.axes {
			x := a[idx[d]]
			scale := math.Max(math.Abs(x), 1)
			at := func(i int) float64 { return g.values[k+(i-idx[d])*st[d]] }
			switch l, r := g.knownNeighbours(known, k, idx, st, d); {
			case l >= 0 && r >= 0:
				t := (x - a[l]) / (a[r] - a[l])
				w := scale / math.Max(x-a[l], a[r]-x)
				sw, sv = sw+w, sv+w*(at(l)+(at(r)-at(l))*t)
			case l >= 0 || r >= 0:
				n := max(l, r)
				w := oneSidedWeight * scale / math.Abs(a[n]-x)
				sw, sv = sw+w, sv+w*at(n)
			}
		}
		if sw > 0 {
			return sv / sw, true
		}
		return 0, false
	})
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// finiteNonNeg reports whether every value is a finite number ≥ 0.
func finiteNonNeg(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return false
		}
	}
	return true
}
