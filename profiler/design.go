package profiler

import (
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// initialShare is the share of what the budget leaves, after the validation
// sample and the fixed configurations, that the initial design may take.
const initialShare = 0.75

// design picks the initial design. The first of these that fits in
// initialShare of what the budget leaves (any, without a budget) is taken:
// every axis at its ends and middle value (a 3ᵈ product of each
// sub-block's grid); the same with the middle value dropped from one axis
// after another, the axis that saves most first; the ends only; half of
// the ends' corners (those with an even number of high ends), whose other
// half the model fills from their measured neighbours. Failing all, the
// smallest design that fits the budget at all; failing that, the budget is
// refused. A grid of blocks adds its reference attentions. With a prior,
// whose predictions give the shape, the smallest design that fits.
func (s *sampler) design() error {
	first := len(s.fixed) + len(s.holdout)
	cands := s.initialDesigns()
	smallest := len(cands) - 1
	fits := func(i int, share float64) bool {
		b := s.opts.Budget
		return b == 0 || float64(cands[i].size) <= share*float64(b-first)
	}
	if !fits(smallest, 1) {
		return optionErrorf("budget", "%d configurations is less than the first round needs: %d (an initial design of %d spanning every axis, a validation sample of %d, %d rest and model configurations)",
			s.opts.Budget, first+cands[smallest].size, cands[smallest].size, len(s.holdout), len(s.fixed))
	}
	pick := smallest
	if s.prior == nil { // with a prior, whose predictions give the shape, a few corners fit its correction
		for i := smallest; i >= 0 && fits(i, initialShare); i-- {
			pick = i // the largest that fits: designs shrink down the list
		}
	}
	for i, c := range s.comps {
		c.chosen = cands[pick].chosen[i]
		c.design = cands[pick].points[i]
	}
	return nil
}

// initialDesign is a candidate initial design: per component, its chosen
// values and its points.
type initialDesign struct {
	chosen [][][]int
	points []map[string]bool
	size   int
}

// initialDesigns lists the initial designs design chooses from, largest
// first.
func (s *sampler) initialDesigns() []initialDesign {
	var out []initialDesign
	chosen := make([][][]int, len(s.comps))
	for i, c := range s.comps {
		chosen[i] = make([][]int, len(c.axes))
		for d, a := range c.axes {
			chosen[i][d] = coarse(a)
		}
	}
	out = append(out, s.productDesign(chosen, false))
	for {
		i, d := s.bestDrop(chosen)
		if i < 0 {
			break
		}
		chosen[i][d] = []int{chosen[i][d][0], chosen[i][d][2]}
		out = append(out, s.productDesign(chosen, false))
	}
	return append(out, s.productDesign(chosen, true))
}

// coarse is an axis's ends and middle value.
func coarse(a []int) []int {
	out := []int{a[0]}
	for _, v := range []int{middle(a), a[len(a)-1]} {
		out = addValue(out, v)
	}
	return out
}

// bestDrop is the component and axis whose middle value, dropped, saves the
// most points (-1 when none has a middle value left).
func (s *sampler) bestDrop(chosen [][][]int) (int, int) {
	bi, bd, best := -1, -1, 0
	for i := range s.comps {
		for d, vs := range chosen[i] {
			if len(vs) != 3 {
				continue
			}
			saves := productSize(chosen[i]) / 3
			if saves > best || (saves == best && len(s.comps[i].axes[d]) < len(s.comps[bi].axes[bd])) {
				bi, bd, best = i, d, saves
			}
		}
	}
	return bi, bd
}

func productSize(axes [][]int) int {
	n := 1
	for _, a := range axes {
		n *= len(a)
	}
	return n
}

// productDesign is the design of every component at chosen values, its
// corners halved when half is set, plus the reference attentions.
func (s *sampler) productDesign(chosen [][][]int, half bool) initialDesign {
	d := initialDesign{chosen: make([][][]int, len(s.comps)), points: make([]map[string]bool, len(s.comps))}
	for i, c := range s.comps {
		d.chosen[i] = cloneAxes(chosen[i])
		d.points[i] = map[string]bool{}
		product(chosen[i], func(p []int) {
			if half && highEnds(chosen[i], p)%2 == 1 {
				return
			}
			if k := pointKey(p); c.cands[k].Kind != "" {
				d.points[i][k] = true
			}
		})
		if c.kind == tablefmt.KindAttn {
			for k := range s.anchors {
				d.points[i][k] = true
			}
		}
		d.size += len(d.points[i])
	}
	return d
}

// highEnds counts the coordinates of p at the high end of their axis.
func highEnds(axes [][]int, p []int) int {
	n := 0
	for d, v := range p {
		if a := axes[d]; len(a) > 1 && v == a[len(a)-1] {
			n++
		}
	}
	return n
}

func cloneAxes(a [][]int) [][]int {
	out := make([][]int, len(a))
	for i, v := range a {
		out[i] = slices.Clone(v)
	}
	return out
}
