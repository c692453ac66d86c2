package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// deviceFlag chooses where to measure.
var deviceFlag = &cli.StringFlag{
	Name:    "device",
	Aliases: []string{"d"},
	Value:   "cpu",
	Usage:   "`DEVICE`: cpu (GoMLX's pure-Go backend, needs nothing installed) or cuda:N (XLA with a CUDA PJRT plugin)",
	EnvVars: []string{"NVITPROF_DEVICE"},
}

func sweepCmd() *cli.Command {
	const grid, timing, out = "Grid", "Timing", "Output"
	return &cli.Command{
		Name:  "sweep",
		Usage: "measure a grid of ViT sub-blocks and write a latency table",
		Description: `Measures attention and MLP sub-blocks (and the rest of the model, full blocks
and whole models) over a grid of the five NViT dimensions, one JSON Lines row per
configuration, appended and flushed as measured. Per-block device time comes from
differential stacking: each unit is stacked at two depths with its own weights and
(T(deep) - T(shallow)) / (deep - shallow) cancels host dispatch.

Defaults follow deployment: on GPUs batch 256 (as NViT measured) and bfloat16,
depths 2 and 10; on the CPU the preset's small batch, float32, depths 1 and 3.
On the CPU each latency is the floor of its samples (--estimator min): a shared
machine's other work only ever adds time, and the fastest of several executions
repeats from run to run where their median does not. GPUs use the median.
A shared machine also has slow spells longer than one configuration takes, so
on the CPU the sweep goes over the grid three times (--passes 3; the earlier
passes are kept beside the table as OUT.pass1.jsonl, OUT.pass2.jsonl) and takes
each depth's fastest execution over all the passes. The CPU device runs one
thread unless --threads says otherwise: on a shared 2-core machine one thread's
passes were 11-28% apart where two threads' were 40-59% (README).

Examples:
  nvitprof sweep --device cpu --preset quick --out quick.jsonl
  nvitprof sweep --device cuda:0 --preset nvit --out h100.jsonl
  nvitprof sweep --device cuda:0 --preset nvit --out h100.jsonl --resume
  nvitprof sweep --device cuda:0,cuda:1 --preset nvit --out two.jsonl
  nvitprof sweep --device cuda:0 --emb 768 --heads 12 --qk 8:64:8 --v 64 --mlp 2560:3328:16 --out fine.jsonl
  nvitprof sweep --runner "python3 my_torch_runner.py" --preset deit --out torch.jsonl`,
		Flags: []cli.Flag{
			deviceFlag, pluginFlag,
			&cli.StringFlag{Name: "preset", Aliases: []string{"p"}, Category: grid, Usage: "sweep preset: " + strings.Join(profiler.SweepPresetNames(), ", ")},
			&cli.StringFlag{Name: "emb", Category: grid, Usage: "EMB values, e.g. 256,512 or 128:768:128 (replaces the preset's)"},
			&cli.StringFlag{Name: "heads", Category: grid, Usage: "head counts, e.g. 1:12"},
			&cli.StringFlag{Name: "qk", Category: grid, Usage: "QK widths per head"},
			&cli.StringFlag{Name: "v", Category: grid, Usage: "V widths per head"},
			&cli.StringFlag{Name: "mlp", Category: grid, Usage: "MLP widths (0 = no MLP)"},
			&cli.BoolFlag{Name: "blocks", Category: grid, Usage: "measure whole blocks over the full product instead of decomposed sub-blocks"},
			&cli.IntFlag{Name: "validation", Category: grid, Usage: "full blocks measured to check that attention + MLP add up (default: the preset's)"},
			&cli.StringFlag{Name: "models", Category: grid, Usage: "whole models to measure, comma-separated presets (\"none\" for none; default: the preset's)"},
			&cli.StringFlag{Name: "shard", Category: grid, Usage: "measure shard `I/N` of the grid (0-based), to split it across machines; join with nvitprof merge"},
			&cli.IntFlag{Name: "batch", Category: timing, Usage: "images per execution (default: 256 on GPUs, the preset's on the CPU)"},
			&cli.StringFlag{Name: "dtype", Category: timing, Usage: "float32, bfloat16 or float16 (default: bfloat16 on GPUs, float32 on the CPU)"},
			&cli.StringFlag{Name: "depths", Category: timing, Usage: "the two stack depths of differential timing (default 2,10 on GPUs, 1,3 on the CPU)"},
			&cli.IntFlag{Name: "warmup", Category: timing, Usage: "untimed executions per depth (default 3 GPU, 1 CPU)"},
			&cli.IntFlag{Name: "samples", Category: timing, Usage: "timed pairs per configuration and pass (default 15 GPU, 2 CPU)"},
			&cli.IntFlag{Name: "passes", Category: timing, Usage: "times to go over the whole grid, taking each depth's fastest execution over them; earlier passes are kept as OUT.passN.jsonl (default 1 GPU, 3 CPU)"},
			&cli.StringFlag{Name: "estimator", Category: timing, Usage: "how samples become a latency: median, or min (the floor; default on the CPU)"},
			&cli.Float64Flag{Name: "noise", Category: timing, Value: 0.05, Usage: "relative uncertainty above which a point is re-measured, then flagged noisy (median: IQR/median; min: gap to the second-fastest sample)"},
			withCategory(threadsFlag, timing),
			&cli.IntFlag{Name: "workers", Category: timing, Value: 1, Usage: "compiling processes per GPU; compilation, not timing, bounds GPU sweeps. One times at a time while the others are frozen (XLA autotuning runs kernels)"},
			&cli.StringFlag{Name: "runner", Category: timing, Usage: "measure with an external runner `COMMAND` (JSON Lines on stdin/stdout; see README)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Category: out, Usage: "table `FILE` (JSON Lines); refuses to overwrite, see --resume"},
			&cli.BoolFlag{Name: "resume", Category: out, Usage: "continue the table in --out: measure only what it lacks (its header must agree)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: out, Usage: "no progress output"},
		},
		Action: runSweep,
	}
}

// sweepPlan is what a sweep will measure and how.
type sweepPlan struct {
	header  tablefmt.Header
	configs []tablefmt.Row
	devices []string
	cpu     bool // measured by nvitprof's pure-Go backend: CPU defaults and --threads apply
}

func planSweep(c *cli.Context) (sweepPlan, error) {
	var plan sweepPlan
	devices, err := profiler.ParseDevices(c.String("device"))
	if err != nil {
		return plan, usageError{err}
	}
	plan.devices = devices
	gpu := strings.HasPrefix(devices[0], profiler.KindCUDA)
	if c.String("runner") != "" {
		gpu = true // an external runtime: deployment defaults
	}
	plan.cpu = !gpu

	var p profiler.SweepPreset
	if name := c.String("preset"); name != "" {
		if p, err = profiler.LookupSweepPreset(name); err != nil {
			return plan, usageError{err}
		}
	} else {
		p = profiler.SweepPreset{Name: "custom", Geometry: arch.NViTGeometry(), CPUBatch: 1,
			Grid: profiler.Grid{Decomposed: true}}
	}
	for _, f := range []struct {
		flag string
		dst  *[]int
	}{{"emb", &p.Grid.EMB}, {"heads", &p.Grid.Heads}, {"qk", &p.Grid.QK}, {"v", &p.Grid.V}, {"mlp", &p.Grid.MLP}} {
		if s := c.String(f.flag); s != "" {
			vs, err := profiler.ParseInts(s)
			if err != nil {
				return plan, usagef("--%s: %v", f.flag, err)
			}
			*f.dst = vs
		}
	}
	if c.Bool("blocks") {
		p.Grid.Decomposed, p.Grid.Validation = false, 0
	}
	if c.IsSet("validation") {
		p.Grid.Validation = c.Int("validation")
	}
	if c.IsSet("models") {
		p.Grid.Models = nil
		for _, name := range strings.Split(c.String("models"), ",") {
			if name = strings.TrimSpace(name); name == "none" || name == "" {
				continue
			}
			s, err := arch.Preset(name)
			if err != nil {
				return plan, usagef("--models: %v", err)
			}
			if s.Tokens() != p.Geometry.Tokens() || s.Image != p.Geometry.Image || s.Patch != p.Geometry.Patch {
				return plan, usagef("--models: %s has %d tokens of %d² images; the sweep measures %d tokens of %d²", name, s.Tokens(), s.Image, p.Geometry.Tokens(), p.Geometry.Image)
			}
			p.Grid.Models = append(p.Grid.Models, s)
		}
	}
	if err := p.Grid.Validate(); err != nil {
		if c.String("preset") == "" {
			return plan, usagef("%v: give --preset or all of --emb, --heads, --qk, --v, --mlp", err)
		}
		return plan, usageError{err}
	}
	plan.configs = p.Grid.Configs()
	if s := c.String("shard"); s != "" {
		i, n, err := parseShard(s)
		if err != nil {
			return plan, usageError{err}
		}
		if plan.configs, err = profiler.Shard(plan.configs, i, n); err != nil {
			return plan, usageError{err}
		}
	}

	h := tablefmt.Header{Version: tablefmt.FormatVersion, Runtime: "gomlx",
		Image: p.Geometry.Image, Patch: p.Geometry.Patch, Channels: p.Geometry.Channels, Classes: p.Geometry.Classes,
		Tokens: p.Geometry.Tokens(), NVitProfVersion: version, Time: time.Now().UTC().Round(time.Second)}
	h.Host, _ = os.Hostname()
	h.Method = tablefmt.Method{Name: "differential", NoiseThreshold: c.Float64("noise")}
	if gpu {
		h.Batch, h.DType, h.Method.Depths, h.Method.Warmup, h.Method.Samples = 256, "bfloat16", []int{2, 10}, 3, 15
	} else {
		h.Batch, h.DType, h.Method.Depths, h.Method.Warmup, h.Method.Samples = p.CPUBatch, "float32", []int{1, 3}, 1, 2
		h.Method.Estimator, h.Method.Passes = tablefmt.EstimatorMin, 3
	}
	if c.IsSet("passes") {
		if c.Int("passes") < 1 {
			return plan, usagef("--passes must be at least 1")
		}
		h.Method.Passes = c.Int("passes")
	}
	if c.IsSet("estimator") {
		switch e := strings.ToLower(c.String("estimator")); e {
		case tablefmt.EstimatorMedian, tablefmt.EstimatorMin:
			h.Method.Estimator = e
		default:
			return plan, usagef("unknown --estimator %q: want median or min", c.String("estimator"))
		}
	}
	if c.IsSet("batch") {
		h.Batch = c.Int("batch")
	}
	if c.IsSet("dtype") {
		if _, err := profiler.ParseDType(c.String("dtype")); err != nil {
			return plan, usageError{err}
		}
		h.DType = strings.ToLower(c.String("dtype"))
	}
	if c.IsSet("depths") {
		d, err := profiler.ParseInts(c.String("depths"))
		if err != nil || len(d) != 2 || d[0] < 1 {
			return plan, usagef("--depths %q: want two positive depths such as 2,10", c.String("depths"))
		}
		h.Method.Depths = d
	}
	if c.IsSet("warmup") {
		h.Method.Warmup = c.Int("warmup")
	}
	if c.IsSet("samples") {
		h.Method.Samples = c.Int("samples")
	}
	if h.Batch < 1 || h.Method.Samples < 1 || h.Method.Warmup < 0 || h.Method.NoiseThreshold <= 0 {
		return plan, usagef("batch and samples must be positive, warm-up and noise not negative")
	}
	if len(p.Grid.Models) > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("rest and model rows use stack depths %d,%d", profiler.ModelDepths[0], profiler.ModelDepths[1]))
	}
	h.Notes = append(h.Notes, "preset "+p.Name)
	plan.header = h
	return plan, nil
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 <= I < N", s)
	}
	return i, n, nil
}

func runSweep(c *cli.Context) error {
	plan, err := planSweep(c)
	if err != nil {
		return err
	}
	outPath := c.String("out")
	if outPath == "" {
		return usagef("--out FILE is required: where the table goes")
	}
	if !c.Bool("resume") {
		for _, path := range passFiles(outPath, plan.header.Method.Passes) {
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("%s exists: add --resume to continue it, or choose another --out", path)
			}
		}
	}

	restore, err := limitThreads(c, plan.cpu)
	if err != nil {
		return err
	}
	defer restore()
	measurers, closeAll, err := startMeasurers(c, &plan)
	if err != nil {
		return err
	}
	defer closeAll()

	return inPasses(c.App.ErrWriter, outPath, plan.header, measurers, false,
		func(file string, h tablefmt.Header, ms []profiler.Measurer, only map[string]bool, label string) (tablefmt.Table, error) {
			return sweepPass(c, plan.configs, only, ms, h, file, label, c.App.ErrWriter, "rerun with --resume")
		})
}

// passFunc measures one pass into file under h with ms, labelled for
// progress. A non-nil only limits the pass to the configurations whose keys
// it holds.
type passFunc func(file string, h tablefmt.Header, ms []profiler.Measurer, only map[string]bool, label string) (tablefmt.Table, error)

// inPasses runs pass once for each of h's passes into the pass files of out
// (passFiles), each with a header note saying which pass it is, the last with
// measurers that combine each row's passes, and then reports how far apart
// the passes were (unless quiet). A pass whose configurations failed
// (*failedConfigs) does not stop the later ones, which measure only what it
// measured: a configuration that failed (out of memory, say) would fail again
// in every pass, and a row the earlier passes lack could not combine them as
// the table's header says (a --resume retries it in the first pass, and the
// later passes follow). The failures of every pass are the error at the end,
// once the table is written.
func inPasses(w io.Writer, out string, h tablefmt.Header, measurers []profiler.Measurer, quiet bool, pass passFunc) error {
	files := passFiles(out, h.Method.Passes)
	var earlier []tablefmt.Table
	var spread profiler.PassSpread
	var failed *failedConfigs
	for i, file := range files {
		label, ph, ms := "sweep", h, measurers
		if len(files) > 1 {
			label = fmt.Sprintf("sweep pass %d/%d", i+1, len(files))
			note := fmt.Sprintf("pass %d of %d; the table is %s", i+1, len(files), filepath.Base(out))
			if i == len(files)-1 {
				note = fmt.Sprintf("each row combines %d passes (each depth's fastest execution); the earlier ones are in %s.pass*%s", len(files),
					strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)), filepath.Ext(out))
			}
			ph.Notes = append(slices.Clone(h.Notes), note)
		}
		if i == len(files)-1 && len(earlier) > 0 {
			ms = make([]profiler.Measurer, len(measurers))
			for k, m := range measurers {
				ms[k] = profiler.FloorOfPasses(m, earlier, &spread)
			}
		}
		var only map[string]bool
		if i > 0 {
			only = keysOf(earlier[i-1])
		}
		t, err := pass(file, ph, ms, only, label)
		var f *failedConfigs
		if errors.As(err, &f) {
			failed = failed.join(f)
		} else if err != nil {
			return err
		}
		earlier = append(earlier, t)
	}
	if len(files) > 1 && !quiet {
		reportPassSpread(w, &spread, out)
	}
	if failed != nil {
		return failed
	}
	return nil
}

// failedConfigs is the error of a pass that went over all its configurations
// but could not measure some: its table holds the others.
type failedConfigs struct {
	failed []*profiler.ConfigError
	again  string // how to retry them
}

func (e *failedConfigs) Error() string {
	return fmt.Sprintf("%d configurations failed (first: %v); %s to retry them", len(e.failed), e.failed[0], e.again)
}

// join adds the failures of a later pass to e's (either may be nil). A later
// pass never tries what an earlier one failed (inPasses), so none repeats.
func (e *failedConfigs) join(later *failedConfigs) *failedConfigs {
	if e == nil {
		return later
	}
	return &failedConfigs{failed: append(slices.Clone(e.failed), later.failed...), again: e.again}
}

// keysOf is the set of t's row keys.
func keysOf(t tablefmt.Table) map[string]bool {
	keys := make(map[string]bool, len(t.Rows))
	for _, r := range t.Rows {
		keys[r.Key()] = true
	}
	return keys
}

// sumPhases adds up where the measurers that say so spent their time; ok is
// false when none does (external runners).
func sumPhases(ms []profiler.Measurer) (sum profiler.Phases, ok bool) {
	for _, m := range ms {
		for { // a wrapper (the last pass's floors) hides Phases behind its embedded interface
			w, wraps := m.(interface{ Unwrap() profiler.Measurer })
			if !wraps {
				break
			}
			m = w.Unwrap()
		}
		if p, has := m.(interface{ Phases() profiler.Phases }); has {
			sum, ok = sum.Add(p.Phases()), true
		}
	}
	return sum, ok
}

// passSpreadWarn is the median slowest/fastest pass ratio − 1 above which a
// sweep warns (see profiler.PassSpread for what quiet and busy runs gave).
const passSpreadWarn = 0.10

// reportPassSpread states how far apart the passes were and warns when the
// machine was too busy for them to agree.
func reportPassSpread(w io.Writer, spread *profiler.PassSpread, path string) {
	s, n := spread.Median()
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "%s: the passes of a configuration were %.1f%% apart (median over %d)\n", path, 100*s, n)
	if s > passSpreadWarn {
		fmt.Fprintf(w, "warning: more than %.0f%%: the machine was busy and this table may be off by that much; measure again at a quieter time or with more --passes\n", 100*passSpreadWarn)
	}
}

// passFiles are the tables of a sweep in passes passes into out: one per
// earlier pass beside it (t.jsonl: t.pass1.jsonl, ...), then out itself,
// whose rows combine every pass.
func passFiles(out string, passes int) []string {
	ext := filepath.Ext(out)
	var files []string
	for p := 1; p < passes; p++ {
		files = append(files, fmt.Sprintf("%s.pass%d%s", strings.TrimSuffix(out, ext), p, ext))
	}
	return append(files, out)
}

// sweepPass measures what the table at path lacks of configs (creating or
// resuming it) and returns the table as it ends. Its summary line goes to
// log; again says how to continue after an interruption or failures. A pass
// with failed configurations returns its table and a *failedConfigs.
func sweepPass(c *cli.Context, configs []tablefmt.Row, only map[string]bool, measurers []profiler.Measurer, h tablefmt.Header,
	outPath, label string, log io.Writer, again string) (tablefmt.Table, error) {
	w, res, err := tablefmt.Resume(outPath, h, tablefmt.WriterOptions{})
	if err != nil {
		return tablefmt.Table{}, err
	}
	defer w.Close()
	limited := configs
	if only != nil {
		limited = slices.DeleteFunc(slices.Clone(configs), func(r tablefmt.Row) bool { return !only[r.Key()] })
	}
	todo := profiler.Remaining(limited, res.Table)
	prog := newProgress(c.App.ErrWriter, label, len(todo), c.Bool("quiet"))
	if n := len(configs) - len(limited); n > 0 {
		prog.logf("%s: leaving out %d configurations the previous pass could not measure", outPath, n)
	}
	if n := len(limited) - len(todo); n > 0 {
		prog.logf("resuming %s: %d of %d configurations already measured", outPath, n, len(limited))
	}
	if res.Truncated > 0 {
		prog.logf("resuming %s: removed a torn last line (%d bytes)", outPath, res.Truncated)
	}
	if n := len(res.Skipped); n > 0 { // not progress: shown even with --quiet
		fmt.Fprintf(log, "resuming %s: %d unreadable rows kept as they are (first: %v); the configurations lacking a row will be measured again\n",
			outPath, n, res.Skipped[0])
	}
	start := time.Now()
	phasesBefore, _ := sumPhases(measurers)
	noisy := 0
	result, err := profiler.Sweep(c.Context, todo, measurers, w, profiler.SweepOptions{
		Progress: func(done, total int, row tablefmt.Row, rerr error) {
			if rerr != nil {
				if c.Context.Err() == nil { // after Ctrl-C, stopped runners are no news
					prog.logf("%s: %v", row.Key(), rerr)
				}
			} else if row.Noisy {
				noisy++
			}
			prog.step(done, row.Key())
		},
	})
	prog.finish()
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	el := time.Since(start)
	fmt.Fprintf(log, "%s: %d configurations measured in %s (%.1f/min) on %s, %d noisy, %d failed\n",
		outPath, result.Measured, el.Round(time.Second), float64(result.Measured)/el.Minutes(),
		h.DeviceName, noisy, len(result.Failed))
	if ph, ok := sumPhases(measurers); ok && result.Measured > 0 {
		fmt.Fprintf(log, "%s: time per configuration: %s\n", outPath, ph.Sub(phasesBefore).Per(result.Measured))
	}
	if err != nil {
		if errors.Is(err, c.Context.Err()) {
			return tablefmt.Table{}, fmt.Errorf("interrupted: %d rows are in %s; %s to continue", result.Measured, outPath, again)
		}
		return tablefmt.Table{}, err
	}
	t, err := readPassTable(outPath, res.Skipped, log)
	if err == nil && len(result.Failed) > 0 {
		err = &failedConfigs{failed: result.Failed, again: again}
	}
	return t, err
}

// readPassTable reads the table at path as a pass left it. Its unreadable
// lines that were there when the pass resumed it (before) are reported, not
// an error: Resume keeps every complete line, and whatever configuration such
// a line held lacked a row, so the pass measured it again (or it failed and
// the pass says so). Any other unreadable line is an error, as this run's
// rows are validated before they are written.
func readPassTable(path string, before []*tablefmt.SyntaxError, log io.Writer) (tablefmt.Table, error) {
	t, bad, err := tablefmt.ReadTable(path)
	if err != nil {
		return t, err
	}
	known := make(map[int]bool, len(before))
	for _, e := range before {
		known[e.Line] = true
	}
	fresh := slices.DeleteFunc(slices.Clone(bad), func(e *tablefmt.SyntaxError) bool { return known[e.Line] })
	if len(fresh) > 0 {
		return t, fmt.Errorf("%s: %d unreadable rows (first: %v)", path, len(fresh), fresh[0])
	}
	if len(bad) > 0 {
		fmt.Fprintf(log, "%s: %d unreadable rows kept as found at the start (first: %v); readers skip them\n", path, len(bad), bad[0])
	}
	return t, nil
}

// startMeasurers opens the device(s) and fills the header's device fields.
// One device runs in this process; several devices, an external runner or
// --workers > 1 run as runner processes.
func startMeasurers(c *cli.Context, plan *sweepPlan) ([]profiler.Measurer, func(), error) {
	h := &plan.header
	workers := c.Int("workers")
	if workers < 1 {
		return nil, nil, usagef("--workers must be at least 1")
	}
	if runnerCmd := c.String("runner"); runnerCmd != "" {
		argv := strings.Fields(runnerCmd)
		m, err := profiler.StartRunner(c.Context, argv, nil, *h, nil)
		if err != nil {
			return nil, nil, err
		}
		hello := m.Hello()
		h.Device, h.DeviceKind, h.DeviceName = "runner", "external", hello.DeviceName
		h.Runtime, h.Backend, h.PluginVersion = hello.Runtime, hello.Backend, hello.Version
		h.Notes = append(h.Notes, "runner: "+runnerCmd)
		return []profiler.Measurer{m}, func() { m.Close() }, nil
	}
	if len(plan.devices) == 1 && workers == 1 {
		dev, err := profiler.OpenDevice(plan.devices[0], profiler.DeviceOptions{Plugin: c.String("plugin")})
		if err != nil {
			return nil, nil, err
		}
		fillDevice(h, dev.Name, dev.Kind, dev.Hardware, dev.Backend.Name(), dev.Plugin, dev.PluginVersion)
		m, err := profiler.NewGoMLXMeasurer(dev, *h)
		if err != nil {
			dev.Close()
			return nil, nil, err
		}
		return []profiler.Measurer{m}, dev.Close, nil
	}
	// Runner processes of this very binary: one per device and worker.
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	var ms []profiler.Measurer
	var ext []*profiler.ExternalMeasurer
	var extDevice []string // the device each runner in ext measures
	closeAll := func() {
		for _, m := range ext {
			m.Close()
		}
	}
	for _, d := range plan.devices {
		gate := &profiler.TimingGate{} // one timing at a time per device, the other runners frozen
		for range workers {
			argv := []string{self, "runner", "--device", d}
			if p := c.String("plugin"); p != "" {
				argv = append(argv, "--plugin", p)
			}
			m, err := profiler.StartRunner(c.Context, argv, nil, *h, gate)
			if err != nil {
				closeAll()
				return nil, nil, err
			}
			ext = append(ext, m)
			extDevice = append(extDevice, d)
			ms = append(ms, m)
		}
	}
	hello := ext[0].Hello()
	for i, m := range ext[1:] { // the header below is the first runner's
		if err := profiler.SameDevice(extDevice[0], hello, extDevice[i+1], m.Hello()); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	kind, _, _ := profiler.ParseDevice(plan.devices[0])
	fillDevice(h, strings.Join(plan.devices, ","), kind, hello.DeviceName, hello.Backend, "", hello.Version)
	h.Notes = append(h.Notes, fmt.Sprintf("%d runner process(es) per device", workers))
	return ms, closeAll, nil
}

func fillDevice(h *tablefmt.Header, name, kind, hw, backend, plugin, pluginVersion string) {
	h.Device, h.DeviceKind, h.DeviceName, h.Backend, h.Plugin, h.PluginVersion = name, kind, hw, backend, plugin, pluginVersion
	if kind == profiler.KindCPU {
		h.Notes = append(h.Notes, fmt.Sprintf("GOMAXPROCS %d", runtime.GOMAXPROCS(0)))
	}
}
