package prunemnist

import (
	"context"
	"fmt"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
)

// compare evaluates the dense and pruned models on the test set, predicts
// their latency and measures it side by side.
func (d *demo) compare(ctx context.Context, dense *pruner.Weights, pruned map[string]*pruner.Result) error {
	t0 := time.Now()
	models := []Model{{Name: "dense", spec: dense.Spec, weights: dense}}
	for _, r := range runs {
		models = append(models, Model{Name: r.name, spec: pruned[r.name].Weights.Spec, weights: pruned[r.name].Weights})
	}
	for i := range models {
		m := &models[i]
		ev, err := pruner.Evaluate(ctx, d.dev.Backend, m.weights, d.test, 500)
		if err != nil {
			return err
		}
		p, err := d.model.Latency(m.spec)
		if err != nil {
			return err
		}
		m.Dim, m.Params, m.MACs, m.Accuracy, m.PredictedMS = m.spec.Dim(), m.spec.Params(), m.spec.MACs(), ev.Accuracy, p.TotalMS
		d.opt.Logf("%s: %s, top-1 %.2f%%, predicted %.4g ms", m.Name, dimLine(m.spec), 100*m.Accuracy, m.PredictedMS)
	}
	if err := d.measuring(func() error { return d.measure(ctx, models) }); err != nil {
		return err
	}
	for i := range models {
		models[i].PredSpeedup = models[0].PredictedMS / models[i].PredictedMS
		models[i].MeasSpeedup = models[0].MeasuredMS / models[i].MeasuredMS
	}
	d.sum.Models = models
	d.sum.MeasureS = time.Since(t0).Seconds()
	return nil
}

// measureRounds is how often every model is measured; the rounds
// interleave the models, so a slow spell is shared out, and the mean is kept.
const measureRounds = 2

// measure times every model as a whole (differential: one and two copies
// per execution).
func (d *demo) measure(ctx context.Context, models []Model) error {
	h := d.header(15)
	h.Method.Warmup = 2
	m, err := profiler.NewGoMLXMeasurer(d.dev, h)
	if err != nil {
		return err
	}
	for round := range measureRounds {
		for i := range models {
			dim := models[i].spec.Dim()
			row, err := measureOne(ctx, m, tablefmt.Row{Kind: tablefmt.KindModel, Name: models[i].Name, EMB: dim.EMB, Dim: &dim})
			if err != nil {
				return fmt.Errorf("measure %s: %w", models[i].Name, err)
			}
			models[i].MeasuredMS += row.MedianMS / measureRounds
			models[i].SpreadMS = max(models[i].SpreadMS, row.SpreadMS)
			if round == measureRounds-1 {
				d.opt.Logf("%s: measured %.4g ms per batch of %d (predicted %.4g)", models[i].Name, models[i].MeasuredMS, h.Batch, models[i].PredictedMS)
			}
		}
	}
	return nil
}

// measureOne compiles and times one configuration.
func measureOne(ctx context.Context, m profiler.Measurer, r tablefmt.Row) (tablefmt.Row, error) {
	p, err := m.Prepare(ctx, r)
	if err != nil {
		return tablefmt.Row{}, err
	}
	defer p.Close()
	return p.Time(ctx)
}
