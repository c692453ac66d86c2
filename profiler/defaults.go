package profiler

import "github.com/nvitprof/nvitprof/costmodel/tablefmt"

// DefaultNoise is the relative uncertainty above which a measurement is
// taken again and then flagged noisy, unless an option says otherwise.
const DefaultNoise = 0.05

// DefaultDType is the element type measured on a device kind unless an
// option says otherwise: float32 on the CPU; bfloat16 where ViTs are
// deployed, on GPUs and in the runtimes external runners measure.
func DefaultDType(kind string) string {
	if kind == KindCPU {
		return "float32"
	}
	return "bfloat16"
}

// DefaultEstimator is how samples become a latency on a device kind unless
// an option says otherwise: on the CPU their floor (tablefmt.EstimatorMin),
// since a shared machine's other work only ever adds time and the fastest
// execution repeats from run to run where the median does not; elsewhere ""
// (tablefmt's default, the median), right where noise is symmetric.
func DefaultEstimator(kind string) string {
	if kind == KindCPU {
		return tablefmt.EstimatorMin
	}
	return ""
}

// Defaults are the settings a sweep measures with unless its options say
// otherwise.
type Defaults struct {
	Batch  int
	DType  string
	Method tablefmt.Method // differential timing: depths, warm-up, samples, noise threshold, estimator, passes
}

// SweepDefaults are the defaults of a sweep on a device kind (KindCPU,
// KindCUDA, KindExternal). They follow deployment where models deploy: batch
// 256 as NViT measured, bfloat16, stack depths 2 and 10, 3 warm-up
// executions and 15 timed pairs, their median, one pass. The CPU is slow
// and shared: the preset's small batch (cpuBatch), float32, depths 1 and 3,
// 1 warm-up execution and 2 timed pairs, their floor, and three passes over
// the grid, since a shared machine's slow spells outlast a configuration.
func SweepDefaults(kind string, cpuBatch int) Defaults {
	d := Defaults{Batch: 256, DType: DefaultDType(kind), Method: tablefmt.Method{Name: "differential",
		Depths: []int{2, 10}, Warmup: 3, Samples: 15, NoiseThreshold: DefaultNoise, Estimator: DefaultEstimator(kind)}}
	if kind == KindCPU {
		d.Batch, d.Method.Depths, d.Method.Warmup, d.Method.Samples, d.Method.Passes = cpuBatch, []int{1, 3}, 1, 2, 3
	}
	return d
}

// DefaultClock is the clock that times executions on a device of kind
// measured by threads threads: the process's CPU clock for one thread on
// the CPU (tablefmt.ClockCPU), where the system has one, else the wall
// clock. A shared machine's other programs take the core in time slices of
// a few milliseconds: the wall clock counts those, so a long execution
// (a whole model) reads slow under load however often it is repeated,
// while the CPU clock stops. With several threads the CPU clock would add
// their times up, and on a GPU the host waits for the device.
func DefaultClock(kind string, threads int) string {
	if _, ok := cpuClock(); ok && kind == KindCPU && threads == 1 {
		return tablefmt.ClockCPU
	}
	return tablefmt.ClockWall
}
