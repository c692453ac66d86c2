package profiler

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// RunFunc executes a compiled graph once and returns when its result is
// available on the host (so the time includes the device's work).
type RunFunc func() error

// TimingOptions control how many executions a measurement takes.
type TimingOptions struct {
	Warmup  int // executions discarded before timing (compilation, autotuning, caches)
	Samples int // timed executions (per stack depth for differential timing)
	// NoiseThreshold is the relative uncertainty above which a measurement
	// is repeated, up to Retries times, and then flagged noisy: the spread
	// (IQR / median) under the median estimator, the floor's gap (see
	// Timing.Estimate) under the min estimator.
	NoiseThreshold float64
	Retries        int
	// Estimator is tablefmt.EstimatorMedian (also when empty) or
	// tablefmt.EstimatorMin.
	Estimator string

	// BeforeSample, when set, runs before each timed sample (pair), outside
	// the timing: the CPU device collects garbage there, so that Go's
	// collector does not pause inside a measurement.
	BeforeSample func()

	// Clock is tablefmt.ClockWall (also when empty) or tablefmt.ClockCPU,
	// the process's CPU clock (see DefaultClock).
	Clock string

	// Gate, when set, is asked before and after each sample (pair) whether
	// the machine ran at full speed; a sample during which it did not is
	// taken again, up to GateTries times the samples in all, and counts
	// only if no sample ran at full speed.
	Gate Gate

	now func() time.Time // the wall clock; nil is time.Now (tests use a fake one)
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
	case o.Estimator != "" && o.Estimator != tablefmt.EstimatorMedian && o.Estimator != tablefmt.EstimatorMin:
		return fmt.Errorf("unknown estimator %q: want %s or %s", o.Estimator, tablefmt.EstimatorMedian, tablefmt.EstimatorMin)
	case o.Clock != "" && o.Clock != tablefmt.ClockWall && o.Clock != tablefmt.ClockCPU:
		return fmt.Errorf("unknown clock %q: want %s or %s", o.Clock, tablefmt.ClockWall, tablefmt.ClockCPU)
	}
	return nil
}

// Timing is the result of one measurement.
type Timing struct {
	// Estimate is the latency per unit, ms. Under the median estimator it is
	// Summary.Median. Under the min estimator it is (min T(high) − min
	// T(low)) / (high − low) over the samples of every round, and Gap bounds
	// how far that floor may still be from the true one.
	Estimate float64
	// Gap is, under the min estimator, the distance from each depth's
	// fastest sample to its second fastest, summed and divided like the
	// estimate: an unconfirmed floor shows as a large gap.
	Gap float64
	// Floors are, under the min estimator, the fastest execution of the
	// low and the high stack depth, ms (the low one is 0 for direct timing).
	Floors  [2]float64
	Summary         // per unit (per block, per model) samples, ms
	Noisy   bool    // still above the noise threshold after the retries
	Tries   int     // measurement rounds taken (1 + retries used)
	Wall    Summary // wall time of one execution of the deepest graph, ms
}

// samples are one round's timings: per-unit values, and each depth's raw
// execution times (low is nil for direct timing).
type samples struct {
	perUnit, low, high []float64
}

// TimeDirect times run as a whole: each sample is one execution, host
// dispatch included.
func TimeDirect(ctx context.Context, run RunFunc, opts TimingOptions) (Timing, error) {
	return timeRounds(ctx, opts, 1, func() (samples, error) {
		xs := make([]float64, 0, opts.Samples)
		for range opts.Samples {
			if err := ctx.Err(); err != nil {
				return samples{}, err
			}
			if opts.BeforeSample != nil {
				opts.BeforeSample()
			}
			ms, err := opts.timeOnce(run)
			if err != nil {
				return samples{}, err
			}
			xs = append(xs, ms)
		}
		return samples{perUnit: xs, high: xs}, nil
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
	return timeRounds(ctx, opts, span, func() (samples, error) {
		var fast, slow samples
		for try := 0; len(fast.perUnit) < opts.Samples && try < opts.gateTries(); try++ {
			if err := ctx.Err(); err != nil {
				return samples{}, err
			}
			if opts.BeforeSample != nil {
				opts.BeforeSample()
			}
			full := opts.Gate == nil || opts.Gate.Fast()
			var tl, th float64
			var err error
			if try%2 == 0 { // alternate the order so neither depth always runs first
				if tl, err = opts.timeOnce(low); err == nil {
					th, err = opts.timeOnce(high)
				}
			} else {
				if th, err = opts.timeOnce(high); err == nil {
					tl, err = opts.timeOnce(low)
				}
			}
			if err != nil {
				return samples{}, err
			}
			into := &fast
			if opts.Gate != nil && !(full && opts.Gate.Fast()) {
				into = &slow // the machine slowed down before or after the pair
			}
			into.perUnit = append(into.perUnit, (th-tl)/span)
			into.low, into.high = append(into.low, tl), append(into.high, th)
		}
		if len(fast.perUnit) == 0 {
			return slow, nil // the machine never ran at full speed: the best there is
		}
		return fast, nil
	}, low, high)
}

// gateTries is how many samples a round may take to get Samples at full
// speed (GateTries times the samples with a Gate).
func (o TimingOptions) gateTries() int {
	if o.Gate == nil {
		return o.Samples
	}
	return GateTries * o.Samples
}

// GateTries bounds the samples a round takes with a SpeedGate, as a
// multiple of TimingOptions.Samples.
const GateTries = 4

// timeRounds warms up, measures, and re-measures while the result is noisy.
// The median estimator keeps the quietest round; the min estimator pools
// every round's executions, since more of them can only lower the floor.
func timeRounds(ctx context.Context, opts TimingOptions, span float64, round func() (samples, error), warm ...RunFunc) (Timing, error) {
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
	var pooled samples
	for try := 1; try <= 1+opts.Retries; try++ {
		s, err := round()
		if err != nil {
			return Timing{}, err
		}
		var t Timing
		if opts.Estimator == tablefmt.EstimatorMin {
			pooled.perUnit = append(pooled.perUnit, s.perUnit...)
			pooled.low = append(pooled.low, s.low...)
			pooled.high = append(pooled.high, s.high...)
			t = Timing{Summary: Summarize(pooled.perUnit), Wall: Summarize(pooled.high)}
			lowMin, lowGap := floor(pooled.low)
			highMin, highGap := floor(pooled.high)
			t.Estimate, t.Gap = (highMin-lowMin)/span, (lowGap+highGap)/span
			t.Floors = [2]float64{lowMin, highMin}
			// One execution per depth cannot confirm a floor.
			t.Noisy = len(pooled.high) < 2 || relative(t.Gap, t.Estimate) > opts.NoiseThreshold
			best = t
		} else {
			t = Timing{Summary: Summarize(s.perUnit), Wall: Summarize(s.high)}
			t.Estimate = t.Median
			t.Noisy = t.RelSpread() > opts.NoiseThreshold
			if try == 1 || t.RelSpread() < best.RelSpread() {
				best = t
			}
		}
		best.Tries = try
		if !best.Noisy {
			break
		}
	}
	return best, nil
}

// floor is the smallest of xs and its distance to the second smallest
// (0 with fewer than two values, or none).
func floor(xs []float64) (lowest, gap float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) > 1 {
		gap = s[1] - s[0]
	}
	return s[0], gap
}

// relative is |x / of|, or +Inf when of is not positive and x is.
func relative(x, of float64) float64 {
	if of <= 0 {
		if x == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return math.Abs(x / of)
}

func (o TimingOptions) timeOnce(run RunFunc) (float64, error) {
	if o.Clock == tablefmt.ClockCPU {
		if start, ok := cpuClock(); ok {
			if err := run(); err != nil {
				return 0, err
			}
			end, _ := cpuClock()
			return float64((end - start).Nanoseconds()) / 1e6, nil
		}
	}
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
