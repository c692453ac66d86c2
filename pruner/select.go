package pruner

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

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
	sc := newScorer(s, layers, reg, method)
	if method == SelectKnapsack {
		sel.knapsack(layers, reg, targetMS)
	}
	err = sel.greedy(layers, sc, targetMS)
	return sel, err
}

// scorer is the score of a step's groups: Regularizer's, with the
// normalisers Ī and ΔLat̄ taken at the start of the step.
type scorer struct {
	reg              Regularizer
	method           Selection
	salMean, latMean float64
}

// newScorer takes the normalisers at s: the mean saliency of all groups,
// and the mean latency saved by the first group of every layer the cost
// model can price.
func newScorer(s arch.Spec, layers []*layer, reg Regularizer, method Selection) scorer {
	var salSum float64
	var nGroups int
	for _, l := range layers {
		for _, g := range l.groups {
			salSum += g.Saliency
			nGroups++
		}
	}
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
	return scorer{reg: reg, method: method, salMean: salSum / float64(max(nGroups, 1)), latMean: latSum / float64(max(nLat, 1))}
}

// score is g's score when removing it saves dMS: the lower, the sooner it goes.
func (sc scorer) score(g Group, dMS float64) float64 {
	reg := sc.reg
	if reg.Raw {
		return g.Saliency - reg.Eta*dMS/1000
	}
	si := 0.0
	if sc.salMean > 0 {
		si = g.Saliency / sc.salMean
	}
	li := 0.0
	if sc.latMean > 0 {
		li = dMS / sc.latMean
	}
	if sc.method == SelectRatio {
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

// greedy removes the lowest-scored next group of any layer, re-pricing at
// every removal, until sel's predicted latency is at most targetMS. With
// nothing left to remove it returns sel as far as it got and an error; a
// removal the cost model fails to predict clears sel.
func (sel *Selected) greedy(layers []*layer, sc scorer, targetMS float64) error {
	var refused error // the last removal the cost model could not predict
	for sel.PredictedMS > targetMS {
		best, n, why := sc.best(sel.Spec, layers)
		if why != nil {
			refused = why
		}
		if best == nil {
			why := ""
			if refused != nil {
				why = fmt.Sprintf(" (the cost model refuses further removals: %v)", refused)
			}
			return fmt.Errorf("pruner: the target %.4g ms is not reachable: nothing left to remove at %.4g ms%s", targetMS, sel.PredictedMS, why)
		}
		if err := sel.take(best, n, sc.reg); err != nil {
			*sel = Selected{}
			return err
		}
	}
	return nil
}

// best is the layer whose next removal at s scores lowest, and how many of
// its groups that removal takes (one, or the rest of the layer where the
// cost model cannot price one); nil if none can go. refused is the last
// removal the cost model could not predict.
func (sc scorer) best(s arch.Spec, layers []*layer) (best *layer, n int, refused error) {
	bestScore := math.Inf(1)
	for _, l := range layers {
		if l.next >= len(l.groups) {
			continue
		}
		g, k := l.groups[l.next], 1
		if !removable(s, g) {
			continue
		}
		d, err := sc.reg.marginalMS(s, g)
		if err != nil {
			// Outside the cost model's range (a width below its grid):
			// what is left of the layer can still go at once.
			refused = err
			var ok bool
			if g, k, d, ok = l.restRemoval(s, l.next, sc.reg); !ok {
				continue
			}
		}
		if v := sc.score(g, d); best == nil || v < bestScore {
			best, n, bestScore = l, k, v
		}
	}
	return best, n, refused
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
