package costmodel

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// axisNames are the dimensions a component's latency depends on, in grid order.
func axisNames(k tablefmt.Kind) []string {
	switch k {
	case tablefmt.KindAttn:
		return []string{"emb", "heads", "qk", "v"}
	case tablefmt.KindMLP:
		return []string{"emb", "mlp"}
	case tablefmt.KindBlock:
		return []string{"emb", "heads", "qk", "v", "mlp"}
	case tablefmt.KindRest:
		return []string{"emb"}
	}
	panic("costmodel: no component for kind " + string(k))
}

// rowPoint is the grid point of a row of kind attn, mlp, block or rest.
func rowPoint(r tablefmt.Row) []int {
	switch r.Kind {
	case tablefmt.KindAttn:
		return []int{r.EMB, r.Heads, r.QK, r.V}
	case tablefmt.KindMLP:
		return []int{r.EMB, r.MLP}
	case tablefmt.KindBlock:
		return []int{r.EMB, r.Heads, r.QK, r.V, r.MLP}
	case tablefmt.KindRest:
		return []int{r.EMB}
	}
	panic("costmodel: no component for kind " + string(r.Kind))
}

// Limits of a component's grid, checked alike by Fit and Load so that a
// model file holds exactly what Fit can build.
const (
	maxAxisValue  = 1 << 24 // largest value of any axis
	maxModelNodes = 1 << 22 // most nodes of one grid
)

// axisMin is the smallest value the axis name of a component of kind k can
// hold: 0 for a block's heads and MLP (the sub-block absent), else 1. A
// block without heads has no QK or V; it sits at the smallest QK and V the
// block rows with heads measured, so those axes never hold 0.
func axisMin(k tablefmt.Kind, name string) int {
	if k == tablefmt.KindBlock && (name == "heads" || name == "mlp") {
		return 0
	}
	return 1
}

// checkAxes reports why axes cannot be the grid of a component of kind k:
// an empty axis, a value out of range or not increasing, too many nodes.
func checkAxes(k tablefmt.Kind, axes [][]float64) error {
	names := axisNames(k)
	if len(axes) != len(names) {
		return fmt.Errorf("%d axes, want %d (%v)", len(axes), len(names), names)
	}
	n := 1
	for d, a := range axes {
		if len(a) == 0 {
			return fmt.Errorf("axis %s has no values", names[d])
		}
		for i, v := range a {
			if v < float64(axisMin(k, names[d])) || v > maxAxisValue || v != math.Trunc(v) {
				return fmt.Errorf("axis %s: value %g out of range", names[d], v)
			}
			if i > 0 && v <= a[i-1] {
				return fmt.Errorf("axis %s: values must increase, got %v", names[d], a)
			}
		}
		if n > maxModelNodes/len(a) {
			return fmt.Errorf("grid of more than %d nodes", maxModelNodes)
		}
		n *= len(a)
	}
	return nil
}

// component is the latency of one kind of part (attn, mlp, block or rest)
// as a function of its dimensions.
type component struct {
	kind     tablefmt.Kind
	names    []string
	base     *grid     // the table's grid: measured values, holes filled
	measured []bool    // per base node: a row measured it
	outliers []outlier // hw: measured nodes overridden (findOutliers), in grid order
	coef     []float64 // hw: trend coefficients (trendFeatures order); nil for nvit-interp
	modelK   ModelKind
	header   tablefmt.Header

	pred *grid // what predictions interpolate: extended and enveloped (hw), zero plane added (nvit-interp)
}

// newComponent builds the component of kind k from rows (all of kind k).
func newComponent(mk ModelKind, k tablefmt.Kind, h tablefmt.Header, rows []tablefmt.Row) (*component, error) {
	names := axisNames(k)
	last := map[string]tablefmt.Row{}
	var order []string
	for _, r := range rows {
		key := r.Key()
		if _, ok := last[key]; !ok {
			order = append(order, key)
		}
		last[key] = r
	}
	// A block row without heads has no QK or V (they are 0): it stays off
	// those axes, which hold only widths measured with heads, and sits at
	// their smallest values, where at looks it up.
	noWidths := func(r tablefmt.Row, d int) bool {
		return k == tablefmt.KindBlock && r.Heads == 0 && (names[d] == "qk" || names[d] == "v")
	}
	axes := make([][]float64, len(names))
	for _, key := range order {
		r := last[key]
		for d, v := range rowPoint(r) {
			if !noWidths(r, d) && !slices.Contains(axes[d], float64(v)) {
				axes[d] = append(axes[d], float64(v))
			}
		}
	}
	for d, a := range axes {
		if len(a) == 0 {
			axes[d] = []float64{1} // only blocks without heads: a placeholder width
		}
		slices.Sort(axes[d])
	}
	if err := checkAxes(k, axes); err != nil {
		return nil, fmt.Errorf("costmodel: fit %s: %w", k, err)
	}
	point := func(r tablefmt.Row) []int {
		x := rowPoint(r)
		for d := range x {
			if noWidths(r, d) {
				x[d] = int(axes[d][0])
			}
		}
		return x
	}
	c := &component{kind: k, names: names, base: newGrid(axes), modelK: mk, header: h}
	c.measured = make([]bool, c.base.size())
	idx := make([]int, len(names))
	for _, key := range order {
		r := last[key]
		for d, v := range point(r) {
			idx[d], _ = slices.BinarySearch(axes[d], float64(v))
		}
		k := c.base.index(idx)
		c.base.values[k] = r.MedianMS
		c.measured[k] = true
	}
	if mk == ModelHW {
		rs := make([]tablefmt.Row, len(order))
		for i, key := range order {
			rs[i] = last[key]
		}
		if err := c.fitHW(rs, point); err != nil {
			return nil, err
		}
	} else {
		c.base.fill(c.measured)
	}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	return c, nil
}

// nodeInts converts grid coordinates (always integers here) to ints.
func nodeInts(x []float64) []int {
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = int(math.Round(v))
	}
	return out
}

// trend is the hw trend at integer point x, kept away from zero so that
// ratios to it exist.
func (c *component) trend(x []int) float64 {
	return math.Max(trendAt(c.kind, c.header, c.coef, x), 1e-12)
}

// residualGrid is log(value / trend) over the base grid.
func (c *component) residualGrid() *grid {
	r := newGrid(c.base.axes)
	x := make([]float64, len(c.names))
	for k, v := range c.base.values {
		c.base.coords(k, x)
		r.values[k] = math.Log(math.Max(v, 1e-12) / c.trend(nodeInts(x)))
	}
	return r
}

// fitHW fits the trend to rows (one per measured node, at point(r)),
// overrides the readings that disagree with all their neighbours (see
// findOutliers) and fills them and the nodes no row measured.
func (c *component) fitHW(rows []tablefmt.Row, point func(tablefmt.Row) []int) error {
	xs := make([][]int, len(rows))
	ys := make([]float64, len(rows))
	for i, r := range rows {
		xs[i], ys[i] = point(r), r.MedianMS
	}
	coef, err := fitTrend(c.kind, c.header, xs, ys)
	if err != nil {
		return fmt.Errorf("costmodel: fit %s: %w", c.kind, err)
	}
	c.coef = coef
	passes := map[int][]float64{}
	idx := make([]int, len(c.names))
	for i, r := range rows {
		for d, v := range xs[i] {
			idx[d], _ = slices.BinarySearch(c.base.axes[d], float64(v))
		}
		k := c.base.index(idx)
		for _, p := range r.PassesMS {
			passes[k] = append(passes[k], math.Log(math.Max(p, 1e-12)/c.trend(xs[i])))
		}
	}
	known := slices.Clone(c.measured)
	for _, k := range findOutliers(c.residualGrid(), known, passes) {
		c.outliers = append(c.outliers, outlier{node: k, measuredMS: c.base.values[k]})
		known[k] = false
	}
	c.fillHW(known)
	return nil
}

// fillHW fills the base nodes not known: the log-ratio of latency to trend
// is filled from the known neighbours (grid.fillWeighted), then multiplied
// back.
func (c *component) fillHW(known []bool) {
	if !slices.Contains(known, false) {
		return
	}
	r := c.residualGrid()
	r.fillWeighted(known)
	x := make([]float64, len(c.names))
	for k, ok := range known {
		if !ok {
			c.base.coords(k, x)
			c.base.values[k] = c.trend(nodeInts(x)) * math.Exp(r.values[k])
		}
	}
}

// Extrapolation range of the hw model, per axis: down to a quarter of the
// smallest measured value (not below 1) and up to twice the largest, on
// virtual nodes a quarter octave apart; heads and mlp of a block component
// also reach 0 (the sub-block absent).
const (
	extBelow = 4   // the lowest virtual node is min/extBelow
	extAbove = 2   // the highest is max·extAbove
	extSteps = 4.0 // virtual nodes per octave
)

// extendAxis returns a with its virtual nodes below and above: integers,
// strictly increasing, a quarter octave apart, down to max(1, ⌈min/4⌉) (and
// 0 with zero) and up to twice the largest value.
func extendAxis(a []float64, zero bool) []float64 {
	lo, hi := a[0], a[len(a)-1]
	floor := math.Max(1, math.Ceil(lo/extBelow))
	var below []float64 // decreasing
	prev := lo
	for j := 1; ; j++ {
		v := math.Round(lo * math.Pow(2, -float64(j)/extSteps))
		if v < floor {
			break
		}
		if v < prev {
			below = append(below, v)
			prev = v
		}
	}
	if floor < prev {
		below = append(below, floor)
	}
	if zero && lo > 0 {
		below = append(below, 0)
	}
	slices.Reverse(below)
	out := append(below, a...)
	top := math.Round(hi * extAbove)
	for j := 1; hi > 0; j++ {
		v := math.Round(hi * math.Pow(2, float64(j)/extSteps))
		if v > top {
			break
		}
		if v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// zeroAxis reports whether axis d of the component reaches 0 with latency 0
// below its smallest measured value, the sub-block absent: the MLP width of
// an MLP component. (A block component's heads and MLP also reach 0 under
// hw, but with the other sub-block's latency there; see prepare.)
func (c *component) zeroAxis(d int) bool {
	return c.kind == tablefmt.KindMLP && c.names[d] == "mlp"
}

// prepare builds the prediction grid from the base grid.
func (c *component) prepare() error {
	if !finiteNonNeg(c.base.values) {
		return fmt.Errorf("costmodel: %s grid has a negative or non-finite latency", c.kind)
	}
	if c.modelK == ModelNViTInterp {
		c.pred = c.zeroPlanes()
		return nil
	}
	axes := make([][]float64, len(c.names))
	for d, a := range c.base.axes {
		zero := c.zeroAxis(d) || c.kind == tablefmt.KindBlock && (c.names[d] == "heads" || c.names[d] == "mlp")
		axes[d] = extendAxis(a, zero)
	}
	g := newGrid(axes)
	r := c.residualGrid()
	x := make([]float64, len(axes))
	p := make([]float64, len(axes))
	idx := make([]int, len(axes))
	for k := range g.values {
		g.coords(k, x)
		inside := true
		for d, v := range x {
			a := c.base.axes[d]
			p[d] = math.Min(math.Max(v, a[0]), a[len(a)-1])
			if p[d] != v {
				inside = false
			}
		}
		if inside {
			for d, v := range x {
				idx[d], _ = slices.BinarySearch(c.base.axes[d], v)
			}
			g.values[k] = c.base.values[c.base.index(idx)]
			continue
		}
		g.values[k] = c.trend(nodeInts(x)) * math.Exp(r.at(p))
		if c.kind == tablefmt.KindBlock && x[1] == 0 && x[4] == 0 || c.kind == tablefmt.KindMLP && x[1] == 0 {
			g.values[k] = 0 // no sub-block: nothing runs
		}
	}
	g.envelope()
	c.pred = g
	return nil
}

// zeroPlanes is the nvit-interp prediction grid: the base grid with a plane
// of zeros prepended at EMB 0, as NViT's pruner prepends to its table, and
// at MLP width 0 for an MLP component. Between a block's no-MLP point and
// its smallest MLP width measured, NViT's interpolator moves linearly from
// the block without MLP to the block with it; a decomposed table's MLP
// component does the same from 0 at width 0.
func (c *component) zeroPlanes() *grid {
	axes := slices.Clone(c.base.axes)
	shift := make([]int, len(axes))
	for d, a := range axes {
		if (d == 0 || c.zeroAxis(d)) && a[0] > 0 {
			axes[d] = append([]float64{0}, a...)
			shift[d] = 1
		}
	}
	g := newGrid(axes)
	idx := make([]int, len(axes))
nodes:
	for k := range g.values {
		g.unflatten(k, idx)
		for d := range idx {
			if idx[d] -= shift[d]; idx[d] < 0 {
				continue nodes // on a zero plane
			}
		}
		g.values[k] = c.base.values[c.base.index(idx)]
	}
	return g
}

// at predicts the component at integer point x, refusing points outside the
// prediction grid with a message that states the range and the rule. A
// block point without heads has no QK or V: whatever x gives there, it is
// looked up at the prediction grid's smallest QK and V, which every point
// with heads dominates, so removing the last head never raises a prediction.
func (c *component) at(x []int) (float64, error) {
	xf := make([]float64, len(x))
	for i, v := range x {
		xf[i] = float64(v)
	}
	if c.kind == tablefmt.KindBlock && x[1] == 0 {
		xf[2], xf[3] = c.pred.axes[2][0], c.pred.axes[3][0]
	}
	if msg := c.pred.outOfRange(xf, c.names); msg != "" {
		return 0, fmt.Errorf("costmodel: %s %s: %s", c.kind, c.describe(x), c.rangeRule(msg))
	}
	return c.pred.at(xf), nil
}

func (c *component) describe(x []int) string {
	parts := make([]string, len(x))
	for i, v := range x {
		parts[i] = fmt.Sprintf("%s=%d", c.names[i], v)
	}
	return strings.Join(parts, " ")
}

// rangeRule explains a refusal.
func (c *component) rangeRule(msg string) string {
	measured := make([]string, len(c.names))
	for d, a := range c.base.axes {
		measured[d] = fmt.Sprintf("%s %g..%g", c.names[d], a[0], a[len(a)-1])
	}
	if c.modelK == ModelNViTInterp {
		zeros := "EMB"
		if c.kind == tablefmt.KindMLP {
			zeros = "EMB and MLP"
		}
		return fmt.Sprintf("%s: the nvit-interp model interpolates within the table's grid (%s; %s also down to 0, NViT's zero plane) and refuses anything outside, as NViT's pruner does",
			msg, strings.Join(measured, ", "), zeros)
	}
	return fmt.Sprintf("%s: the hw model extrapolates from the table's grid (%s) down to a quarter of each axis's smallest value and up to twice its largest, and refuses beyond",
		msg, strings.Join(measured, ", "))
}

// blockPoint is the point of block b at emb for component kind k. A block
// without heads keeps its QK and V (0) here: at places it (see at).
func (c *component) blockPoint(emb int, b arch.Block) []int {
	switch c.kind {
	case tablefmt.KindAttn:
		return []int{emb, b.Heads, b.QK, b.V}
	case tablefmt.KindMLP:
		return []int{emb, b.MLP}
	case tablefmt.KindBlock:
		return []int{emb, b.Heads, b.QK, b.V, b.MLP}
	}
	return []int{emb}
}
