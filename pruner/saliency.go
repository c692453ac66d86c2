package pruner

import (
	stdctx "context"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// SaliencyOptions configure Saliency.
type SaliencyOptions struct {
	Batches   int     // mini-batches to average over (default 8)
	BatchSize int     // images per batch (default 64)
	EMA       float64 // smoothing of the per-batch values (default 0.9): I ← EMA·I + (1−EMA)·I_batch, bias-corrected
	Seed      uint64  // batch order
}

func (o *SaliencyOptions) defaults() error {
	if o.Batches == 0 {
		o.Batches = 8
	}
	if o.BatchSize == 0 {
		o.BatchSize = 64
	}
	if o.EMA == 0 {
		o.EMA = 0.9
	}
	if o.Batches < 1 || o.BatchSize < 1 || o.EMA < 0 || o.EMA >= 1 {
		return fmt.Errorf("saliency: want batches and batch size ≥ 1 and 0 ≤ EMA < 1, got %d, %d, %g", o.Batches, o.BatchSize, o.EMA)
	}
	return nil
}

// Saliency is NViT's Hessian-aware importance of every prunable unit of w:
// for a unit S and a mini-batch, I_S = (Σ_{s∈S} w_s·∂L/∂w_s)², L the
// cross-entropy on the batch, summed over the parameters S owns (see
// roles), then averaged over the n batches with a bias-corrected
// exponential moving average: I ← a·I + (1−a)·I_batch from I = 0, divided by
// 1 − aⁿ at the end, so batch k of n weighs (1−a)·aⁿ⁻ᵏ/(1−aⁿ) and the
// weights sum to 1 (seeding I with the first batch instead would give that
// batch aⁿ⁻¹, ~48% for 8 batches at a = 0.9). Σ w·∂L/∂w over a unit is the
// derivative of the loss when the unit's parameters are scaled together, so
// its square is the Fisher (Gauss–Newton) estimate of the loss increase when
// the unit is removed.
func Saliency(ctx stdctx.Context, backend backends.Backend, w *Weights, data *Dataset, opt SaliencyOptions) (*PerUnit, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if err := checkData(w, data); err != nil {
		return nil, err
	}
	exec, err := gradExec(backend, w)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	layout := blocks.Layout(w.Spec)
	batches := NewBatches(data, opt.BatchSize, opt.Seed)
	ema := NewPerUnit(w.Spec)
	prod := make(map[string][]float32, len(layout))
	for range opt.Batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		images, labels := data.Batch(batches.Next())
		out, err := exec.Exec(images, labels)
		if err != nil {
			return nil, fmt.Errorf("saliency: %w", err)
		}
		for j, v := range layout {
			g := tensors.MustCopyFlatData[float32](out[1+j])
			wv := w.Values[v.Path()]
			for k := range g {
				g[k] *= wv[k]
			}
			prod[v.Path()] = g
		}
		sums := unitSums(w.Spec, prod)
		sums.each(func(_ arch.Dimension, _ int, v []float64) {
			for k := range v {
				v[k] *= v[k]
			}
		})
		ema.blend(sums, opt.EMA)
	}
	ema.scale(1 / (1 - math.Pow(opt.EMA, float64(opt.Batches))))
	return ema, nil
}

// blend sets p ← a·p + (1−a)·q.
func (p *PerUnit) blend(q *PerUnit, a float64) {
	var qs [][]float64
	q.each(func(_ arch.Dimension, _ int, v []float64) { qs = append(qs, v) })
	i := 0
	p.each(func(_ arch.Dimension, _ int, v []float64) {
		for k := range v {
			v[k] = a*v[k] + (1-a)*qs[i][k]
		}
		i++
	})
}

// scale multiplies every value of p by f.
func (p *PerUnit) scale(f float64) {
	p.each(func(_ arch.Dimension, _ int, v []float64) {
		for k := range v {
			v[k] *= f
		}
	})
}

// gradExec compiles the loss and its gradient with respect to every
// variable of w's layout, in layout order: outputs [loss, ∂L/∂var...].
func gradExec(backend backends.Backend, w *Weights) (*context.Exec, error) {
	gctx, err := w.Context()
	if err != nil {
		return nil, err
	}
	spec := w.Spec.Clone()
	layout := blocks.Layout(spec)
	return context.NewExec(backend, gctx.Reuse(), func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		loss := crossEntropy(blocks.Model(ctx, images, spec), labels)
		params := make([]*graph.Node, len(layout))
		for j, v := range layout {
			scope, name := varScope(v.Path())
			params[j] = ctx.GetVariableByScopeAndName(scope, name).ValueGraph(images.Graph())
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, params...)...)
	})
}
