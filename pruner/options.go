package pruner

import (
	"errors"
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

// Options configure a pruning run.
type Options struct {
	// Dir is the run directory: run.json, log.jsonl, the last checkpoint
	// and, at the end, pruned.safetensors and pruned.json.
	Dir string
	// Resume continues the run in Dir from its last completed step. Without
	// it a Dir that already holds a run is refused (ErrRunExists).
	Resume bool
	// Target is the predicted latency to reach, as a fraction of the dense
	// model's: the run stops once the prediction is ≤ Target × dense.
	Target float64
	// Steps is the number of pruning steps; step k cuts to
	// dense·(1 − (1−Target)·k/Steps), with fine-tuning after each.
	Steps int
	// Eta and RawEta set the regulariser (see Regularizer); Eta 0 is the
	// latency-blind baseline.
	Eta    float64
	RawEta bool
	// Selection is greedy (NViT) or knapsack (HALP).
	Selection Selection
	// Groups are the group sizes; zero means ScaledGroupSizes of the dense model.
	Groups GroupSizes
	// Saliency configures the saliency estimate of every step.
	Saliency SaliencyOptions
	// FineTune trains after every step, Final once more after the last.
	FineTune, Final TrainOptions
	// Distill adds KL distillation to the dense model during fine-tuning.
	Distill bool
	// Eval is the data every step is evaluated on (nil: no accuracy in the log).
	Eval      *Dataset
	EvalBatch int
	// Seed shifts the random streams of every step (saliency batches,
	// fine-tuning order): runs that differ only in Seed show how much of a
	// result is luck. 0 is the default streams.
	Seed uint64
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
}

// seedShift separates the streams of Options.Seed values: more than any
// step count, so that no two seeds share a step's stream.
const seedShift = 1 << 20

// DefaultOptions prunes to half the predicted latency in 5 steps.
var DefaultOptions = Options{
	Target: 0.5, Steps: 5, Eta: DefaultEta, Selection: SelectGreedy,
	Saliency:  SaliencyOptions{Batches: 8, BatchSize: 64, EMA: 0.9},
	FineTune:  TrainOptions{Steps: 60, BatchSize: 128, LR: 5e-4, MinLR: 1e-5, Warmup: 5, WeightDecay: 0.05, Seed: 2},
	Final:     TrainOptions{Steps: 150, BatchSize: 128, LR: 5e-4, MinLR: 1e-5, Warmup: 10, WeightDecay: 0.05, Seed: 3},
	EvalBatch: 500,
}

// complete checks o for a dense model s and fills the defaults: greedy
// selection, NViT's group sizes scaled to s, evaluation batches of 500.
func (o *Options) complete(s arch.Spec) error {
	if o.Target <= 0 || o.Target > 1 {
		return fmt.Errorf("pruner: target %g must be in (0, 1]: a fraction of the dense model's predicted latency", o.Target)
	}
	if o.Steps < 1 {
		return fmt.Errorf("pruner: steps must be at least 1, got %d", o.Steps)
	}
	if o.Selection == "" {
		o.Selection = SelectGreedy
	}
	if _, err := ParseSelection(string(o.Selection)); err != nil {
		return err
	}
	if o.Groups == (GroupSizes{}) {
		o.Groups = ScaledGroupSizes(s)
	}
	if err := o.Groups.Validate(); err != nil {
		return err
	}
	if o.Eta < 0 {
		return fmt.Errorf("pruner: eta must not be negative, got %g", o.Eta)
	}
	if o.EvalBatch <= 0 {
		o.EvalBatch = 500
	}
	if o.Dir == "" {
		return errors.New("pruner: no run directory")
	}
	return nil
}

// config is what run.json records of o: what a resumed run must agree on.
func (o *Options) config(s arch.Spec, denseMS float64, model costmodel.Predictor) runConfig {
	cfg := runConfig{Target: o.Target, Steps: o.Steps, Eta: o.Eta, RawEta: o.RawEta, Selection: string(o.Selection),
		Groups: o.Groups, Dense: s.Dim(), DenseMS: denseMS, Seed: o.Seed}
	if m, ok := model.(*costmodel.Model); ok {
		cfg.Model = string(m.Kind()) + " " + m.Source().Summary
	}
	return cfg
}
