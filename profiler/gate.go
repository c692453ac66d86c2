package profiler

import (
	"os"
	"slices"
	"sync"
)

// TimingGate lets one runner process of a device time at a time and, while
// it times, freezes the device's other runners. Freezing matters on GPUs:
// a runner that is compiling with XLA's autotuning runs kernels on the GPU,
// and with eight runners compiling beside the one timing, 18 of 25 rows came
// out noisy on an H100 (bench/results/h100-2026-11-26-b.md). A frozen
// runner's compilation simply waits; timing a configuration takes a small
// fraction of compiling one.
type TimingGate struct {
	mu      sync.Mutex // held while a runner times
	members sync.Mutex // guards procs
	procs   []*os.Process
}

// Join adds a runner process to the gate.
func (g *TimingGate) Join(p *os.Process) {
	g.members.Lock()
	g.procs = append(g.procs, p)
	g.members.Unlock()
}

// Leave removes a runner process (it is ending).
func (g *TimingGate) Leave(p *os.Process) {
	g.members.Lock()
	g.procs = slices.DeleteFunc(g.procs, func(q *os.Process) bool { return q == p })
	g.members.Unlock()
}

// Hold waits for the gate, freezes every other member and returns the
// function that thaws them and opens the gate again.
func (g *TimingGate) Hold(self *os.Process) (release func()) {
	g.mu.Lock()
	g.members.Lock()
	others := slices.DeleteFunc(slices.Clone(g.procs), func(q *os.Process) bool { return q == self })
	g.members.Unlock()
	for _, p := range others {
		freeze(p) // a runner that has exited cannot be frozen, nor needs to be
	}
	return func() {
		for _, p := range others {
			thaw(p)
		}
		g.mu.Unlock()
	}
}
