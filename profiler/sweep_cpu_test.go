package profiler

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// tinyCPU plans a CPU sweep of attention, MLP and the rest of the model at
// each of embs (three configurations each, a fraction of a second in all)
// in the quick preset's geometry, on one thread.
func tinyCPU(embs ...int) PlanOptions {
	return PlanOptions{Device: "cpu", Preset: "quick", EMB: embs, Heads: []int{1}, QK: []int{8}, V: []int{8}, MLP: []int{32},
		Validation: new(0), Models: []string{"none"}, Batch: new(2), Warmup: new(0), Samples: new(2), Passes: new(1),
		Threads: new(1), Version: "test"}
}

// A sweep in two passes on the CPU: the first pass stays beside the table,
// each row of the table combines its passes' floors, and the sweep measures
// on one thread, says so in the header, and gives the threads back.
func TestPlanRunTwoPassesOnCPU(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	opts := tinyCPU(16)
	opts.Passes = new(2)
	plan, err := NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	threads := runtime.GOMAXPROCS(0)
	var log bytes.Buffer
	res, err := plan.Run(t.Context(), out, RunOptions{Log: &log, Remeasure: new(time.Duration(0))})
	if err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != threads {
		t.Errorf("GOMAXPROCS %d after the sweep, want %d back", got, threads)
	}
	if !strings.Contains(log.String(), out+": time per configuration: compile") || res.SpreadN != 3 || res.Passes[1].Phases == nil {
		t.Errorf("result %+v, log:\n%s\nwant where the time went, and the passes' spread over 3 configurations", res, log.String())
	}
	first, bad, err := tablefmt.ReadTable(filepath.Join(dir, "t.pass1.jsonl"))
	if err != nil || len(bad) != 0 {
		t.Fatalf("first pass: %v %v", err, bad)
	}
	final, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 0 || len(final.Rows) != 3 || len(first.Rows) != 3 {
		t.Fatalf("table: %d rows, %v %v; first pass %d rows", len(final.Rows), err, bad, len(first.Rows))
	}
	h := final.Header
	if h.Method.Passes != 2 || h.DeviceKind != KindCPU || (runtime.NumCPU() > 1 && !strings.Contains(h.DeviceName, "GOMAXPROCS 1")) ||
		!strings.Contains(strings.Join(h.Notes, "; "), "GOMAXPROCS 1; each row combines 2 passes") {
		t.Errorf("header %+v: want 2 passes measured on one thread", h)
	}
	idx := first.Index()
	for _, r := range final.Rows {
		p := idx[r.Key()]
		// Each depth's floor at most the first pass's, and the latency their difference per copy.
		f, pf := r.Floors, p.Floors
		if r.Samples < p.Samples+1 || len(r.PassesMS) != 2 || r.PassesMS[0] != p.MedianMS || f == nil || pf == nil ||
			f.MS[0] > pf.MS[0] || f.MS[1] > pf.MS[1] || math.Abs(max(0, (f.MS[1]-f.MS[0])/float64(f.Depths[1]-f.Depths[0]))-r.MedianMS) > 1e-9 {
			t.Errorf("%s: %d samples, %g ms from floors %+v, passes %v; first pass: %d samples, %g ms, floors %+v",
				r.Key(), r.Samples, r.MedianMS, f, r.PassesMS, p.Samples, p.MedianMS, pf)
		}
	}

	// Every core is another device: a resume with them is refused, not mixed in.
	opts.Threads = new(0)
	if plan, err = NewPlan(opts); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(t.Context(), out, RunOptions{Resume: true}); runtime.NumCPU() > 1 && (err == nil || !strings.Contains(err.Error(), "GOMAXPROCS")) {
		t.Errorf("resume with every core: %v; want a refusal naming the threads", err)
	}
	if _, err := plan.Run(t.Context(), out, RunOptions{}); !errors.Is(err, ErrTableExists) {
		t.Errorf("a second run without Resume: %v", err)
	}
}

// Several workers are runner processes of nvitprof's own (here the test
// binary, see TestMain), which measure with the sweep's threads.
func TestPlanRunWithRunnerWorkers(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NVITPROF_TEST_WORKER", KindCPU) // for the runners; this process has read it
	opts := tinyCPU(16)
	opts.Workers = new(2)
	opts.WorkerCommand = func(string) []string { return []string{self} }
	plan, err := NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w.jsonl")
	if _, err := plan.Run(t.Context(), out, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	table, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 0 || len(table.Rows) != 3 {
		t.Fatalf("table: %d rows, %v, %v", len(table.Rows), err, bad)
	}
	h := table.Header
	if h.DeviceKind != KindCPU || h.Backend == "" || !strings.Contains(strings.Join(h.Notes, "; "), "2 runner process(es) per device") ||
		!strings.HasPrefix(h.PluginVersion, "nvitprof test") {
		t.Errorf("header %+v", h)
	}
	if runtime.NumCPU() > 1 && !strings.Contains(h.DeviceName, "GOMAXPROCS 1") {
		t.Errorf("runner device %q: the runners did not inherit the one thread", h.DeviceName)
	}
}
