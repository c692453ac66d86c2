package prunemnist

import (
	"errors"
	"fmt"
	"io"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
)

// Spec is the demo's dense model: 28×28 MNIST digits in four 14×14 patches,
// EMB 64, four blocks of four heads of 16, MLP 128.
var Spec = arch.Spec{Name: "mnist-vit", Image: 28, Patch: 14, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 64,
	Blocks: arch.Uniform(4, arch.Block{Heads: 4, QK: 16, V: 16, MLP: 128})}

// Grid spans Spec's dimensions for the cost model: small blocks at 5 tokens
// compile and run fast.
var Grid = profiler.Grid{EMB: []int{16, 24, 32, 40, 48, 56, 64}, Heads: []int{1, 2, 3, 4}, QK: []int{2, 4, 8, 12, 16},
	V: []int{2, 4, 8, 12, 16}, MLP: []int{8, 16, 32, 48, 64, 80, 96, 112, 128}, Decomposed: true, Validation: 8}

// Options configure Run. Zero fields take DefaultOptions' values, except the
// hooks, which are optional.
type Options struct {
	Out           string  // output directory (required)
	Target        float64 // predicted latency to reach, a fraction of the dense model's, in (0, 1]
	Eta           float64 // latency weight of the latency-aware run
	TrainSteps    int     // training steps of the dense model
	FineTuneSteps int     // fine-tuning steps after each pruning step
	FinalSteps    int     // fine-tuning steps after the last pruning step
	Distill       bool    // fine-tune with KL distillation to the dense model
	Batch         int     // images per execution when measuring latency
	Version       string  // recorded in the table's header
	// Threads are the threads measuring on the CPU (profiler.WithThreads);
	// nil leaves GOMAXPROCS as it is. Training and fine-tuning use every core.
	Threads *int

	// Logf receives the demo's progress lines; nil discards them.
	Logf func(format string, args ...any)
	// SweepLog receives the sweep's report; SweepProgress follows each pass
	// (profiler.RunOptions). Nil discards them.
	SweepLog      io.Writer
	SweepProgress func(label string, total int) profiler.Progress
	// TrainProgress follows the dense model's training (pruner.TrainOptions).
	TrainProgress func(step, steps int, loss float64)
	// Pruned, when set, is called with each finished pruning run's
	// directory, the cost model's table header and the number of test
	// images each step was scored on (the command line draws the run's
	// trajectory figure there).
	Pruned func(dir string, h tablefmt.Header, evalImages int) error
}

// DefaultOptions are the demo's defaults: half the dense model's predicted
// latency, 900 training steps, 100 fine-tuning steps after each of the 5
// pruning steps and 400 after the last, batch 64.
var DefaultOptions = Options{Target: 0.5, Eta: pruner.DefaultEta, TrainSteps: 900, FineTuneSteps: 100, FinalSteps: 400, Batch: 64}

// ErrTarget is the error of a target outside (0, 1].
var ErrTarget = errors.New("prunemnist: the target must be a fraction in (0, 1]")

// withDefaults fills o's zero fields and checks them.
func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions
	if o.Out == "" {
		return o, errors.New("prunemnist: no output directory")
	}
	if o.Target == 0 {
		o.Target = d.Target
	}
	if o.Target < 0 || o.Target > 1 {
		return o, fmt.Errorf("%w, got %g", ErrTarget, o.Target)
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&o.TrainSteps, d.TrainSteps}, {&o.FineTuneSteps, d.FineTuneSteps}, {&o.FinalSteps, d.FinalSteps}, {&o.Batch, d.Batch}} {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < 0 {
			return o, fmt.Errorf("prunemnist: steps and batch must not be negative, got %d", *f.v)
		}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.SweepLog == nil {
		o.SweepLog = io.Discard
	}
	return o, nil
}
