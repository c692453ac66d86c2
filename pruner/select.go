package pruner

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

// GroupSizes are how many units of each dimension are pruned together.
type GroupSizes struct {
	EMB, Heads, QK, V, MLP int
}

// NViTGroupSizes are NViT's group sizes, chosen for DeiT-B (EMB 768, 12
// heads, QK = V = 64, MLP 3072).
var NViTGroupSizes = GroupSizes{EMB: 16, Heads: 2, QK: 8, V: 8, MLP: 16}

// ScaledGroupSizes scales NViT's sizes to s: each size times s's largest
// width of that dimension over DeiT-B's, rounded, at least 1. DeiT-B gets
// NViT's sizes; a model with EMB 64, 4 heads of 16 and MLP 128 gets EMB 1,
// heads 1, QK 2, V 2, MLP 1.
func ScaledGroupSizes(s arch.Spec) GroupSizes {
	var h, qk, v, m int
	for _, b := range s.Blocks {
		h, qk, v, m = max(h, b.Heads), max(qk, b.QK), max(v, b.V), max(m, b.MLP)
	}
	scale := func(nvit, have, deitB int) int {
		return max(1, int(math.Round(float64(nvit)*float64(have)/float64(deitB))))
	}
	return GroupSizes{EMB: scale(16, s.EMB, 768), Heads: scale(2, h, 12), QK: scale(8, qk, 64), V: scale(8, v, 64), MLP: scale(16, m, 3072)}
}

func (g GroupSizes) of(d arch.Dimension) int {
	switch d {
	case arch.DimEMB:
		return g.EMB
	case arch.DimHeads:
		return g.Heads
	case arch.DimQK:
		return g.QK
	case arch.DimV:
		return g.V
	}
	return g.MLP
}

// Validate refuses sizes below 1.
func (g GroupSizes) Validate() error {
	if g.EMB < 1 || g.Heads < 1 || g.QK < 1 || g.V < 1 || g.MLP < 1 {
		return fmt.Errorf("pruner: group sizes must be at least 1, got %+v", g)
	}
	return nil
}

// Group is a set of units of one layer (EMB, or one dimension of one block)
// pruned together: the next-least salient units of that layer.
type Group struct {
	Dim      arch.Dimension
	Block    int     // −1 for EMB
	Units    []int   // indices into the current model
	Saliency float64 // sum of the units' saliency
}

// layer is one dimension of one block (or EMB), its groups in order of
// increasing saliency.
type layer struct {
	dim    arch.Dimension
	block  int
	groups []Group
	next   int // groups[:next] are selected
}

// makeLayers sorts each layer's units by saliency and chunks them into
// groups of the layer's size.
func makeLayers(sal *PerUnit, sizes GroupSizes) []*layer {
	var out []*layer
	sal.each(func(d arch.Dimension, b int, v []float64) {
		if len(v) == 0 {
			return
		}
		order := iota(len(v))
		sort.SliceStable(order, func(i, j int) bool { return v[order[i]] < v[order[j]] })
		l := &layer{dim: d, block: b}
		size := sizes.of(d)
		for start := 0; start < len(order); start += size {
			units := slices.Clone(order[start:min(start+size, len(order))])
			var s float64
			for _, u := range units {
				s += v[u]
			}
			slices.Sort(units)
			l.groups = append(l.groups, Group{Dim: d, Block: b, Units: units, Saliency: s})
		}
		out = append(out, l)
	})
	return out
}

// Selection names a way of choosing groups.
type Selection string

// Selections.
const (
	// SelectGreedy is NViT's global ranking: repeatedly remove the group
	// with the lowest latency-aware score, I/Ī − η·ΔLat/ΔLat̄, among the
	// next group of every layer, recomputing its latency saving ΔLat with
	// the cost model at the current architecture, until the target is met.
	SelectGreedy Selection = "greedy"
	// SelectKnapsack is HALP's: choose how many groups to remove from each
	// layer to minimise the saliency removed subject to removing at least
	// the latency needed (a multiple-choice knapsack over the per-layer
	// cumulative latency savings, solved by dynamic programming), then
	// top up greedily if layer interactions (EMB) leave the target unmet.
	SelectKnapsack Selection = "knapsack"
	// SelectRatio ranks groups like SelectGreedy but by saliency per
	// latency saved, (I/Ī) / (ΔLat/ΔLat̄)^η: the greedy solution of the
	// fractional knapsack "remove the least saliency for the latency to
	// cut", which is where NViT's I − η·ΔLat lands only when η happens to be
	// the break-even ratio. An additive score with a fixed η ranks a group
	// that saves much latency (an EMB channel, felt by every block) ahead of
	// groups with no saliency at all; a ratio removes what is useless first,
	// whatever it saves. η = 0 is again latency-blind.
	SelectRatio Selection = "ratio"
)

// ParseSelection checks a selection name.
func ParseSelection(s string) (Selection, error) {
	switch Selection(s) {
	case SelectGreedy, SelectKnapsack, SelectRatio:
		return Selection(s), nil
	}
	return "", fmt.Errorf("pruner: unknown selection %q (want greedy, knapsack or ratio)", s)
}

// Regularizer is the latency term of the score.
//
// NViT scores a group I − η·ΔLat with ΔLat in seconds and η = 5e-4. Both
// raw scales depend on the loss, the batch and the device (NViT's saliency
// of DeiT-B on ImageNet and its V100 latencies), so nvitprof makes the score
// dimensionless: the saliency is divided by its mean over all candidate
// groups and the latency saving by its mean over the first group of every
// layer, both taken at the start of a pruning step:
//
//	score = I/Ī − η·ΔLat/ΔLat̄
//
// η = 1 then trades an average group's saliency for an average group's
// latency. η = 0 is the latency-blind baseline (pure saliency ranking, the
// latency only decides when to stop). With Raw set the score is NViT's own,
// I − η·ΔLat[s].
type Regularizer struct {
	Model costmodel.Predictor
	Eta   float64
	Raw   bool
}

// DefaultEta is the default latency weight of the normalised score.
const DefaultEta = 1.0

// NViTEta is NViT's latency weight for raw scores (latencies in seconds).
const NViTEta = 5e-4

// marginalMS is the latency saved by removing g at s, in ms. An inversion
// (a model that predicts the removal slows the model down) counts as 0.
func (r Regularizer) marginalMS(s arch.Spec, g Group) (float64, error) {
	d, err := r.Model.Marginal(s, costmodel.Removal{Dim: g.Dim, Block: max(g.Block, 0), K: len(g.Units)})
	var inv *costmodel.InversionError
	if errors.As(err, &inv) {
		return 0, nil
	}
	return d, err
}

// removable reports whether removing g from s leaves a valid model: not
// all EMB channels, not all QK or V width of heads that remain.
func removable(s arch.Spec, g Group) bool {
	_, err := costmodel.Removal{Dim: g.Dim, Block: max(g.Block, 0), K: len(g.Units)}.Apply(s)
	return err == nil
}

// Selected is the outcome of a selection: the groups to remove, in the
// order chosen, and the architecture and predicted latency after removing them.
type Selected struct {
	Groups      []Group
	Spec        arch.Spec
	PredictedMS float64
}

// Select chooses groups of s's units, ranked by saliency sal and the
// regulariser, until the predicted latency is at most targetMS.
func Select(s arch.Spec, sal *PerUnit, sizes GroupSizes, reg Regularizer, method Selection, targetMS float64) (Selected, error) {
	if err := sizes.Validate(); err != nil {
		return Selected{}, err
	}
	layers := makeLayers(sal, sizes)
	p, err := reg.Model.Latency(s)
	if err != nil {
		return Selected{}, fmt.Errorf("pruner: cost model: %w", err)
	}
	sel := Selected{Spec: s.Clone(), PredictedMS: p.TotalMS}
	if p.TotalMS <= targetMS {
		return sel, nil
	}
	// Normalisers, at the start of the step.
	var salSum float64
	var nGroups int
	for _, l := range layers {
		for _, g := range l.groups {
			salSum += g.Saliency
			nGroups++
		}
	}
	salMean := salSum / float64(max(nGroups, 1))
	var latSum float64
	var nLat int
	for _, l := range layers {
		if removable(s, l.groups[0]) {
			d, err := reg.marginalMS(s, l.groups[0])
			if err != nil {
				continue // outside the cost model's range: not a candidate
			}
			latSum += d
			nLat++
		}
	}
	latMean := latSum / float64(max(nLat, 1))
	score := func(g Group, dMS float64) float64 {
		if reg.Raw {
			return g.Saliency - reg.Eta*dMS/1000
		}
		si := 0.0
		if salMean > 0 {
			si = g.Saliency / salMean
		}
		li := 0.0
		if latMean > 0 {
			li = dMS / latMean
		}
		if method == SelectRatio {
			if reg.Eta == 0 {
				return si
			}
			if li <= 0 {
				return math.Inf(1) // saves nothing: last
			}
			return si / math.Pow(li, reg.Eta)
		}
		return si - reg.Eta*li
	}
	if method == SelectKnapsack {
		if err := knapsack(&sel, layers, reg, targetMS); err != nil {
			return Selected{}, err
		}
	}
	var refused error // the last removal the cost model could not predict
	for sel.PredictedMS > targetMS {
		var best *layer
		bestN := 0
		bestScore := math.Inf(1)
		for _, l := range layers {
			if l.next >= len(l.groups) {
				continue
			}
			g, n := l.groups[l.next], 1
			if !removable(sel.Spec, g) {
				continue
			}
			d, err := reg.marginalMS(sel.Spec, g)
			if err != nil {
				// Outside the cost model's range (a width below its grid):
				// what is left of the layer can still go at once.
				refused = err
				var ok bool
				if g, n, d, ok = l.restRemoval(sel.Spec, l.next, reg); !ok {
					continue
				}
			}
			if sc := score(g, d); best == nil || sc < bestScore {
				best, bestN, bestScore = l, n, sc
			}
		}
		if best == nil {
			why := ""
			if refused != nil {
				why = fmt.Sprintf(" (the cost model refuses further removals: %v)", refused)
			}
			return sel, fmt.Errorf("pruner: the target %.4g ms is not reachable: nothing left to remove at %.4g ms%s", targetMS, sel.PredictedMS, why)
		}
		if err := sel.take(best, bestN, reg); err != nil {
			return Selected{}, err
		}
	}
	return sel, nil
}

// restRemoval merges l's groups from index from on into one group: removing
// what is left of the layer at s. Taking a sub-block away whole (no heads,
// no MLP) is a latency cliff a cost model predicts even where the widths on
// the way down lie below its grid. n is the number of groups merged and dMS
// the latency saved; ok is false unless that is more than one group, valid
// at s and predicted.
func (l *layer) restRemoval(s arch.Spec, from int, reg Regularizer) (g Group, n int, dMS float64, ok bool) {
	g = Group{Dim: l.dim, Block: l.block}
	for _, r := range l.groups[from:] {
		g.Units = append(g.Units, r.Units...)
		g.Saliency += r.Saliency
	}
	slices.Sort(g.Units)
	n = len(l.groups) - from
	if n < 2 || !removable(s, g) {
		return g, n, 0, false
	}
	dMS, err := reg.marginalMS(s, g)
	return g, n, dMS, err == nil
}

// take removes l's next n groups from sel, at once: the cost model is asked
// only about the architecture after all of them.
func (sel *Selected) take(l *layer, n int, reg Regularizer) error {
	taken := l.groups[l.next : l.next+n]
	k := 0
	for _, g := range taken {
		k += len(g.Units)
	}
	ns, err := costmodel.Removal{Dim: l.dim, Block: max(l.block, 0), K: k}.Apply(sel.Spec)
	if err != nil {
		return err
	}
	p, err := reg.Model.Latency(ns)
	if err != nil {
		return fmt.Errorf("pruner: cost model: %w", err)
	}
	sel.Spec, sel.PredictedMS = ns, p.TotalMS
	sel.Groups = append(sel.Groups, taken...)
	l.next += n
	return nil
}

// knapsack picks, per layer, how many groups to remove so that the sum of
// their latency savings (each layer's evaluated alone at the current
// architecture) reaches the latency to cut with the least saliency removed.
func knapsack(sel *Selected, layers []*layer, reg Regularizer, targetMS float64) error {
	need := sel.PredictedMS - targetMS
	const bins = 400
	type option struct {
		k      int
		lat    int // bins saved
		salSum float64
	}
	opts := make([][]option, len(layers))
	for i, l := range layers {
		opts[i] = []option{{0, 0, 0}}
		s := sel.Spec
		var lat, sal float64
		for k, g := range l.groups {
			if !removable(s, g) {
				break
			}
			d, err := reg.marginalMS(s, g)
			if err != nil {
				// Outside the cost model's range: the rest of the layer at once
				// is the one option left (see layer.restRemoval).
				if r, _, d, ok := l.restRemoval(s, k, reg); ok {
					b := int(math.Floor((lat + d) / need * bins))
					opts[i] = append(opts[i], option{len(l.groups), min(b, bins), sal + r.Saliency})
				}
				break
			}
			ns, err := costmodel.Removal{Dim: g.Dim, Block: max(g.Block, 0), K: len(g.Units)}.Apply(s)
			if err != nil {
				break
			}
			s = ns
			lat += d
			sal += g.Saliency
			b := int(math.Floor(lat / need * bins))
			opts[i] = append(opts[i], option{k + 1, min(b, bins), sal})
		}
	}
	// best[b]: least saliency reaching b bins with the layers so far.
	inf := math.Inf(1)
	best := make([]float64, bins+1)
	for b := range best {
		best[b] = inf
	}
	best[0] = 0
	choice := make([][]int, len(layers)) // choice[i][b]: option of layer i on the best path to bin b
	prev := make([][]int, len(layers))   // prev[i][b]: the bin before layer i on that path
	for i := range layers {
		next := make([]float64, bins+1)
		ch, pb := make([]int, bins+1), make([]int, bins+1)
		for b := range next {
			next[b] = inf
		}
		for b, v := range best {
			if v == inf {
				continue
			}
			for oi, o := range opts[i] {
				nb := min(bins, b+o.lat)
				if c := v + o.salSum; c < next[nb] {
					next[nb], ch[nb], pb[nb] = c, oi, b
				}
			}
		}
		choice[i], prev[i], best = ch, pb, next
	}
	// Reconstruct from the best reachable bin (the full cut if possible).
	b := bins
	for b > 0 && best[b] == inf {
		b--
	}
	counts := make([]int, len(layers))
	for i := len(layers) - 1; i >= 0; i-- {
		counts[i] = opts[i][choice[i][b]].k
		b = prev[i][b]
	}
	for i, l := range layers {
		if counts[i] == 0 {
			continue
		}
		// At once, as the options were priced: a layer's whole removal may
		// pass widths the cost model refuses.
		if err := sel.take(l, counts[i], reg); err != nil {
			// The combination left the cost model's range (layers interact
			// through EMB): take what still predicts; the greedy top-up continues.
			for range counts[i] {
				if !removable(sel.Spec, l.groups[l.next]) || sel.take(l, 1, reg) != nil {
					break
				}
			}
		}
	}
	return nil
}

// ParseGroupSizes reads group sizes written as dim=N pairs, e.g.
// "emb=16,heads=2,qk=8,v=8,mlp=16" (all five, N ≥ 1). An empty text is the
// zero GroupSizes, which Options read as ScaledGroupSizes of the model.
func ParseGroupSizes(text string) (GroupSizes, error) {
	var g GroupSizes
	if text == "" {
		return g, nil
	}
	for _, part := range strings.Split(text, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 1 {
			return g, &GroupSizesError{text, "want dim=N pairs with N ≥ 1, e.g. emb=16,heads=2,qk=8,v=8,mlp=16"}
		}
		switch strings.ToLower(k) {
		case "emb":
			g.EMB = n
		case "heads", "head":
			g.Heads = n
		case "qk":
			g.QK = n
		case "v":
			g.V = n
		case "mlp":
			g.MLP = n
		default:
			return g, &GroupSizesError{text, fmt.Sprintf("unknown dimension %q (want emb, heads, qk, v, mlp)", k)}
		}
	}
	if g.EMB == 0 || g.Heads == 0 || g.QK == 0 || g.V == 0 || g.MLP == 0 {
		return g, &GroupSizesError{text, "give all five of emb, heads, qk, v, mlp"}
	}
	return g, nil
}

// String describes g, e.g. "mlp[b2]×16" or "emb×4".
func (g Group) String() string {
	if g.Dim == arch.DimEMB {
		return fmt.Sprintf("emb×%d", len(g.Units))
	}
	return fmt.Sprintf("%s[b%d]×%d", g.Dim, g.Block, len(g.Units))
}
