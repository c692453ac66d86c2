package profiler

import (
	"cmp"
	"context"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// MeasureOptions say how MeasureModel times a model. Numbers left nil and
// strings left empty take their defaults.
type MeasureOptions struct {
	// Device is "cpu" (also when empty) or "cuda:N"; Plugin an explicit
	// CUDA PJRT plugin path.
	Device, Plugin string
	// Batch is the images per execution; nil: 1.
	Batch *int
	// DType is float32, bfloat16 or float16; empty: DefaultDType.
	DType string
	// Warmup is the untimed executions first and Samples the timed ones
	// (pairs, for device time); nil: 2 and 10.
	Warmup, Samples *int
	// Estimator is "median" or "min" (the floor); empty: DefaultEstimator.
	Estimator string
	// Threads, on the CPU, is GOMAXPROCS while measuring (WithThreads);
	// nil leaves it as it is.
	Threads *int
	// Clock times the device time: "wall" or "cpu" (one thread on the CPU
	// only); empty: DefaultClock. The wall time is always the wall clock's.
	Clock string
}

// ModelMeasurement is a model's forward pass timed on a device.
type ModelMeasurement struct {
	Device   string // as opened: "cpu", "cuda:0"
	Hardware string // the CPU's or GPU's name
	DType    string
	Timing   ModelTiming
}

// MeasureModel times the forward pass of s on a device two ways: one
// execution as the host sees it, and device time from differential stacking
// of one and two copies of the model (GoMLXMeasurer.MeasureModel). Options
// that cannot be used are an *OptionError, found before the device opens.
func MeasureModel(ctx context.Context, s arch.Spec, opts MeasureOptions) (ModelMeasurement, error) {
	kind, _, err := ParseDevice(cmp.Or(opts.Device, KindCPU))
	if err != nil {
		return ModelMeasurement{}, optionError("device", err)
	}
	batch, timing, err := measureSettings(opts, kind)
	if err != nil {
		return ModelMeasurement{}, err
	}
	dtype := strings.ToLower(cmp.Or(opts.DType, DefaultDType(kind)))
	if _, err := ParseDType(dtype); err != nil {
		return ModelMeasurement{}, optionError("dtype", err)
	}
	var res ModelMeasurement
	measure := func() error {
		dev, err := OpenDevice(cmp.Or(opts.Device, KindCPU), DeviceOptions{Plugin: opts.Plugin})
		if err != nil {
			return err
		}
		defer dev.Close()
		m, err := NewGoMLXMeasurer(dev, ModelHeader(dev, s, batch, dtype, timing))
		if err != nil {
			return err
		}
		t, err := m.MeasureModel(ctx, s)
		res = ModelMeasurement{Device: dev.Name, Hardware: dev.Hardware, DType: dtype, Timing: t}
		return err
	}
	if kind == KindCPU && opts.Threads != nil {
		return res, WithThreads(*opts.Threads, measure)
	}
	return res, measure()
}

// measureSettings are the batch and timing opts give on a device of kind.
func measureSettings(opts MeasureOptions, kind string) (int, TimingOptions, error) {
	batch := 1
	t := TimingOptions{Warmup: 2, Samples: 10, NoiseThreshold: DefaultNoise, Estimator: DefaultEstimator(kind)}
	if opts.Batch != nil {
		if batch = *opts.Batch; batch < 1 {
			return 0, t, optionErrorf("batch", "must be positive, got %d", batch)
		}
	}
	if opts.Warmup != nil {
		if t.Warmup = *opts.Warmup; t.Warmup < 0 {
			return 0, t, optionErrorf("warmup", "must not be negative, got %d", t.Warmup)
		}
	}
	if opts.Samples != nil {
		if t.Samples = *opts.Samples; t.Samples < 1 {
			return 0, t, optionErrorf("samples", "must be positive, got %d", t.Samples)
		}
	}
	if opts.Estimator != "" {
		switch t.Estimator = strings.ToLower(opts.Estimator); t.Estimator {
		case tablefmt.EstimatorMedian, tablefmt.EstimatorMin:
		default:
			return 0, t, optionErrorf("estimator", "unknown estimator %q: want median or min", opts.Estimator)
		}
	}
	if opts.Threads != nil {
		if err := checkThreads(*opts.Threads); err != nil {
			return 0, t, err
		}
	}
	var err error
	t.Clock, err = planClock(opts.Clock, kind, planThreads(opts.Threads))
	return batch, t, err
}
