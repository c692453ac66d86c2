package profiler

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// PlanOptions say what a sweep measures and how. What is left empty (a nil
// list or pointer, an empty string) takes its default: the preset's grid,
// and the device kind's settings (SweepDefaults). Numbers are pointers so
// that an explicit zero differs from none: Validation: new(0) measures no
// validation blocks.
type PlanOptions struct {
	// Device is where to measure: "cpu" (also when empty), "cuda:N", or
	// GPUs separated by commas, each measured by its own runner processes.
	Device string
	// Plugin is an explicit CUDA PJRT plugin path (DeviceOptions.Plugin).
	Plugin string
	// Runner, when set, is the command line of an external runner that
	// measures instead of nvitprof's own graphs (see RunnerProtocol); Device
	// is then not used. RunnerKind is the kind of device it measures, when
	// known before it starts: KindCPU gives the sweep the CPU's defaults,
	// anything else a GPU's (deployment settings).
	Runner     []string
	RunnerKind string

	// Preset names the sweep preset (SweepPresetNames) that gives the grid,
	// its geometry and its CPU batch. Empty: a custom grid in NViT's
	// geometry (batch 1 on the CPU), which needs all five dimension lists.
	Preset string
	// EMB, Heads, QK, V and MLP, when not nil, replace the preset's values
	// of their dimension (MLP 0: no MLP).
	EMB, Heads, QK, V, MLP []int
	// Blocks measures whole blocks over the full product instead of
	// decomposed sub-blocks, and no validation blocks.
	Blocks bool
	// Validation is how many full blocks check that attention + MLP add
	// up; nil: the preset's.
	Validation *int
	// Models are whole models to measure, by arch preset name; nil: the
	// preset's. Names "none" and "" are skipped: []string{"none"} measures
	// no models.
	Models []string
	// Shard and Shards measure shard number Shard (0-based) of Shards,
	// every Shards-th configuration, to split a grid across machines;
	// Shards 0 measures every configuration.
	Shard, Shards int

	// Batch is the images per execution; nil: 256 on GPUs, the preset's CPU
	// batch on the CPU.
	Batch *int
	// DType is float32, bfloat16 or float16; empty: DefaultDType.
	DType string
	// Depths are the two stack depths of differential timing, increasing;
	// nil: 2 and 10 on GPUs, 1 and 3 on the CPU.
	Depths []int
	// Warmup is the untimed executions per depth and Samples the timed
	// pairs per configuration and pass; nil: 3 and 15 on GPUs, 1 and 2 on
	// the CPU.
	Warmup, Samples *int
	// Passes is how many times the sweep goes over the whole grid, each row
	// combining its passes (CombinePasses); nil: 1 on GPUs, 3 on the CPU.
	Passes *int
	// Estimator is how samples become a latency: "median", or "min" (their
	// floor); empty: DefaultEstimator.
	Estimator string
	// Noise is the relative uncertainty above which a configuration is
	// measured again, then flagged noisy; nil: DefaultNoise.
	Noise *float64
	// Clock is what times the executions: "wall" or "cpu" (the process's
	// CPU clock, one thread on the CPU only); empty: DefaultClock.
	Clock string

	// Workers is the runner processes per GPU, which compile in parallel
	// while one of them times (TimingGate); nil: 1. One device with one
	// worker is measured in this process.
	Workers *int
	// WorkerCommand is the command line of a runner process that measures
	// with nvitprof's own graphs on device (ServeGoMLX), needed for several
	// devices or workers: the CLI's is `nvitprof runner --device DEVICE`.
	WorkerCommand func(device string) []string
	// Threads, on the CPU device, is GOMAXPROCS while measuring (0: every
	// core), exported to runner processes too (WithThreads); nil leaves
	// GOMAXPROCS as it is.
	Threads *int
	// Version is nvitprof's version, recorded in the table's header.
	Version string

	// Adaptive, when not nil, measures only part of the grid: a design
	// over every axis, then the configurations the cost model is least
	// sure of, until a validation sample meets its target or the budget is
	// spent (AdaptiveOptions). It cannot be sharded; the grid's validation
	// blocks default to none (the validation sample checks the model).
	Adaptive *AdaptiveOptions
}

// Plan is a sweep ready to run: what it measures, with which settings, on
// which devices.
type Plan struct {
	// Header is the table's header. Run fills in the device fields when it
	// opens the devices.
	Header tablefmt.Header
	// Configs are the configurations to measure, without measurements; of
	// an adaptive sweep, the grid it chooses from.
	Configs []tablefmt.Row
	// Devices are the canonical device names ("cpu", "cuda:0"; a replay's
	// as given, "replay:TABLE").
	Devices []string
	// CPU is whether nvitprof's pure-Go backend measures: CPU defaults and
	// Threads apply.
	CPU  bool
	opts PlanOptions

	replay  *ReplayMeasurer // the replay device, if it is one
	sampler *sampler        // the adaptive sweep's, if it is one
}

// NewPlan checks opts and plans the sweep they describe. It opens no device.
// An option that cannot be used is an *OptionError.
func NewPlan(opts PlanOptions) (*Plan, error) {
	replay, err := planReplay(&opts)
	if err != nil {
		return nil, err
	}
	devices, kind, err := planDevices(opts)
	if err != nil {
		return nil, err
	}
	p, err := planPreset(opts)
	if err != nil {
		return nil, err
	}
	if replay != nil {
		if err := replayGeometry(&p, opts, replay); err != nil {
			return nil, err
		}
	}
	configs := p.Grid.Configs()
	if opts.Shards != 0 {
		if opts.Adaptive != nil {
			return nil, optionError("shard", ErrAdaptiveShards)
		}
		if configs, err = Shard(configs, opts.Shard, opts.Shards); err != nil {
			return nil, optionErrorf("shard", "%d of %d: want 0 <= shard < shards", opts.Shard, opts.Shards)
		}
	}
	var h tablefmt.Header
	if replay != nil {
		h, err = replayHeader(opts, p, replay)
	} else {
		h, err = planHeader(opts, p, defaultsKind(opts, kind))
	}
	if err != nil {
		return nil, err
	}
	if opts.Shards != 0 {
		h.Shard = &tablefmt.Shard{Index: opts.Shard, Count: opts.Shards, Plan: p.Grid.Record()}
	}
	s, err := planAdaptive(opts.Adaptive, configs, &h)
	if err != nil {
		return nil, err
	}
	if opts.Workers != nil && *opts.Workers < 1 {
		return nil, optionErrorf("workers", "must be at least 1, got %d", *opts.Workers)
	}
	if opts.Threads != nil {
		if err := checkThreads(*opts.Threads); err != nil {
			return nil, err
		}
	}
	return &Plan{Header: h, Configs: configs, Devices: devices, CPU: kind == KindCPU, opts: opts, replay: replay, sampler: s}, nil
}

// planDevices are the devices opts name and their kind: a replay (one
// device, named as given), an external runner, or GoMLX's.
func planDevices(opts PlanOptions) ([]string, string, error) {
	if len(opts.Runner) == 0 && IsReplay(opts.Device) {
		return []string{strings.TrimSpace(opts.Device)}, KindReplay, nil
	}
	devices, err := ParseDevices(cmp.Or(opts.Device, KindCPU))
	if err != nil {
		return nil, "", optionError("device", err)
	}
	kind, _, _ := ParseDevice(devices[0])
	if len(opts.Runner) > 0 {
		kind = KindExternal
	}
	return devices, kind, nil
}

// PassFiles are the tables of the plan's passes into out (PassFiles).
func (p *Plan) PassFiles(out string) []string { return PassFiles(out, p.Header.Method.Passes) }

// planPreset is the preset opts name with the grid their options make of it.
func planPreset(opts PlanOptions) (SweepPreset, error) {
	p := SweepPreset{Name: "custom", Geometry: arch.NViTGeometry(), CPUBatch: 1, Grid: Grid{Decomposed: true}}
	if opts.Preset != "" {
		var err error
		if p, err = LookupSweepPreset(opts.Preset); err != nil {
			return p, optionError("preset", err)
		}
	}
	for _, d := range []struct{ from, to *[]int }{
		{&opts.EMB, &p.Grid.EMB}, {&opts.Heads, &p.Grid.Heads}, {&opts.QK, &p.Grid.QK}, {&opts.V, &p.Grid.V}, {&opts.MLP, &p.Grid.MLP},
	} {
		if *d.from != nil {
			*d.to = slices.Clone(*d.from)
		}
	}
	if opts.Blocks {
		p.Grid.Decomposed, p.Grid.Validation = false, 0
	}
	if opts.Validation != nil {
		p.Grid.Validation = *opts.Validation
	} else if opts.Adaptive != nil {
		p.Grid.Validation = 0 // the validation sample checks the model
	}
	if opts.Models != nil {
		models, err := planModels(opts.Models, p.Geometry)
		if err != nil {
			return p, err
		}
		p.Grid.Models = models
	}
	return p, optionError("grid", p.Grid.Validate())
}

// planModels are the arch presets names names, which must have geometry g.
func planModels(names []string, g arch.Geometry) ([]arch.Spec, error) {
	var models []arch.Spec
	for _, name := range names {
		if name = strings.TrimSpace(name); name == "none" || name == "" {
			continue
		}
		s, err := arch.Preset(name)
		if err != nil {
			return nil, optionError("models", err)
		}
		if s.Tokens() != g.Tokens() || s.Image != g.Image || s.Patch != g.Patch {
			return nil, optionErrorf("models", "%s has %d tokens of %d² images; the sweep measures %d tokens of %d²",
				name, s.Tokens(), s.Image, g.Tokens(), g.Image)
		}
		models = append(models, s)
	}
	return models, nil
}

// planHeader is the header of a sweep of p on a device of kind under opts,
// without the device fields.
func planHeader(opts PlanOptions, p SweepPreset, kind string) (tablefmt.Header, error) {
	d := SweepDefaults(kind, p.CPUBatch)
	g := p.Geometry
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Runtime: "gomlx", DType: d.DType, Batch: d.Batch, Tokens: g.Tokens(),
		Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes, Method: d.Method,
		NVitProfVersion: opts.Version, Time: time.Now().UTC().Round(time.Second)}
	h.Host, _ = os.Hostname()
	if err := applyTiming(&h, opts); err != nil {
		return h, err
	}
	clock, err := planClock(opts.Clock, kind, planThreads(opts.Threads))
	if err != nil {
		return h, err
	}
	h.Method.Clock = clock
	if len(p.Grid.Models) > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("rest and model rows use stack depths %d,%d", ModelDepths[0], ModelDepths[1]))
	}
	h.Notes = append(h.Notes, "preset "+p.Name)
	return h, nil
}

// applyTiming sets what opts say of h's batch, dtype and method.
func applyTiming(h *tablefmt.Header, opts PlanOptions) error {
	m := &h.Method
	if opts.Passes != nil {
		if *opts.Passes < 1 {
			return optionErrorf("passes", "must be at least 1, got %d", *opts.Passes)
		}
		m.Passes = *opts.Passes
	}
	if opts.Estimator != "" {
		switch e := strings.ToLower(opts.Estimator); e {
		case tablefmt.EstimatorMedian, tablefmt.EstimatorMin:
			m.Estimator = e
		default:
			return optionErrorf("estimator", "unknown estimator %q: want median or min", opts.Estimator)
		}
	}
	if opts.Batch != nil {
		if *opts.Batch < 1 {
			return optionErrorf("batch", "must be positive, got %d", *opts.Batch)
		}
		h.Batch = *opts.Batch
	}
	if opts.DType != "" {
		if _, err := ParseDType(opts.DType); err != nil {
			return optionError("dtype", err)
		}
		h.DType = strings.ToLower(opts.DType)
	}
	if opts.Depths != nil {
		d := opts.Depths
		if len(d) != 2 || d[0] < 1 || d[1] <= d[0] {
			return optionErrorf("depths", "want two increasing positive depths such as 2,10, got %v", d)
		}
		m.Depths = slices.Clone(d)
	}
	if opts.Warmup != nil {
		if *opts.Warmup < 0 {
			return optionErrorf("warmup", "must not be negative, got %d", *opts.Warmup)
		}
		m.Warmup = *opts.Warmup
	}
	if opts.Samples != nil {
		if *opts.Samples < 1 {
			return optionErrorf("samples", "must be positive, got %d", *opts.Samples)
		}
		m.Samples = *opts.Samples
	}
	if opts.Noise != nil {
		if n := *opts.Noise; !(n > 0) || math.IsInf(n, 0) {
			return optionErrorf("noise", "must be a positive number, got %g", n)
		}
		m.NoiseThreshold = *opts.Noise
	}
	return nil
}

// planThreads are the threads a CPU sweep measures with: threads, or
// GOMAXPROCS as it is when nil (0: every core).
func planThreads(threads *int) int {
	switch {
	case threads == nil:
		return runtime.GOMAXPROCS(0)
	case *threads == 0:
		return runtime.NumCPU()
	}
	return *threads
}

// planClock is the header's Method.Clock for the clock asked for, or
// DefaultClock: empty for the wall clock; the CPU clock only times one
// thread on the CPU.
func planClock(clock, kind string, threads int) (string, error) {
	switch strings.ToLower(clock) {
	case "":
		if c := DefaultClock(kind, threads); c == tablefmt.ClockCPU {
			return c, nil
		}
		return "", nil // the wall clock, as tables before clocks say it
	case tablefmt.ClockWall:
		return "", nil
	case tablefmt.ClockCPU:
		if _, ok := cpuClock(); !ok {
			return "", optionErrorf("clock", "this system has no CPU clock")
		}
		if kind != KindCPU || threads != 1 {
			return "", optionErrorf("clock", "the CPU clock times one thread on the CPU, not %d on %s", threads, kind)
		}
		return tablefmt.ClockCPU, nil
	}
	return "", optionErrorf("clock", "unknown clock %q: want wall or cpu", clock)
}

// defaultsKind is the device kind whose defaults a sweep on kind takes: an
// external runner's RunnerKind.
func defaultsKind(opts PlanOptions, kind string) string {
	if kind == KindExternal && opts.RunnerKind == KindCPU {
		return KindCPU
	}
	return kind
}
