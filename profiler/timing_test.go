package profiler

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
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
