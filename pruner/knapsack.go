package pruner

import (
	"math"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

// knapsackBins is the resolution of the knapsack: the latency to cut is
// counted in 400ths.
const knapsackBins = 400

// knapsackOption is removing the first k groups of a layer: the latency
// saved in bins of the latency to cut, and the saliency removed.
type knapsackOption struct {
	k      int
	lat    int
	salSum float64
}

// knapsack picks, per layer, how many groups to remove so that the sum of
// their latency savings (each layer's evaluated alone at the current
// architecture) reaches the latency to cut with the least saliency removed.
func (sel *Selected) knapsack(layers []*layer, reg Regularizer, targetMS float64) {
	need := sel.PredictedMS - targetMS
	opts := make([][]knapsackOption, len(layers))
	for i, l := range layers {
		opts[i] = l.knapsackOptions(sel.Spec, reg, need)
	}
	sel.takeCounts(layers, solveKnapsack(opts), reg)
}

// knapsackOptions prices removing none, one, two, ... of l's groups at s,
// as far as the cost model predicts (then the rest of the layer at once, if
// it predicts that).
func (l *layer) knapsackOptions(s arch.Spec, reg Regularizer, need float64) []knapsackOption {
	opts := []knapsackOption{{0, 0, 0}}
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
				b := int(math.Floor((lat + d) / need * knapsackBins))
				opts = append(opts, knapsackOption{len(l.groups), min(b, knapsackBins), sal + r.Saliency})
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
		b := int(math.Floor(lat / need * knapsackBins))
		opts = append(opts, knapsackOption{k + 1, min(b, knapsackBins), sal})
	}
	return opts
}

// solveKnapsack picks one option per layer reaching all the bins (or as
// many as any choice reaches) with the least saliency: a dynamic programme
// over the bins reached. It returns the groups to remove per layer.
func solveKnapsack(opts [][]knapsackOption) []int {
	// best[b]: least saliency reaching b bins with the layers so far.
	inf := math.Inf(1)
	best := make([]float64, knapsackBins+1)
	for b := range best {
		best[b] = inf
	}
	best[0] = 0
	choice := make([][]int, len(opts)) // choice[i][b]: option of layer i on the best path to bin b
	prev := make([][]int, len(opts))   // prev[i][b]: the bin before layer i on that path
	for i := range opts {
		next := make([]float64, knapsackBins+1)
		ch, pb := make([]int, knapsackBins+1), make([]int, knapsackBins+1)
		for b := range next {
			next[b] = inf
		}
		for b, v := range best {
			if v == inf {
				continue
			}
			for oi, o := range opts[i] {
				nb := min(knapsackBins, b+o.lat)
				if c := v + o.salSum; c < next[nb] {
					next[nb], ch[nb], pb[nb] = c, oi, b
				}
			}
		}
		choice[i], prev[i], best = ch, pb, next
	}
	// Reconstruct from the best reachable bin (the full cut if possible).
	b := knapsackBins
	for b > 0 && best[b] == inf {
		b--
	}
	counts := make([]int, len(opts))
	for i := len(opts) - 1; i >= 0; i-- {
		counts[i] = opts[i][choice[i][b]].k
		b = prev[i][b]
	}
	return counts
}

// takeCounts removes counts[i] groups of layer i from sel, each layer's at
// once, as the knapsack priced them: a layer's whole removal may pass widths
// the cost model refuses. Where the combination leaves the cost model's
// range (layers interact through EMB) it takes what still predicts; the
// greedy top-up continues from there.
func (sel *Selected) takeCounts(layers []*layer, counts []int, reg Regularizer) {
	for i, l := range layers {
		if counts[i] == 0 {
			continue
		}
		if err := sel.take(l, counts[i], reg); err != nil {
			for range counts[i] {
				if !removable(sel.Spec, l.groups[l.next]) || sel.take(l, 1, reg) != nil {
					break
				}
			}
		}
	}
}
