package profiler

import (
	"cmp"
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Where the model is least sure. Between two chosen values of an axis the
// model interpolates; how well it does there is estimated by leaving out a
// slab it measured (every row at one chosen value of the axis): the model
// fitted without it interpolates across the gap around it, and its largest
// |ln(predicted / measured)| over the slab is the error of interpolating
// that wide a gap there. An interval next to that value, narrower, is
// estimated at that error times its width over the gap's (in steps of the
// axis's grid values; linear rather than quadratic in the width, since
// staircases do not shrink as smooth curves do). An interval with no chosen
// value inside the axis's ends to learn from counts as unknown, as bad as
// an error of 100%. Each round bisects the intervals of largest estimated
// error, measuring the slab at the new value, as many as the round's batch
// and the budget allow, one per axis and sub-block.

// unknownErr is the estimated log error of an interval nothing measured
// tells about, and of a prediction a model refuses.
const unknownErr = 1.0

// fitModel fits the model of a round to t.
func (s *sampler) fitModel(t tablefmt.Table) (*costmodel.Model, error) {
	if s.prior != nil {
		return costmodel.FitPrior(t, s.prior, s.configs, costmodel.FitOptions{})
	}
	return costmodel.Fit(t, costmodel.FitOptions{})
}

// logErr is |ln(predicted / measured)| of r, unknownErr when m refuses it.
func logErr(m *costmodel.Model, r tablefmt.Row) float64 {
	p, err := m.RowMS(r)
	if err != nil || p <= 0 || r.MedianMS <= 0 {
		return unknownErr
	}
	return math.Abs(math.Log(p / r.MedianMS))
}

// validate predicts the validation rows t holds with m.
func (s *sampler) validate(m *costmodel.Model, t tablefmt.Table) Validation {
	acc := s.opts.AccuracyPct
	if acc == 0 {
		acc = 5 // no target: report the common ±5%
	}
	v := Validation{AccuracyPct: acc}
	var pred, meas []float64
	var n, within int
	for _, r := range t.Index() {
		if !s.isHoldout[r.Key()] {
			continue
		}
		n++
		p, err := m.RowMS(r)
		if err != nil || r.MedianMS <= 0 {
			continue
		}
		pred, meas = append(pred, p), append(meas, r.MedianMS)
		if math.Abs(p-r.MedianMS) <= (acc/100+1e-12)*r.MedianMS {
			within++
		}
	}
	v.Metrics = costmodel.ComputeMetrics(pred, meas)
	v.N = n
	if n > 0 {
		v.WithinPct = 100 * float64(within) / float64(n)
	}
	return v
}

// compRows are the rows of t that c fits (validation rows never are), and
// for the MLP of a grid of blocks the reference attentions its rows are
// differences from.
func (s *sampler) compRows(t tablefmt.Table, c *component) []tablefmt.Row {
	var out []tablefmt.Row
	for _, r := range t.Index() {
		if r.Validation {
			continue
		}
		w := s.where[r.Key()]
		if w == c || (c.kind == tablefmt.KindMLP && w != nil && s.anchors[pointKey(point(w.kind, r))]) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b tablefmt.Row) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}

// slabErrors estimates, for each chosen value inside each axis of c, the
// error of interpolating across the gap around it: the largest log error
// over its slab's rows of the model fitted to c's other rows.
func (s *sampler) slabErrors(t tablefmt.Table, c *component) []map[int]float64 {
	rows := s.compRows(t, c)
	out := make([]map[int]float64, len(c.axes))
	for d, chosen := range c.chosen {
		out[d] = map[int]float64{}
		if len(chosen) < 3 {
			continue // no chosen value inside the axis's ends
		}
		for _, v := range chosen[1 : len(chosen)-1] {
			var slab []tablefmt.Row
			train := tablefmt.Table{Header: t.Header}
			for _, r := range rows {
				if s.where[r.Key()] == c && point(c.kind, r)[d] == v {
					slab = append(slab, r)
				} else {
					train.Rows = append(train.Rows, r)
				}
			}
			if len(slab) == 0 {
				continue
			}
			e := unknownErr
			if m, err := s.fitModel(train); err == nil {
				e = 0
				for _, r := range slab {
					e = max(e, logErr(m, r))
				}
			}
			out[d][v] = e
		}
	}
	return out
}

// refinement bisects one interval of one axis of a component.
type refinement struct {
	c      *component
	axis   int
	value  int
	err    float64  // estimated log error of the interval
	points []string // the new slab's points not designed yet
}

// refinements lists every interval of every axis that has grid values
// inside, with its estimated error and the slab bisecting it would add.
func (s *sampler) refinements(t tablefmt.Table) []refinement {
	var out []refinement
	for _, c := range s.comps {
		cv := s.slabErrors(t, c)
		for d, chosen := range c.chosen {
			axis := c.axes[d]
			pos := func(v int) float64 { i, _ := slices.BinarySearch(axis, v); return float64(i) }
			for j := 0; j+1 < len(chosen); j++ {
				a, b := chosen[j], chosen[j+1]
				ia, ib := int(pos(a)), int(pos(b))
				if ib-ia < 2 {
					continue
				}
				r := refinement{c: c, axis: d, value: axis[(ia+ib)/2], err: unknownErr}
				known := false
				for _, k := range []int{j, j + 1} {
					e, ok := cv[d][chosen[k]]
					if !ok {
						continue
					}
					gap := pos(chosen[k+1]) - pos(chosen[k-1])
					if est := e * float64(ib-ia) / gap; !known || est > r.err {
						r.err, known = est, true
					}
				}
				r.points = c.slab(d, r.value)
				if len(r.points) > 0 {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// slab is the points of c's candidates at value v of axis d and the chosen
// values of the other axes, not designed yet.
func (c *component) slab(d, v int) []string {
	axes := cloneAxes(c.chosen)
	axes[d] = []int{v}
	var out []string
	product(axes, func(p []int) {
		if k := pointKey(p); c.cands[k].Kind != "" && !c.design[k] {
			out = append(out, k)
		}
	})
	return out
}

// refine chooses the next round: the refinements of largest estimated error
// first (the cheaper of two equal), one per axis of a component, until the
// round holds at least batch configurations; none beyond the budget left
// (left < 0: no budget). It returns the configurations to measure and
// whether any refinement was left undone for want of budget.
func (s *sampler) refine(t tablefmt.Table, batch, left int) ([]tablefmt.Row, bool) {
	rs := s.refinements(t)
	slices.SortStableFunc(rs, func(a, b refinement) int {
		if c := cmp.Compare(b.err, a.err); c != 0 {
			return c
		}
		return cmp.Compare(len(a.points), len(b.points))
	})
	var next []tablefmt.Row
	used := map[[2]int]bool{}
	short := false
	for _, r := range rs {
		if len(next) >= batch {
			break
		}
		id := [2]int{kindOrder(r.c.kind), r.axis}
		if used[id] {
			continue
		}
		if left >= 0 && len(next)+len(r.points) > left {
			short = true
			continue
		}
		used[id] = true
		r.c.chosen[r.axis] = addValue(r.c.chosen[r.axis], r.value)
		for _, k := range r.points {
			r.c.design[k] = true
		}
		next = append(next, r.c.rows(r.points)...)
	}
	return next, short
}
