package profiler

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// fakeClock is a clock that only moves when a fake execution runs, so the
// tests check the arithmetic, not the machine's timer.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// run returns a RunFunc that takes the durations in turn (cycling).
func (c *fakeClock) run(ds ...time.Duration) RunFunc {
	i := 0
	return func() error {
		c.t = c.t.Add(ds[i%len(ds)])
		i++
		return nil
	}
}

func TestDifferentialCancelsSharedOverhead(t *testing.T) {
	c := &fakeClock{}
	const overhead, perUnit = 6 * time.Millisecond, 2 * time.Millisecond
	low := c.run(overhead + 1*perUnit)
	high := c.run(overhead+5*perUnit, overhead+5*perUnit+400*time.Microsecond) // a little jitter
	opts := TimingOptions{Warmup: 1, Samples: 6, NoiseThreshold: 0.5, now: c.now}
	tm, err := TimeDifferential(t.Context(), low, high, 1, 5, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Per unit: (16 - 8)/4 = 2 ms, or (16.4 - 8)/4 = 2.1 ms; half the samples each.
	if math.Abs(tm.Median-2.05) > 1e-9 || math.Abs(tm.Q1-2.0) > 1e-9 || math.Abs(tm.Q3-2.1) > 1e-9 {
		t.Errorf("per-unit summary %+v, want median 2.05, quartiles 2.0 and 2.1", tm.Summary)
	}
	if tm.Wall.Median != 16.2 {
		t.Errorf("wall median of the deep graph %.3f ms, want 16.2", tm.Wall.Median)
	}
}

func TestTimingStopsOnCancelAndErrors(t *testing.T) {
	c := &fakeClock{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TimeDirect(ctx, c.run(time.Millisecond), DefaultTiming); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
	boom := errors.New("boom")
	if _, err := TimeDirect(context.Background(), func() error { return boom }, DefaultTiming); !errors.Is(err, boom) {
		t.Errorf("run error: err = %v", err)
	}
	if _, err := TimeDifferential(context.Background(), c.run(0), c.run(0), 3, 3, DefaultTiming); err == nil {
		t.Error("equal depths accepted")
	}
	if _, err := TimeDirect(context.Background(), c.run(0), TimingOptions{Samples: 0, NoiseThreshold: 1}); err == nil {
		t.Error("zero samples accepted")
	}
}

func TestNoisyMeasurementsAreRetriedAndFlagged(t *testing.T) {
	c := &fakeClock{}
	jittery := c.run(time.Millisecond, 8*time.Millisecond) // hopelessly noisy
	tm, err := TimeDirect(context.Background(), jittery, TimingOptions{Samples: 4, NoiseThreshold: 0.05, Retries: 2, now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if !tm.Noisy || tm.Tries != 3 {
		t.Errorf("noisy=%v after %d tries, want flagged after 3", tm.Noisy, tm.Tries)
	}
	steady := c.run(3 * time.Millisecond)
	tm, err = TimeDirect(context.Background(), steady, TimingOptions{Samples: 4, NoiseThreshold: 0.05, Retries: 2, now: c.now})
	if err != nil || tm.Noisy || tm.Tries != 1 || tm.Median != 3 {
		t.Errorf("steady: %+v, %v; want 3 ms after one try", tm, err)
	}
}

func TestBeforeSampleRunsOutsideTheTiming(t *testing.T) {
	c := &fakeClock{}
	calls := 0
	opts := TimingOptions{Samples: 4, NoiseThreshold: 1, now: c.now,
		BeforeSample: func() { calls++; c.t = c.t.Add(time.Second) }} // a slow hook must not count
	tm, err := TimeDifferential(t.Context(), c.run(time.Millisecond), c.run(3*time.Millisecond), 1, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 4 || tm.Median != 1 {
		t.Errorf("hook ran %d times, per-unit median %v ms; want 4 and 1", calls, tm.Median)
	}
}

func TestMinEstimatorTakesTheFloorOfEachDepth(t *testing.T) {
	c := &fakeClock{}
	ms := time.Millisecond
	// Other tenants add time to some executions, never take it away.
	low := c.run(10*ms, 15*ms, 10*ms+100*time.Microsecond, 13*ms)
	high := c.run(31*ms, 30*ms, 45*ms, 30*ms+200*time.Microsecond)
	opts := TimingOptions{Samples: 4, NoiseThreshold: 0.05, Estimator: "min", now: c.now}
	tm, err := TimeDifferential(t.Context(), low, high, 1, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	// (30 - 10) / 2 = 10 ms; the gap to the second-fastest: (0.1 + 0.2) / 2.
	if math.Abs(tm.Estimate-10) > 1e-9 || math.Abs(tm.Gap-0.15) > 1e-9 || tm.Noisy || tm.Tries != 1 {
		t.Errorf("estimate %v ms, gap %v, noisy %v after %d tries; want 10, 0.15, quiet after 1", tm.Estimate, tm.Gap, tm.Noisy, tm.Tries)
	}
	if math.Abs(tm.Floors[0]-10) > 1e-9 || math.Abs(tm.Floors[1]-30) > 1e-9 {
		t.Errorf("floors %v ms, want 10 and 30", tm.Floors)
	}
	// The pair differences' median is what the median estimator would say.
	opts.Estimator = "median"
	c2 := &fakeClock{}
	low, high = c2.run(10*ms, 15*ms, 10*ms+100*time.Microsecond, 13*ms), c2.run(31*ms, 30*ms, 45*ms, 30*ms+200*time.Microsecond)
	opts.now = c2.now
	if tm, err = TimeDifferential(t.Context(), low, high, 1, 3, opts); err != nil || tm.Estimate != tm.Median {
		t.Errorf("median estimator: estimate %v, median %v, %v", tm.Estimate, tm.Median, err)
	}
}

func TestMinEstimatorPoolsRetriesUntilTheFloorIsConfirmed(t *testing.T) {
	c := &fakeClock{}
	ms := time.Millisecond
	// Round 1 (2 samples) never sees the floor twice: 8 and 12 ms; round 2
	// sees 5 and 5.1 ms. Pooled, the floor is 5 with a gap of 0.1.
	run := c.run(8*ms, 12*ms, 5*ms, 5*ms+100*time.Microsecond)
	tm, err := TimeDirect(t.Context(), run, TimingOptions{Samples: 2, NoiseThreshold: 0.05, Retries: 3, Estimator: "min", now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if tm.Tries != 2 || tm.Noisy || math.Abs(tm.Estimate-5) > 1e-9 || tm.N != 4 {
		t.Errorf("after %d tries: estimate %v, noisy %v, %d samples; want 5 ms from 4 samples after 2 tries", tm.Tries, tm.Estimate, tm.Noisy, tm.N)
	}
	// A floor never seen twice within the threshold stays flagged.
	c = &fakeClock{}
	tm, err = TimeDirect(t.Context(), c.run(5*ms, 9*ms), TimingOptions{Samples: 1, NoiseThreshold: 0.05, Retries: 1, Estimator: "min", now: c.now})
	if err != nil || !tm.Noisy || tm.Estimate != 5 {
		t.Errorf("unconfirmed floor: %+v, %v; want 5 ms flagged noisy", tm, err)
	}
	if err := (TimingOptions{Samples: 1, NoiseThreshold: 1, Estimator: "mean"}).Validate(); err == nil {
		t.Error("unknown estimator accepted")
	}
}

// scriptGate answers Fast from a script, then true.
type scriptGate struct{ answers []bool }

func (g *scriptGate) Fast() bool {
	if len(g.answers) == 0 {
		return true
	}
	a := g.answers[0]
	g.answers = g.answers[1:]
	return a
}

// With a gate, a sample counts only when the machine ran at full speed
// before and after it; when it never did, the slow samples are the best
// there is. Hand-made: the low depth takes 1 ms, the high 3 ms at full
// speed and 6 ms when slow (a fake clock).
func TestGateKeepsFullSpeedSamples(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []bool // before, after, for each sample taken
		high    []float64
		want    float64 // min estimate: (min high − min low) / 2
		samples int
	}{
		// Sample 1 slow after, sample 2 slow before, samples 3 and 4 at full speed.
		{"two of four", []bool{true, false, false, true, true, true, true, true}, []float64{6, 6, 3, 3}, 1, 2},
		{"never at full speed", []bool{false, false, false, false, false, false, false, false}, []float64{6, 6, 6, 6}, 2.5, GateTries * 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var clock time.Time
			var n int
			opts := TimingOptions{Samples: 2, NoiseThreshold: 10, Estimator: tablefmt.EstimatorMin, Gate: &scriptGate{answers: tc.answers}}
			opts.now = func() time.Time { return clock }
			low := func() error { clock = clock.Add(time.Millisecond); return nil }
			high := func() error {
				clock = clock.Add(time.Duration(tc.high[min(n, len(tc.high)-1)] * float64(time.Millisecond)))
				n++
				return nil
			}
			got, err := TimeDifferential(t.Context(), low, high, 1, 3, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Estimate != tc.want || got.N != tc.samples {
				t.Errorf("estimate %v ms from %d samples; want %v from %d", got.Estimate, got.N, tc.want, tc.samples)
			}
		})
	}
}
