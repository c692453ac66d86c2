package prunemnist

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
)

// The pruning runs of the demo, in order; "blind" is the latency-blind
// baseline the others are compared with.
var runs = []struct {
	name  string
	sel   pruner.Selection
	aware bool // uses Options.Eta (else η = 0)
}{{"aware", pruner.SelectGreedy, true}, {"knapsack", pruner.SelectKnapsack, false}, {"blind", pruner.SelectGreedy, false}}

// demo is one Run in progress.
type demo struct {
	opt   Options
	sum   Summary
	dev   *profiler.Device
	train *pruner.Dataset
	test  *pruner.Dataset
	table tablefmt.Table
	model *costmodel.Model
}

// Run runs the demo into opt.Out (see the package documentation) and
// returns its summary, which it also writes there.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	start := time.Now()
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, fmt.Errorf("prunemnist: %w", err)
	}
	d := &demo{opt: opt, sum: Summary{Cores: runtime.GOMAXPROCS(0), Batch: opt.Batch, Target: opt.Target, Eta: opt.Eta}}
	d.dev, err = profiler.OpenDevice(profiler.KindCPU, profiler.DeviceOptions{})
	if err != nil {
		return nil, err
	}
	defer d.dev.Close()
	dense, err := d.denseModel(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.sweepAndFit(ctx); err != nil {
		return nil, err
	}
	pruned, err := d.prune(ctx, dense)
	if err != nil {
		return nil, err
	}
	if err := d.compare(ctx, dense, pruned); err != nil {
		return nil, err
	}
	if err := d.analyse(ctx, dense.Spec, pruned); err != nil {
		return nil, err
	}
	d.sum.TotalS = time.Since(start).Seconds()
	return &d.sum, d.sum.write(opt.Out)
}

// measuring runs fn with the measuring threads.
func (d *demo) measuring(fn func() error) error {
	if d.opt.Threads == nil {
		return fn()
	}
	return profiler.WithThreads(*d.opt.Threads, fn)
}

// denseModel loads the dense model from dense/, or trains it there.
func (d *demo) denseModel(ctx context.Context) (*pruner.Weights, error) {
	t0 := time.Now()
	defer func() { d.sum.TrainS = time.Since(t0).Seconds() }()
	var err error
	d.train, d.test, err = pruner.LoadData("mnist", Spec)
	if err != nil {
		return nil, err
	}
	d.sum.TestImages = d.test.Len()
	dir := filepath.Join(d.opt.Out, "dense")
	spec := Spec
	if w, err := pruner.LoadTimm(filepath.Join(dir, pruner.ModelWeights), &spec); err == nil {
		d.opt.Logf("using the dense model in %s", dir)
		return w, nil
	}
	d.opt.Logf("training %s (%s) on MNIST", Spec.Name, dimLine(Spec))
	topt := pruner.DefaultTrainOptions
	topt.Steps, topt.Warmup, topt.Progress = d.opt.TrainSteps, max(1, d.opt.TrainSteps/15), d.opt.TrainProgress
	tr, err := pruner.TrainModel(ctx, d.dev.Backend, Spec, 1, d.train, d.test, topt, dir)
	if err != nil {
		return nil, err
	}
	d.opt.Logf("dense: test top-1 %.2f%% after %d steps (%s)", 100*tr.Test.Accuracy, tr.Train.Steps, time.Since(t0).Round(time.Second))
	return tr.Weights, nil
}

// sweepAndFit measures Grid into cpu.jsonl (continuing what is there) and
// fits the hw model.
func (d *demo) sweepAndFit(ctx context.Context) error {
	t0 := time.Now()
	path := filepath.Join(d.opt.Out, "cpu.jsonl")
	configs := Grid.Configs()
	err := d.measuring(func() error {
		d.sum.Device, d.sum.Threads = d.dev.Hardware, runtime.GOMAXPROCS(0)
		h := d.header(2)
		m, err := profiler.NewGoMLXMeasurer(d.dev, h)
		if err != nil {
			return err
		}
		d.opt.Logf("sweeping %d configurations into %s in %d passes", len(configs), path, max(h.Method.Passes, 1))
		res, err := profiler.SweepTable(ctx, path, h, configs, []profiler.Measurer{m}, profiler.RunOptions{Resume: true,
			Log: d.opt.SweepLog, Progress: d.opt.SweepProgress, Again: "rerun the demo with the same output directory"})
		d.sum.Sweep = res
		return err
	})
	if err != nil {
		return err
	}
	d.sum.SweepRows, d.sum.SweepS = len(configs), time.Since(t0).Seconds()
	if d.table, _, err = tablefmt.ReadTable(path); err != nil {
		return err
	}
	d.model, err = costmodel.Fit(d.table, costmodel.FitOptions{Path: path, Format: "jsonl"})
	if err != nil {
		return err
	}
	d.sum.ModelSource = string(d.model.Kind()) + " model of " + path
	return nil
}

// header is the CPU table header of the demo's geometry with the sweep's
// CPU defaults and samples timed samples.
func (d *demo) header(samples int) tablefmt.Header {
	s := Spec
	def := profiler.SweepDefaults(profiler.KindCPU, d.opt.Batch)
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Runtime: "gomlx", DType: def.DType, Batch: def.Batch,
		Tokens: s.Tokens(), Image: s.Image, Patch: s.Patch, Channels: s.Channels, Classes: s.Classes,
		NVitProfVersion: d.opt.Version, Time: time.Now().UTC().Round(time.Second), Method: def.Method}
	h.Method.Samples = samples
	h.Host, _ = os.Hostname()
	d.dev.SetHeader(&h)
	h.Notes = append(h.Notes, "demo prune-mnist")
	return h
}

// prune runs (or continues) the three pruning runs and returns their
// results by name.
func (d *demo) prune(ctx context.Context, dense *pruner.Weights) (map[string]*pruner.Result, error) {
	t0 := time.Now()
	opt := pruner.DefaultOptions
	opt.Target = d.opt.Target
	opt.Eval = d.test.Head(2000)
	opt.FineTune.Steps, opt.Final.Steps, opt.Distill = d.opt.FineTuneSteps, d.opt.FinalSteps, d.opt.Distill
	opt.Logf = func(format string, args ...any) { d.opt.Logf("prune: "+format, args...) }
	out := map[string]*pruner.Result{}
	for _, r := range runs {
		o := opt
		o.Eta, o.Selection = 0, r.sel
		if r.aware {
			o.Eta = d.opt.Eta
		}
		o.Dir = filepath.Join(d.opt.Out, r.name)
		_, statErr := os.Stat(filepath.Join(o.Dir, pruner.RunFile))
		o.Resume = statErr == nil
		d.opt.Logf("pruning (%s selection, eta %g) into %s", o.Selection, o.Eta, o.Dir)
		run, err := pruner.NewRun(d.dev.Backend, dense, d.model, d.train, o)
		if err != nil {
			return nil, err
		}
		res, err := run.Run(ctx)
		if err != nil {
			return nil, fmt.Errorf("prune %s: %w", r.name, err)
		}
		if d.opt.Pruned != nil {
			if err := d.opt.Pruned(o.Dir, d.model.Header(), o.Eval.Len()); err != nil {
				return nil, err
			}
		}
		out[r.name] = res
	}
	d.sum.PruneS = time.Since(t0).Seconds()
	return out, nil
}
