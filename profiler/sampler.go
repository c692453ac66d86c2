package profiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// sampler chooses what an adaptive sweep measures.
//
// The cost model (costmodel.Fit, hw) interpolates each sub-block's latency
// over the product of the values its rows measured, filling nodes no row
// measured from their neighbours along the axes. Measured nodes interpolate
// well; a value of an axis measured at a few configurations only adds a
// slab of nodes that are mostly filled, and filled poorly. So the sampler
// keeps each sub-block's design a product: per axis a set of chosen values
// (the ends and the middle, to start), every combination measured; it
// refines by adding one value to one axis, which measures the new slab, the
// other axes' chosen values at the new value.
//
// Its candidates are the configurations a model fits: attention and MLP
// sub-blocks of a decomposed grid, or, of a grid of whole blocks, the blocks
// without MLP (the attention) and the blocks at one reference attention
// per EMB (the MLP, by difference: costmodel.Decompose). The rest of the
// model and whole models are measured in the first round (fixed); the
// validation sample (holdout) is drawn at random from the configurations
// the table should predict and never fitted: where it falls inside a
// design, the model fills the node from its measured neighbours.
type sampler struct {
	opts      AdaptiveOptions
	decompose bool // a grid of whole blocks
	grid      int  // configurations of the full grid
	configs   []tablefmt.Row
	fixed     []tablefmt.Row
	holdout   []tablefmt.Row
	isHoldout map[string]bool
	comps     []*component
	where     map[string]*component // a candidate's sub-block, by key
	anchors   map[string]bool       // blocks: points of the reference attention per EMB, which every MLP row needs
	prior     *costmodel.Model      // the prior's model (AdaptiveOptions.Prior), or nil
	priorRec  tablefmt.Sampling     // the prior's hash and summary, as recorded
}

// component is the design of one sub-block: attention over (EMB, heads,
// QK, V) or MLP over (EMB, MLP).
type component struct {
	kind   tablefmt.Kind
	axes   [][]int                 // each axis's values in the grid
	chosen [][]int                 // each axis's values in the design
	cands  map[string]tablefmt.Row // candidates by point (pointKey), validation excluded
	design map[string]bool         // points designed: measured, or to be
}

// point is a candidate's grid point in its sub-block: (EMB, heads, QK, V)
// for attention, (EMB, MLP) for the MLP.
func point(k tablefmt.Kind, r tablefmt.Row) []int {
	if k == tablefmt.KindAttn {
		return []int{r.EMB, r.Heads, r.QK, r.V}
	}
	return []int{r.EMB, r.MLP}
}

func pointKey(p []int) string { return fmt.Sprint(p) }

// newSampler plans an adaptive sweep of configs (a grid's, Grid.Configs).
func newSampler(configs []tablefmt.Row, opts AdaptiveOptions) (*sampler, error) {
	s := &sampler{opts: opts, grid: len(configs), configs: configs, isHoldout: map[string]bool{},
		where: map[string]*component{}, anchors: map[string]bool{}}
	var universe []tablefmt.Row // what the validation sample is drawn from
	var err error
	if slices.ContainsFunc(configs, func(r tablefmt.Row) bool { return r.Kind == tablefmt.KindAttn || r.Kind == tablefmt.KindMLP }) {
		universe = s.splitDecomposed(configs)
	} else if universe, err = s.splitBlocks(configs); err != nil {
		return nil, err
	}
	if len(s.where) == 0 {
		return nil, optionErrorf("grid", "an adaptive sweep needs attention or MLP configurations to fit, and the grid has none")
	}
	s.drawHoldout(universe)
	if err := s.setPrior(); err != nil {
		return nil, err
	}
	if err := s.design(); err != nil {
		return nil, err
	}
	return s, nil
}

// comp is the component of kind k, made on first use.
func (s *sampler) comp(k tablefmt.Kind) *component {
	for _, c := range s.comps {
		if c.kind == k {
			return c
		}
	}
	c := &component{kind: k, cands: map[string]tablefmt.Row{}, design: map[string]bool{}}
	s.comps = append(s.comps, c)
	slices.SortFunc(s.comps, func(a, b *component) int { return kindOrder(a.kind) - kindOrder(b.kind) })
	return c
}

func kindOrder(k tablefmt.Kind) int { return slices.Index(tablefmt.Kinds(), k) }

// add makes r a candidate of the sub-block of kind k.
func (s *sampler) add(k tablefmt.Kind, r tablefmt.Row) {
	c := s.comp(k)
	p := point(k, r)
	if c.axes == nil {
		c.axes = make([][]int, len(p))
	}
	for d, v := range p {
		c.axes[d] = addValue(c.axes[d], v)
	}
	c.cands[pointKey(p)] = r
	s.where[r.Key()] = c
}

// splitDecomposed sorts a decomposed grid's configurations: attention and
// MLP are candidates, the rest fixed. The validation sample is drawn from
// the candidates.
func (s *sampler) splitDecomposed(configs []tablefmt.Row) []tablefmt.Row {
	var universe []tablefmt.Row
	for _, r := range configs {
		switch r.Kind {
		case tablefmt.KindAttn, tablefmt.KindMLP:
			s.add(r.Kind, r)
			universe = append(universe, r)
		default:
			s.fixed = append(s.fixed, r)
		}
	}
	return universe
}

// splitBlocks sorts a grid of whole blocks: blocks without MLP are the
// attention's candidates, blocks at each EMB's reference attention (the
// middle value of heads, QK and V) the MLP's; the validation sample is drawn
// from every block off the reference attention.
func (s *sampler) splitBlocks(configs []tablefmt.Row) ([]tablefmt.Row, error) {
	s.decompose = true
	var heads, qk, v, mlp []int
	for _, r := range configs {
		if r.Kind == tablefmt.KindBlock && r.Heads > 0 {
			heads, qk, v, mlp = addValue(heads, r.Heads), addValue(qk, r.QK), addValue(v, r.V), addValue(mlp, r.MLP)
		}
	}
	if len(heads) > 0 && mlp[0] != 0 {
		return nil, optionErrorf("mlp", "an adaptive sweep of whole blocks measures attention as blocks without MLP: add MLP 0")
	}
	ref := [3]int{middle(heads), middle(qk), middle(v)}
	var universe []tablefmt.Row
	for _, r := range configs {
		onRef := ref == [3]int{r.Heads, r.QK, r.V}
		switch {
		case r.Kind != tablefmt.KindBlock:
			s.fixed = append(s.fixed, r)
		case r.Heads == 0:
			return nil, optionErrorf("grid", "an adaptive sweep of whole blocks needs heads in every block (%s)", r.Key())
		case r.MLP == 0:
			s.add(tablefmt.KindAttn, r)
			if onRef {
				s.anchors[pointKey(point(tablefmt.KindAttn, r))] = true
			} else {
				universe = append(universe, r)
			}
		case onRef:
			s.add(tablefmt.KindMLP, r)
		default:
			universe = append(universe, r)
		}
	}
	return universe, nil
}

func addValue(vs []int, v int) []int {
	if i, found := slices.BinarySearch(vs, v); !found {
		return slices.Insert(vs, i, v)
	}
	return vs
}

// middle is the middle value of sorted vs (the lower of two).
func middle(vs []int) int {
	if len(vs) == 0 {
		return 0
	}
	return vs[(len(vs)-1)/2]
}

// defaultHoldout is the validation sample's size when not given: a tenth of
// the configurations it is drawn from, at least 5 and at most 60.
func defaultHoldout(universe int) int { return min(max((universe+5)/10, 5), 60) }

// drawHoldout draws the validation sample from universe: uniformly, and in
// a decomposed grid in proportion to the attention and MLP configurations.
// Candidates drawn are never fitted.
func (s *sampler) drawHoldout(universe []tablefmt.Row) {
	n := s.opts.Holdout
	if n == 0 {
		n = defaultHoldout(len(universe))
	}
	n = min(n, len(universe)/2)
	rng := rand.New(rand.NewPCG(s.opts.Seed, 0x686f6c646f7574)) // "holdout"
	groups := map[tablefmt.Kind][]tablefmt.Row{}
	var kinds []tablefmt.Kind
	for _, r := range universe {
		if groups[r.Kind] == nil {
			kinds = append(kinds, r.Kind)
		}
		groups[r.Kind] = append(groups[r.Kind], r)
	}
	left := n
	for i, k := range kinds {
		g := groups[k]
		take := int(math.Round(float64(n) * float64(len(g)) / float64(len(universe))))
		if i == len(kinds)-1 {
			take = left
		}
		take = min(take, left, len(g))
		for _, j := range rng.Perm(len(g))[:take] {
			r := g[j]
			r.Validation = true
			s.holdout = append(s.holdout, r)
			s.isHoldout[r.Key()] = true
			if c := s.where[r.Key()]; c != nil {
				delete(c.cands, pointKey(point(c.kind, r)))
				delete(s.where, r.Key())
			}
		}
		left -= take
	}
}

// first is what the first round measures: the initial design, the
// validation sample and the fixed configurations.
func (s *sampler) first() []tablefmt.Row {
	var out []tablefmt.Row
	for _, c := range s.comps {
		out = append(out, c.rows(c.designed())...)
	}
	out = slices.Concat(out, s.holdout, s.fixed)
	for i := range out {
		out[i].Validation = false // the measurer sees configurations only (see markValidation)
	}
	return out
}

// designed are the points of c's design, in grid order.
func (c *component) designed() []string {
	var out []string
	c.eachPoint(func(p []int) {
		if k := pointKey(p); c.design[k] {
			out = append(out, k)
		}
	})
	return out
}

// eachPoint calls f with every point of c's grid, in grid order (the last
// axis fastest).
func (c *component) eachPoint(f func(p []int)) {
	product(c.axes, f)
}

// product calls f with every combination of the axes' values.
func product(axes [][]int, f func(p []int)) {
	p := make([]int, len(axes))
	var rec func(d int)
	rec = func(d int) {
		if d == len(axes) {
			f(slices.Clone(p))
			return
		}
		for _, v := range axes[d] {
			p[d] = v
			rec(d + 1)
		}
	}
	rec(0)
}

// rows are c's candidate rows at points keys.
func (c *component) rows(keys []string) []tablefmt.Row {
	out := make([]tablefmt.Row, 0, len(keys))
	for _, k := range keys {
		out = append(out, c.cands[k])
	}
	return out
}

// describe is the header's record of the strategy.
func (s *sampler) describe() *tablefmt.Sampling {
	return &tablefmt.Sampling{Strategy: tablefmt.SamplingAdaptive, AccuracyPct: s.opts.AccuracyPct, Share: s.opts.Share,
		Grid: s.grid, Holdout: len(s.holdout), Seed: s.opts.Seed, Uncertainty: uncertaintyName, Decompose: s.decompose,
		Prior: s.priorRec.Prior, PriorSummary: s.priorRec.PriorSummary}
}

// setPrior fits the model of the prior table, if any: decomposed, so that
// a table of whole blocks (NViT's) predicts attention and MLP sub-blocks.
func (s *sampler) setPrior() error {
	t := s.opts.Prior
	if t == nil {
		return nil
	}
	m, err := costmodel.FitDecomposed(*t, costmodel.FitOptions{})
	if err != nil {
		return optionError("prior", err)
	}
	hash, err := t.Hash()
	if err != nil {
		return optionError("prior", err)
	}
	s.prior, s.priorRec.Prior, s.priorRec.PriorSummary = m, hash, t.Header.Summary()
	return nil
}

// String sums up the plan, for the sweep's log.
func (s *sampler) String() string {
	n := 0
	for _, c := range s.comps {
		n += len(c.design)
	}
	return fmt.Sprintf("adaptive: %d configurations to choose from; the first round measures %d (an initial design of %d, validation %d, rest and models %d)",
		s.grid, n+len(s.holdout)+len(s.fixed), n, len(s.holdout), len(s.fixed))
}
