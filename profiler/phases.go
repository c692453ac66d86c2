package profiler

import (
	"fmt"
	"sync"
	"time"
)

// Phases is where a measurer's time went: what a sweep's throughput is
// bound by (compilation, on XLA devices) and what to attack next.
type Phases struct {
	Compile time.Duration // building and compiling the stacked graphs
	Weights time.Duration // making and setting their weights
	Timing  time.Duration // warm-up and timed executions
}

// String reads like "compile 12.3 s, weights 0.412 s, timing 3.1 s".
func (p Phases) String() string {
	return fmt.Sprintf("compile %.3g s, weights %.3g s, timing %.3g s",
		p.Compile.Seconds(), p.Weights.Seconds(), p.Timing.Seconds())
}

// Add sums two Phases.
func (p Phases) Add(q Phases) Phases {
	return Phases{p.Compile + q.Compile, p.Weights + q.Weights, p.Timing + q.Timing}
}

// Sub is what p adds to an earlier reading q.
func (p Phases) Sub(q Phases) Phases {
	return Phases{p.Compile - q.Compile, p.Weights - q.Weights, p.Timing - q.Timing}
}

// Per divides every phase by n (configurations).
func (p Phases) Per(n int) Phases {
	d := time.Duration(n)
	return Phases{p.Compile / d, p.Weights / d, p.Timing / d}
}

// phaseClock accumulates Phases from the preparing and timing goroutines.
type phaseClock struct {
	mu sync.Mutex
	Phases
}

func (c *phaseClock) add(d *time.Duration, by time.Duration) {
	c.mu.Lock()
	*d += by
	c.mu.Unlock()
}

func (c *phaseClock) get() Phases {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Phases
}

// Phases reports the time spent so far in each phase of measuring.
func (m *GoMLXMeasurer) Phases() Phases { return m.phases.get() }
