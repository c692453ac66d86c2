package profiler

import (
	"errors"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// The defaults follow the device: deployment settings where models deploy
// (GPUs and external runtimes), small, repeatable ones on the shared CPU.
func TestNewPlanDefaultsFollowTheDevice(t *testing.T) {
	gpu := tablefmt.Method{Name: "differential", Depths: []int{2, 10}, Warmup: 3, Samples: 15, NoiseThreshold: 0.05}
	cpu := tablefmt.Method{Name: "differential", Depths: []int{1, 3}, Warmup: 1, Samples: 2, NoiseThreshold: 0.05,
		Estimator: tablefmt.EstimatorMin, Passes: 3, Clock: DefaultClock(KindCPU, 1)}
	cpuThreads := cpu
	cpuThreads.Clock = "" // the wall clock: the CPU clock would add the threads up
	for _, tc := range []struct {
		name   string
		opts   PlanOptions
		batch  int
		dtype  string
		method tablefmt.Method
		cpu    bool
	}{
		{"cpu", PlanOptions{Preset: "quick", Threads: new(1)}, 8, "float32", cpu, true},
		{"cpu, two threads", PlanOptions{Preset: "quick", Threads: new(2)}, 8, "float32", cpuThreads, true},
		{"custom grid on the cpu", PlanOptions{Device: "cpu", Threads: new(1), EMB: []int{64}, Heads: []int{1}, QK: []int{8}, V: []int{8}, MLP: []int{0}}, 1, "float32", cpu, true},
		{"gpu", PlanOptions{Device: "cuda:0", Preset: "quick"}, 256, "bfloat16", gpu, false},
		{"two gpus", PlanOptions{Device: "cuda:1,cuda:0", Preset: "quick"}, 256, "bfloat16", gpu, false},
		{"external runner", PlanOptions{Runner: []string{"python3", "r.py"}, Preset: "quick"}, 256, "bfloat16", gpu, false},
		{"overridden", PlanOptions{Preset: "quick", Batch: new(3), DType: "BF16", Depths: []int{2, 4}, Warmup: new(0), Samples: new(5),
			Passes: new(1), Estimator: "Median", Noise: new(0.1), Clock: "wall"}, 3, "bf16",
			tablefmt.Method{Name: "differential", Depths: []int{2, 4}, Samples: 5, NoiseThreshold: 0.1, Estimator: "median", Passes: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			h := p.Header
			if h.Batch != tc.batch || h.DType != tc.dtype || !reflect.DeepEqual(h.Method, tc.method) || p.CPU != tc.cpu {
				t.Errorf("batch %d, %s, %+v, cpu %v; want %d, %s, %+v, cpu %v", h.Batch, h.DType, h.Method, p.CPU, tc.batch, tc.dtype, tc.method, tc.cpu)
			}
			if h.Version != tablefmt.FormatVersion || h.Runtime != "gomlx" || h.Time.IsZero() || h.Device != "" {
				t.Errorf("header %+v: want a gomlx table header without its device (Run fills it in)", h)
			}
		})
	}
	if p, _ := NewPlan(PlanOptions{Device: "cuda:1,cuda:0", Preset: "quick"}); !slices.Equal(p.Devices, []string{"cuda:1", "cuda:0"}) {
		t.Errorf("devices %v", p.Devices)
	}
}

// The grid is the preset's, changed by the dimension lists, blocks,
// validation and models options, then sharded.
func TestNewPlanGrid(t *testing.T) {
	small := PlanOptions{Preset: "quick", EMB: []int{64, 96}, Heads: []int{1, 2}, QK: []int{8}, V: []int{16}, MLP: []int{64, 128}}
	for _, tc := range []struct {
		name  string
		opts  func(PlanOptions) PlanOptions
		kinds map[tablefmt.Kind]int
		notes string
	}{
		// quick: 6 validation blocks (of which the 1st and 3rd are one here:
		// EMB 64, 1 head, MLP 128) and 2 models, whose rows use other depths.
		{"preset's extras", func(o PlanOptions) PlanOptions { return o },
			map[tablefmt.Kind]int{tablefmt.KindAttn: 4, tablefmt.KindMLP: 4, tablefmt.KindRest: 2, tablefmt.KindBlock: 5, tablefmt.KindModel: 2},
			"rest and model rows use stack depths 1,2; preset quick"},
		{"none of them", func(o PlanOptions) PlanOptions { o.Validation, o.Models = new(0), []string{"none"}; return o },
			map[tablefmt.Kind]int{tablefmt.KindAttn: 4, tablefmt.KindMLP: 4, tablefmt.KindRest: 2}, "preset quick"},
		{"whole blocks", func(o PlanOptions) PlanOptions { o.Blocks, o.Models = true, []string{""}; return o },
			map[tablefmt.Kind]int{tablefmt.KindBlock: 8}, "preset quick"},
		{"a shard", func(o PlanOptions) PlanOptions {
			o.Validation, o.Models, o.Shard, o.Shards = new(0), []string{"none"}, 1, 3
			return o
		},
			map[tablefmt.Kind]int{tablefmt.KindAttn: 1, tablefmt.KindMLP: 2}, "preset quick"}, // configurations 1, 4, 7 of 10
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(tc.opts(small))
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[tablefmt.Kind]int{}
			for _, r := range p.Configs {
				kinds[r.Kind]++
			}
			if !maps.Equal(kinds, tc.kinds) || strings.Join(p.Header.Notes, "; ") != tc.notes {
				t.Errorf("configurations %v, notes %q; want %v, %q", kinds, p.Header.Notes, tc.kinds, tc.notes)
			}
		})
	}
}

// An option that cannot be used is an *OptionError naming it, so that a
// command line can name its flag.
func TestNewPlanOptionErrors(t *testing.T) {
	quick := func(change func(*PlanOptions)) PlanOptions {
		o := PlanOptions{Preset: "quick"}
		change(&o)
		return o
	}
	for _, tc := range []struct {
		opts   PlanOptions
		option string
		msg    string
	}{
		{quick(func(o *PlanOptions) { o.Device = "tpu:0" }), "device", `device: unknown device "tpu:0"`},
		{quick(func(o *PlanOptions) { o.Preset = "huge" }), "preset", `preset: unknown sweep preset "huge"`},
		{PlanOptions{EMB: []int{64}}, "grid", "grid: no heads values"},
		{quick(func(o *PlanOptions) { o.MLP = []int{-1} }), "grid", "grid: MLP value -1 is not positive"},
		{quick(func(o *PlanOptions) { o.Validation = new(-1) }), "grid", "grid: validation count -1 is negative"},
		{quick(func(o *PlanOptions) { o.Models = []string{"deit-t"} }), "models", "models: deit-t has 197 tokens of 224² images; the sweep measures 65 tokens of 32²"},
		{quick(func(o *PlanOptions) { o.Models = []string{"deit-xl"} }), "models", "models: unknown preset"},
		{quick(func(o *PlanOptions) { o.Shard, o.Shards = 3, 3 }), "shard", "shard: 3 of 3"},
		{quick(func(o *PlanOptions) { o.Passes = new(0) }), "passes", "passes: must be at least 1, got 0"},
		{quick(func(o *PlanOptions) { o.Estimator = "mean" }), "estimator", `estimator: unknown estimator "mean": want median or min`},
		{quick(func(o *PlanOptions) { o.Batch = new(0) }), "batch", "batch: must be positive, got 0"},
		{quick(func(o *PlanOptions) { o.DType = "int8" }), "dtype", `dtype: unknown dtype "int8"`},
		{quick(func(o *PlanOptions) { o.Depths = []int{10, 2} }), "depths", "depths: want two increasing positive depths such as 2,10, got [10 2]"},
		{quick(func(o *PlanOptions) { o.Depths = []int{0, 2} }), "depths", "depths:"},
		{quick(func(o *PlanOptions) { o.Warmup = new(-1) }), "warmup", "warmup: must not be negative, got -1"},
		{quick(func(o *PlanOptions) { o.Samples = new(0) }), "samples", "samples: must be positive, got 0"},
		{quick(func(o *PlanOptions) { o.Noise = new(0.0) }), "noise", "noise: must be a positive number, got 0"},
		{quick(func(o *PlanOptions) { o.Workers = new(0) }), "workers", "workers: must be at least 1, got 0"},
		{quick(func(o *PlanOptions) { o.Threads = new(runtime.NumCPU() + 1) }), "threads", "threads: want 0 (every core) to"},
	} {
		_, err := NewPlan(tc.opts)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != tc.option || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%+v: error %v; want an *OptionError for %s starting %q", tc.opts, err, tc.option, tc.msg)
		}
	}
}

func TestPassFiles(t *testing.T) {
	for _, tc := range []struct {
		out    string
		passes int
		want   []string
	}{
		{"t.jsonl", 0, []string{"t.jsonl"}},
		{"t.jsonl", 1, []string{"t.jsonl"}},
		{"d/t.jsonl", 3, []string{"d/t.pass1.jsonl", "d/t.pass2.jsonl", "d/t.jsonl"}},
		{"table", 2, []string{"table.pass1", "table"}},
	} {
		if got := PassFiles(tc.out, tc.passes); !slices.Equal(got, tc.want) {
			t.Errorf("PassFiles(%q, %d) = %v, want %v", tc.out, tc.passes, got, tc.want)
		}
	}
}

// The CPU clock times one thread on the CPU and nothing else.
func TestPlanClock(t *testing.T) {
	if _, ok := cpuClock(); !ok {
		t.Skip("this system has no CPU clock")
	}
	for _, tc := range []struct {
		clock, kind string
		threads     int
		want        string // "" is the wall clock; "error" an *OptionError
	}{
		{"", KindCPU, 1, tablefmt.ClockCPU},
		{"", KindCPU, 2, ""},
		{"", KindCUDA, 1, ""},
		{"wall", KindCPU, 1, ""},
		{"CPU", KindCPU, 1, tablefmt.ClockCPU},
		{"cpu", KindCPU, 2, "error"},
		{"cpu", KindCUDA, 1, "error"},
		{"sundial", KindCPU, 1, "error"},
	} {
		got, err := planClock(tc.clock, tc.kind, tc.threads)
		var oe *OptionError
		if tc.want == "error" {
			if !errors.As(err, &oe) || oe.Option != "clock" {
				t.Errorf("%q on %s with %d threads: %v, want a clock option error", tc.clock, tc.kind, tc.threads, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q on %s with %d threads: %q, %v; want %q", tc.clock, tc.kind, tc.threads, got, err, tc.want)
		}
	}
}

// The CPU clock does not count time the process does not run: a sleep
// reads close to nothing on it, and its full length on the wall clock.
func TestCPUClockStopsWhileOthersRun(t *testing.T) {
	if _, ok := cpuClock(); !ok {
		t.Skip("this system has no CPU clock")
	}
	sleep := func() error { time.Sleep(30 * time.Millisecond); return nil }
	cpu, err := TimingOptions{Clock: tablefmt.ClockCPU}.timeOnce(sleep)
	if err != nil {
		t.Fatal(err)
	}
	wall, err := TimingOptions{}.timeOnce(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if wall < 30 || cpu > 15 {
		t.Errorf("a 30 ms sleep read %.3g ms on the wall clock and %.3g ms on the CPU clock", wall, cpu)
	}
}
