package profiler

import (
	"context"
	"fmt"
	"time"
)

// RunFunc executes a compiled graph once and returns when its result is
// available on the host (so the time includes the device's work).
type RunFunc func() error

// TimingOptions control how many executions a measurement takes.
type TimingOptions struct {
	Warmup  int // executions discarded before timing (compilation, autotuning, caches)
	Samples int // timed executions (per stack depth for differential timing)
	// NoiseThreshold is the relative spread (IQR / median) above which a
	// measurement is repeated, up to Retries times, and then flagged noisy.
	NoiseThreshold float64
	Retries        int

	// BeforeSample, when set, runs before each timed sample (pair), outside
	// the timing: the CPU device collects garbage there, so that Go's
	// collector does not pause inside a measurement.
	BeforeSample func()

	now func() time.Time // the clock; nil is time.Now (tests use a fake one)
}

// DefaultTiming is a sensible default for GPUs; CPU presets use fewer samples.
var DefaultTiming = TimingOptions{Warmup: 3, Samples: 15, NoiseThreshold: 0.05, Retries: 2}

// Validate reports impossible settings.
func (o TimingOptions) Validate() error {
	switch {
	case o.Warmup < 0:
		return fmt.Errorf("warm-up must not be negative, got %d", o.Warmup)
	case o.Samples < 1:
		return fmt.Errorf("need at least 1 sample, got %d", o.Samples)
	case o.NoiseThreshold <= 0:
		return fmt.Errorf("noise threshold must be positive, got %g", o.NoiseThreshold)
	case o.Retries < 0:
		return fmt.Errorf("retries must not be negative, got %d", o.Retries)
	}
	return nil
}

// Timing is the result of one measurement.
type Timing struct {
	Summary         // per unit (per block, per model), ms
	Noisy   bool    // still above the noise threshold after the retries
	Tries   int     // measurement rounds taken (1 + retries used)
	Wall    Summary // wall time of one execution of the deepest graph, ms
}

// TimeDirect times run as a whole: each sample is one execution, host
// dispatch included.
func TimeDirect(ctx context.Context, run RunFunc, opts TimingOptions) (Timing, error) {
	return timeRounds(ctx, opts, func() ([]float64, []float64, error) {
		xs := make([]float64, 0, opts.Samples)
		for range opts.Samples {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			if opts.BeforeSample != nil {
				opts.BeforeSample()
			}
			ms, err := opts.timeOnce(run)
			if err != nil {
				return nil, nil, err
			}
			xs = append(xs, ms)
		}
		return xs, xs, nil
	}, run, nil)
}

// TimeDifferential separates device time from dispatch overhead: low and
// high run the same unit stacked lowDepth and highDepth times (each copy with
// its own weights), and each sample is (T(high) − T(low)) / (highDepth −
// lowDepth) from an adjacent pair of executions, so drift hits both alike.
func TimeDifferential(ctx context.Context, low, high RunFunc, lowDepth, highDepth int, opts TimingOptions) (Timing, error) {
	if highDepth <= lowDepth || lowDepth < 0 {
		return Timing{}, fmt.Errorf("differential timing needs 0 <= low depth < high depth, got %d and %d", lowDepth, highDepth)
	}
	span := float64(highDepth - lowDepth)
	return timeRounds(ctx, opts, func() ([]float64, []float64, error) {
		xs := make([]float64, 0, opts.Samples)
		walls := make([]float64, 0, opts.Samples)
		for i := range opts.Samples {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			if opts.BeforeSample != nil {
				opts.BeforeSample()
			}
			var tl, th float64
			var err error
			if i%2 == 0 { // alternate the order so neither depth always runs first
				if tl, err = opts.timeOnce(low); err == nil {
					th, err = opts.timeOnce(high)
				}
			} else {
				if th, err = opts.timeOnce(high); err == nil {
					tl, err = opts.timeOnce(low)
				}
			}
			if err != nil {
				return nil, nil, err
			}
			xs = append(xs, (th-tl)/span)
			walls = append(walls, th)
		}
		return xs, walls, nil
	}, low, high)
}

// timeRounds warms up, measures, and re-measures while the result is noisy.
func timeRounds(ctx context.Context, opts TimingOptions, round func() ([]float64, []float64, error), warm ...RunFunc) (Timing, error) {
	if err := opts.Validate(); err != nil {
		return Timing{}, err
	}
	for _, w := range warm {
		if w == nil {
			continue
		}
		for range opts.Warmup {
			if err := ctx.Err(); err != nil {
				return Timing{}, err
			}
			if err := w(); err != nil {
				return Timing{}, err
			}
		}
	}
	var best Timing
	for try := 1; try <= 1+opts.Retries; try++ {
		xs, walls, err := round()
		if err != nil {
			return Timing{}, err
		}
		t := Timing{Summary: Summarize(xs), Wall: Summarize(walls), Tries: try}
		t.Noisy = t.RelSpread() > opts.NoiseThreshold
		if try == 1 || t.RelSpread() < best.RelSpread() {
			best = t
		}
		best.Tries = try
		if !best.Noisy {
			break
		}
	}
	return best, nil
}

func (o TimingOptions) timeOnce(run RunFunc) (float64, error) {
	now := o.now
	if now == nil {
		now = time.Now
	}
	start := now()
	if err := run(); err != nil {
		return 0, err
	}
	return float64(now().Sub(start).Nanoseconds()) / 1e6, nil
}
