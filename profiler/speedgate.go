package profiler

import (
	"sync"
	"time"
)

// A shared machine's core does not always run at one speed: on the 2-core
// VM this project is developed on, a fixed arithmetic loop timed by the
// process's CPU clock, with nothing else running in the VM, took 3.1–3.3 ms
// or 5.2–6.4 ms, switching within a second (the host's other tenants on the
// same physical core). The CPU clock cannot see that; a reference loop can.
// A SpeedGate times one before and after each sample, and a sample counts
// only when both ran at the machine's best speed seen.

// Gate tells whether the machine runs at full speed (TimingOptions.Gate).
type Gate interface {
	// Fast reports whether the machine runs at full speed now.
	Fast() bool
}

// SpeedGate is a Gate: it tells whether the machine runs at full speed, by timing a
// fixed reference loop against the fastest it has seen. Safe for
// concurrent use.
type SpeedGate struct {
	// Tolerance is how much slower than its fastest the reference may run
	// and still count as full speed; 0 is DefaultGateTolerance.
	Tolerance float64

	mu   sync.Mutex
	best time.Duration
}

// DefaultGateTolerance is SpeedGate's default tolerance: the two speeds
// seen differ by 1.6–1.9×, a sample's own noise by a few percent.
const DefaultGateTolerance = 0.15

// gateLoop is the reference: about 0.3 ms of dependent floating-point
// arithmetic, which no compiler folds away.
func gateLoop() float64 {
	x := 1.0
	for i := range 200_000 {
		x = x*1.0000001 + float64(i&7)*1e-9
	}
	return x
}

var gateSink float64

// Fast times the reference once and reports whether it ran within
// Tolerance of the fastest run so far (the first run always does).
func (g *SpeedGate) Fast() bool {
	start, ok := cpuClock()
	wall := time.Now()
	gateSink = gateLoop()
	var d time.Duration
	if end, ok2 := cpuClock(); ok && ok2 {
		d = end - start
	} else {
		d = time.Since(wall)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.best == 0 || d < g.best {
		g.best = d
	}
	tol := g.Tolerance
	if tol == 0 {
		tol = DefaultGateTolerance
	}
	return float64(d) <= float64(g.best)*(1+tol)
}
