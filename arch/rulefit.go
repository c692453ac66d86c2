package arch

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FitOptions tune FitRule. Zero fields take their defaults.
type FitOptions struct {
	// Template gives what the fit does not estimate: the steps and
	// roundings of heads, QK and MLP (default DefaultRule's: even heads to
	// the nearest, QK down to a multiple of 8, MLP to the nearest unit) and
	// the rule's name (default "fitted"). Its ε, divisors, MLP factor, V,
	// depth, EMB and geometry are ignored.
	Template Rule
	// Segments is the number of constant pieces of the ε profile, from 1
	// (a flat profile) to the depth (one ε per block). 0 chooses: the
	// fewest pieces with which the rule regenerates every model exactly,
	// or, when no number does, the number with the smallest BIC of the
	// log-space least-squares fit.
	Segments int
}

// Segment is a run of consecutive blocks that share one ε.
type Segment struct {
	From, To int // first and last block, counting from 0
	Epsilon  float64
}

// String is the segment as prose writes it, blocks counted from 1: "ε 2 (blocks 4–9)".
func (s Segment) String() string {
	if s.From == s.To {
		return fmt.Sprintf("ε %.4g (block %d)", s.Epsilon, s.From+1)
	}
	return fmt.Sprintf("ε %.4g (blocks %d–%d)", s.Epsilon, s.From+1, s.To+1)
}

// Residual is how far the fitted rule's dimensions are from the models'
// along one dimension: the rule is applied at each model's EMB and its
// rounded output compared with the model, block by block.
type Residual struct {
	Dim     Dimension
	N       int     // values compared
	MeanAbs float64 // mean |rule − model|, in the dimension's unit (heads, channels, neurons)
	MaxAbs  float64
	MeanRel float64 // mean |rule − model| / model
	MaxRel  float64
	// Removed counts model values of 0 (a sub-block pruned away; for QK
	// and V, a block without heads), which the rule, keeping at least one
	// step, cannot produce: they are left out of the fit and of the means.
	Removed int
}

// RuleFit is a redistribution rule fitted to a set of architectures.
type RuleFit struct {
	// Rule is the fit, resolved: every field set. Its EMB is the widest
	// model's, its geometry the models'; it regenerates model m as
	// Rule with EMB = m.EMB.
	Rule     Rule
	Segments []Segment // the ε profile's pieces, in block order
	// Exact reports that Rule regenerates every model's dimensions exactly.
	Exact     bool
	Residuals []Residual // heads, QK, V, MLP
	// LogRMS is the root mean square residual of the log-space least-squares
	// fit (ln of value over fitted value), the scale-free misfit.
	LogRMS float64
	// Warnings are caveats about the data, for the reader (one line each).
	Warnings []string
}

// Profile is the ε profile in prose: "ε 1 (blocks 1–3), ε 2 (blocks 4–9), ε 1 (blocks 10–12)".
func (f RuleFit) Profile() string {
	parts := make([]string, len(f.Segments))
	for i, s := range f.Segments {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// ErrNoHeads is returned when no model keeps an attention head: the head
// and QK divisors have nothing to be fitted to.
var ErrNoHeads = errors.New("arch: fit rule: no model keeps an attention head")

// FitRule fits NViT's redistribution rule (see Rule) to the per-block
// dimensions of t's models, each at its own EMB.
//
// The fit. In log space the rule is additive, ln(value/EMB) = ln ε_b − ln
// HeadDivisor for heads (− ln QKDivisor for QK, + ln MLPFactor for MLP), so
// ε per segment and the three divisors/factors are fitted by least squares
// on ln(value/EMB): relative errors, every positive value weighing the same.
// V is the median of the models' V per head (over blocks with heads): the
// rule has one V. Values of 0 (removed sub-blocks) are left out: the rule
// cannot produce them. The steps and roundings come from opt.Template.
//
// The profile is piecewise constant: runs of consecutive blocks share an ε
// (optimal segmentation by dynamic programming). Not a polynomial: the
// published rule is itself piecewise constant (ε 2 in the middle blocks, 1
// elsewhere), rounded widths come in plateaus, the runs read as "blocks
// 4–9", and with as many runs as blocks the profile is free, so any rule's
// profile is representable; a low-order polynomial cannot make a step and
// overshoots at the ends.
//
// Scale. ε and the divisors are determined only up to a common factor (ε·k
// with HeadDivisor·k, QKDivisor·k and MLPFactor/k give the same model); the
// fit fixes it as the paper writes its rule: the narrowest block has ε = 1.
//
// Exactness. Every observed value is a multiple of its step that the
// rounding produced from a real number in a known interval, so "the rule
// regenerates value v" is an interval on ln ε_b − ln divisor: a system of
// difference constraints. When that system is feasible the fit finds the
// parameters satisfying it (with slack against floating-point error)
// closest to the least-squares ones, then moves each, ε first, to the
// roundest number the constraints still allow (the paper's family gives
// back 100, 20 and 3, not the 90.4, 21.3 and 2.999 nearest least squares),
// and checks by regenerating every model: Exact is then true. The parameters are
// identified only up to that feasible set: ε_b/HeadDivisor, ε_b/QKDivisor
// and MLPFactor·ε_b each within the narrowest rounding interval observed
// for block b (relative width about step/value), the profile's scale as
// above, V exactly. With Segments 0 the profile has the fewest runs that
// allow an exact fit, so any rule's family comes back exactly (the free
// profile, one run per block, always does).
//
// One model is enough to fit (its ratios heads : QK : MLP per block and
// their trend along the depth are what the rule encodes), but with one EMB
// the rule's proportionality to EMB is assumed, not tested: a warning says
// so. FitRule returns ErrNoHeads when no model keeps a head.
func FitRule(t *Trends, opt FitOptions) (RuleFit, error) {
	if t == nil || len(t.Models) == 0 {
		return RuleFit{}, ErrNoModels
	}
	tpl := fitTemplate(opt.Template, t)
	obs, removed := observations(t)
	if !slices.ContainsFunc(obs, func(o observation) bool { return o.dim == 0 }) {
		return RuleFit{}, ErrNoHeads
	}
	if opt.Segments < 0 || opt.Segments > t.Depth {
		return RuleFit{}, fmt.Errorf("arch: fit rule: %d segments for %d blocks (want 1 to %d, or 0 to choose)", opt.Segments, t.Depth, t.Depth)
	}
	free := fitLS(obs, identity(t.Depth), t.Depth)
	weights := make([]float64, t.Depth)
	for _, o := range obs {
		weights[o.block]++
	}
	ks := []int{opt.Segments}
	if opt.Segments == 0 {
		ks = make([]int, t.Depth)
		for i := range ks {
			ks[i] = i + 1
		}
	}
	var best RuleFit
	bestBIC := math.Inf(1)
	for _, k := range ks {
		seg := segmentation(free.e, weights, k)
		f, bic, err := fitSegments(t, tpl, obs, seg, k)
		if err != nil {
			return RuleFit{}, err
		}
		if f.Exact {
			best = f
			break
		}
		if bic < bestBIC {
			best, bestBIC = f, bic
		}
	}
	best.Warnings = append(fitWarnings(t, removed, weights), best.Warnings...)
	return best, nil
}

// fitTemplate is the rule the fit fills in: the template's steps, roundings
// and name, t's depth and geometry, the widest model's EMB.
func fitTemplate(tpl Rule, t *Trends) Rule {
	r := Rule{HeadStep: tpl.HeadStep, HeadRound: tpl.HeadRound, QKStep: tpl.QKStep, QKRound: tpl.QKRound,
		MLPStep: tpl.MLPStep, MLPRound: tpl.MLPRound, Name: tpl.Name, Depth: t.Depth, Geometry: t.Geometry}
	if r.Name == "" {
		r.Name = "fitted"
	}
	r.EMB = slices.Max(t.EMBs())
	return r.withDefaults()
}

// observations are the positive heads, QK (where there are heads) and MLP
// values of every model; removed counts the zeros left out, per dimension.
func observations(t *Trends) ([]observation, map[Dimension]int) {
	var obs []observation
	removed := map[Dimension]int{}
	for _, m := range t.Models {
		emb := float64(m.EMB)
		for b, blk := range m.Blocks {
			for d, dim := range fitDims {
				v := blk.Get(dim)
				if v <= 0 || (dim == DimQK && blk.Heads == 0) {
					removed[dim]++
					continue
				}
				obs = append(obs, observation{block: b, dim: d, emb: emb, value: v, z: math.Log(float64(v) / emb)})
			}
		}
	}
	return obs, removed
}

func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// fitSegments fits the rule with the ε profile constant over the runs of
// seg: least squares, then the exact solution near it when there is one.
// It returns the fit and the BIC of the least-squares fit.
func fitSegments(t *Trends, tpl Rule, obs []observation, seg []int, k int) (RuleFit, float64, error) {
	ls := fitLS(obs, seg, k)
	p := make([]float64, k+3) // e per segment, then g = −c
	copy(p, ls.e)
	for d := range ls.c {
		p[k+d] = -ls.c[d]
	}
	n := float64(len(obs))
	bic := n*math.Log(math.Max(ls.rss/n, 1e-300)) + float64(k+3)*math.Log(n)
	v := medianV(t)
	round := [3]Rounding{tpl.HeadRound, tpl.QKRound, tpl.MLPRound}
	step := [3]int{tpl.HeadStep, tpl.QKStep, tpl.MLPStep}
	if c, ok := intervalConstraints(obs, seg, k, round, step); ok {
		if x, margin, ok := exactSolve(c, p); ok {
			for _, x := range [][]float64{simplify(c, x, margin), x} {
				if f, err := buildFit(t, tpl, x, seg, k, v, ls.rss, len(obs)); err == nil && f.Exact {
					return f, bic, nil
				}
			}
		}
	}
	f, err := buildFit(t, tpl, p, seg, k, v, ls.rss, len(obs))
	return f, bic, err
}

// medianV is the lower median of V per head over blocks with heads (0 when
// none: the template's default then applies).
func medianV(t *Trends) int {
	var vs []int
	for _, m := range t.Models {
		for _, b := range m.Blocks {
			if b.Heads > 0 && b.V > 0 {
				vs = append(vs, b.V)
			}
		}
	}
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[(len(vs)-1)/2]
}

// buildFit turns log-space parameters x (e per segment, then g) into a
// resolved rule, normalised so that the smallest ε is 1, and measures it.
func buildFit(t *Trends, tpl Rule, x []float64, seg []int, k, v int, rss float64, n int) (RuleFit, error) {
	lo := math.Inf(1)
	for _, e := range x[:k] {
		if !math.IsNaN(e) {
			lo = math.Min(lo, e)
		}
	}
	r := tpl
	r.Epsilon = make([]float64, t.Depth)
	for b := range r.Epsilon {
		e := x[seg[b]]
		if math.IsNaN(e) { // a run with nothing kept: the narrowest ε
			e = lo
		}
		r.Epsilon[b] = tidy(math.Exp(e - lo))
	}
	r.HeadDivisor = tidy(math.Exp(x[k] - lo))
	r.QKDivisor = tidy(math.Exp(x[k+1] - lo))
	r.MLPFactor = tidy(math.Exp(-(x[k+2] - lo)))
	r.V = v
	r = r.withDefaults()
	if err := r.Validate(); err != nil {
		return RuleFit{}, fmt.Errorf("arch: fit rule: the fitted rule is not usable: %w", err)
	}
	f := RuleFit{Rule: r, Segments: segments(r.Epsilon, seg), LogRMS: math.Sqrt(rss / float64(max(n, 1)))}
	res, exact, err := residuals(t, r)
	if err != nil {
		return RuleFit{}, err
	}
	f.Residuals, f.Exact = res, exact
	return f, nil
}

// tidy rounds v to 12 significant digits, so that exp(ln 100) is 100 in
// the rule file (the regeneration check that follows still decides Exact).
func tidy(v float64) float64 {
	t, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return t
}

// segments lists the runs of seg with their ε.
func segments(eps []float64, seg []int) []Segment {
	var out []Segment
	for b := range seg {
		if b == 0 || seg[b] != seg[b-1] {
			out = append(out, Segment{From: b, To: b, Epsilon: eps[b]})
			continue
		}
		out[len(out)-1].To = b
	}
	return out
}

// fitWarnings are the caveats of fitting t.
func fitWarnings(t *Trends, removed map[Dimension]int, weights []float64) []string {
	var w []string
	embs := t.EMBs()
	if len(t.Models) == 1 {
		w = append(w, fmt.Sprintf("one model (%s): the rule's proportionality to EMB is assumed, not tested, and nothing averages out its pruning noise",
			t.Models[0].Name))
	} else if slices.Min(embs) == slices.Max(embs) {
		w = append(w, fmt.Sprintf("all %d models have EMB %d: the rule's proportionality to EMB is assumed, not tested", len(embs), embs[0]))
	}
	if n := removed[DimHeads] + removed[DimMLP]; n > 0 {
		w = append(w, fmt.Sprintf("%d removed sub-blocks (%d attention, %d MLP) left out of the fit: the rule keeps at least one step of each",
			n, removed[DimHeads], removed[DimMLP]))
	}
	for b, n := range weights {
		if n == 0 {
			w = append(w, fmt.Sprintf("block %d is removed in every model: the rule cannot remove a block and gives it the narrowest ε", b+1))
		}
	}
	return w
}

// residuals applies r at each model's EMB and compares its dimensions with
// the model's; exact reports that every block came out identical.
func residuals(t *Trends, r Rule) ([]Residual, bool, error) {
	dims := BlockDimensions()
	res := make([]Residual, len(dims))
	for i, d := range dims {
		res[i].Dim = d
	}
	exact := true
	for _, m := range t.Models {
		rm := r
		rm.EMB = m.EMB
		s, err := rm.Spec()
		if err != nil {
			return nil, false, fmt.Errorf("arch: fit rule: at EMB %d: %w", m.EMB, err)
		}
		for b, blk := range m.Blocks {
			got := s.Blocks[b]
			exact = exact && got == blk
			for i, d := range dims {
				want := blk.Get(d)
				if want == 0 || (blk.Heads == 0 && (d == DimQK || d == DimV)) {
					res[i].Removed++
					continue
				}
				diff := math.Abs(float64(got.Get(d) - want))
				rel := diff / float64(want)
				res[i].N++
				res[i].MeanAbs += diff
				res[i].MeanRel += rel
				res[i].MaxAbs = math.Max(res[i].MaxAbs, diff)
				res[i].MaxRel = math.Max(res[i].MaxRel, rel)
			}
		}
	}
	for i := range res {
		if res[i].N > 0 {
			res[i].MeanAbs /= float64(res[i].N)
			res[i].MeanRel /= float64(res[i].N)
		}
	}
	return res, exact, nil
}
