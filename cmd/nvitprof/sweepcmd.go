package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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
thread unless --threads says otherwise: on a shared machine one thread's
timings repeat from run to run where several threads' do not.

With --accuracy P (or --budget) the sweep is adaptive: it measures a small
design over every axis, then, round after round, where the cost model is least
sure, until 95% of a validation sample (measured for that, never fitted) is
predicted within ±P%. The table holds only what was measured; its last line on
stderr states the validation accuracy and how much of the grid was measured.
--device replay:TABLE answers from an existing table (JSON Lines, CSV or NViT's
latency_head.json; replay:TABLE?noise=0.02&seed=1 adds seeded noise) instead of
measuring, to try sampling strategies.

Examples:
  nvitprof sweep --device cpu --preset quick --out quick.jsonl
  nvitprof sweep --device cuda:0 --preset nvit --out h100.jsonl
  nvitprof sweep --device cuda:0 --preset nvit --out h100.jsonl --resume
  nvitprof sweep --device cuda:0,cuda:1 --preset nvit --out two.jsonl
  nvitprof sweep --device cuda:0 --emb 768 --heads 12 --qk 8:64:8 --v 64 --mlp 2560:3328:16 --out fine.jsonl
  nvitprof sweep --runner "python3 my_torch_runner.py" --preset deit --out torch.jsonl
  nvitprof sweep --device cuda:0 --preset nvit --accuracy 5 --budget 10m --out h100.jsonl
  nvitprof sweep --device replay:latency_head.json --accuracy 5 --budget 190 --out replayed.jsonl`,
		Flags: append([]cli.Flag{
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
			&cli.StringFlag{Name: "shard", Category: grid, Usage: "measure shard `I/N` of the grid (0-based), to split it across machines; " +
				"auto reads a Slurm job array's task, auto/N a Kubernetes Indexed Job's index; join the shards with nvitprof merge"},
			&cli.IntFlag{Name: "batch", Category: timing, Usage: "images per execution (default: 256 on GPUs, the preset's on the CPU)"},
			&cli.StringFlag{Name: "dtype", Category: timing, Usage: "float32, bfloat16 or float16 (default: bfloat16 on GPUs, float32 on the CPU)"},
			&cli.StringFlag{Name: "depths", Category: timing, Usage: "the two stack depths of differential timing (default 2,10 on GPUs, 1,3 on the CPU)"},
			&cli.IntFlag{Name: "warmup", Category: timing, Usage: "untimed executions per depth (default 3 GPU, 1 CPU)"},
			&cli.IntFlag{Name: "samples", Category: timing, Usage: "timed pairs per configuration and pass (default 15 GPU, 2 CPU)"},
			&cli.IntFlag{Name: "passes", Category: timing, Usage: "times to go over the whole grid, taking each depth's fastest execution over them; earlier passes are kept as OUT.passN.jsonl (default 1 GPU, 3 CPU)"},
			&cli.DurationFlag{Name: "remeasure", Category: timing, Usage: "time the last pass may spend measuring again configurations whose passes disagree (default: as long as the longest earlier pass, at least 30s; 0: none)"},
			&cli.StringFlag{Name: "estimator", Category: timing, Usage: "how samples become a latency: median, or min (the floor; default on the CPU)"},
			clockFlag(timing),
			&cli.Float64Flag{Name: "noise", Category: timing, Value: profiler.DefaultNoise, Usage: "relative uncertainty above which a point is re-measured, then flagged noisy (median: IQR/median; min: gap to the second-fastest sample)"},
			withCategory(threadsFlag, timing),
			&cli.IntFlag{Name: "workers", Category: timing, Value: 1, Usage: "compiling processes per GPU; compilation, not timing, bounds GPU sweeps. One times at a time while the others are frozen (XLA autotuning runs kernels)"},
			&cli.StringFlag{Name: "runner", Category: timing, Usage: "measure with an external runner: pytorch[:device=cpu|cuda:N,threads=N,attention=eager|sdpa,compile] " +
				"(nvitprof's own, see runners/pytorch), or any `COMMAND` speaking docs/runner-protocol.md; the defaults follow the device it measures"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Category: out, Usage: "table `FILE` (JSON Lines); refuses to overwrite, see --resume"},
			&cli.BoolFlag{Name: "resume", Category: out, Usage: "continue the table in --out: measure only what it lacks (its header must agree)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: out, Usage: "no progress output"},
		}, adaptiveFlags()...),
		Action: runSweep,
	}
}

func runSweep(c *cli.Context) error {
	opts, err := sweepOptions(c)
	if err != nil {
		return err
	}
	plan, err := profiler.NewPlan(opts)
	if err != nil {
		return sweepUsage(adaptiveUsage(err), opts.Preset == "")
	}
	out := c.String("out")
	if out == "" {
		return usagef("--out FILE is required: where the table goes")
	}
	ro := profiler.RunOptions{Resume: c.Bool("resume"), Log: c.App.ErrWriter,
		Progress: passProgress(c.App.ErrWriter, c.Bool("quiet")), Again: "rerun with --resume"}
	if c.IsSet("remeasure") {
		if ro.Remeasure = new(c.Duration("remeasure")); *ro.Remeasure < 0 {
			return usagef("--remeasure %s: want a duration of at least 0", *ro.Remeasure)
		}
	}
	res, err := plan.Run(c.Context, out, ro)
	printPassSpread(c.App.ErrWriter, res, out)
	if oe := (*profiler.OptionError)(nil); errors.As(err, &oe) {
		return optionUsage(err) // the grid does not fit: a usage error
	}
	printAdaptive(c.App.ErrWriter, res)
	if errors.Is(err, profiler.ErrTableExists) {
		return fmt.Errorf("%w: add --resume to continue it, or choose another --out", err)
	}
	return err
}

// sweepOptions reads the sweep's flags; a flag that does not parse is a
// usage error.
func sweepOptions(c *cli.Context) (profiler.PlanOptions, error) {
	var err error
	opts := profiler.PlanOptions{Device: c.String("device"), Plugin: c.String("plugin"), Runner: strings.Fields(c.String("runner")),
		Preset: c.String("preset"), Blocks: c.Bool("blocks"), Validation: intFlag(c, "validation"),
		Batch: intFlag(c, "batch"), DType: c.String("dtype"), Warmup: intFlag(c, "warmup"), Samples: intFlag(c, "samples"),
		Passes: intFlag(c, "passes"), Estimator: c.String("estimator"), Clock: c.String("clock"), Noise: new(c.Float64("noise")),
		Workers: new(c.Int("workers")), WorkerCommand: selfRunner(c.String("plugin")), Threads: threadsOption(c), Version: version}
	for _, d := range []struct {
		flag string
		dst  *[]int
	}{{"emb", &opts.EMB}, {"heads", &opts.Heads}, {"qk", &opts.QK}, {"v", &opts.V}, {"mlp", &opts.MLP}} {
		if s := c.String(d.flag); s != "" {
			vs, err := profiler.ParseInts(s)
			if err != nil {
				return opts, usagef("--%s: %v", d.flag, err)
			}
			*d.dst = vs
		}
	}
	if c.IsSet("models") {
		opts.Models = strings.Split(c.String("models"), ",")
	}
	if s := c.String("shard"); s != "" {
		i, n, err := profiler.ParseShard(s, os.Getenv)
		if err != nil {
			return opts, usagef("--%v", err)
		}
		opts.Shard, opts.Shards = i, n
	}
	if opts.Adaptive, err = adaptiveOptions(c); err != nil {
		return opts, err
	}
	if c.IsSet("depths") {
		d, err := profiler.ParseInts(c.String("depths"))
		if err != nil || len(d) != 2 || d[0] < 1 {
			return opts, usagef("--depths %q: want two positive depths such as 2,10", c.String("depths"))
		}
		opts.Depths = d
	}
	if err := runnerOptions(c, &opts); err != nil {
		return opts, err
	}
	return opts, nil
}

// sweepUsage is optionUsage for a sweep: a custom grid (no preset) that
// lacks a dimension says which flags complete it.
func sweepUsage(err error, custom bool) error {
	var oe *profiler.OptionError
	if custom && errors.As(err, &oe) && oe.Option == "grid" {
		return usagef("%v: give --preset or all of --emb, --heads, --qk, --v, --mlp", oe.Err)
	}
	return optionUsage(err)
}

// selfRunner is the command line of this binary's runner on a device: the
// runner processes of a sweep over several devices or with --workers.
func selfRunner(plugin string) func(device string) []string {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return func(device string) []string {
		argv := []string{self, "runner", "--device", device}
		if plugin != "" {
			argv = append(argv, "--plugin", plugin)
		}
		return argv
	}
}

// passProgress follows each pass of a sweep on w: a bar on a terminal,
// log lines otherwise, nothing when quiet.
func passProgress(w io.Writer, quiet bool) func(label string, total int) profiler.Progress {
	return func(label string, total int) profiler.Progress { return passBar{newProgress(w, label, total, quiet)} }
}

// passBar is a progress as a profiler.Progress.
type passBar struct{ p *progress }

func (b passBar) Step(done int, key string)       { b.p.step(done, key) }
func (b passBar) Logf(format string, args ...any) { b.p.logf(format, args...) }
func (b passBar) Finish()                         { b.p.finish() }

// printPassSpread states how far apart the passes of a sweep into path were
// and warns when the machine was too busy for them to agree.
func printPassSpread(w io.Writer, res profiler.RunResult, path string) {
	if res.SpreadN == 0 {
		return
	}
	fmt.Fprintf(w, "%s: the passes of a configuration were %.1f%% apart (median over %d)\n", path, 100*res.Spread, res.SpreadN)
	a := res.Agreement
	if a.Configs == 0 { // a resumed last pass: only the spread is known
		if res.Busy() {
			fmt.Fprintf(w, "warning: more than %.0f%%: the machine was busy and this table may be off by that much; measure again at a quieter time or with more --passes\n",
				100*profiler.BusySpread)
		}
		return
	}
	if a.Again > 0 {
		fmt.Fprintf(w, "%s: %d measurements taken again in %d rounds where passes disagreed (%s of %s allowed)\n",
			path, a.Again, a.Rounds, a.Spent.Round(time.Second), a.Budget.Round(time.Second))
	}
	verdict := "the table is fit for use"
	if !a.Fit() {
		verdict = fmt.Sprintf("warning: the table is not fit for use (below %.0f%%): the machine was too busy; measure again at a quieter time, "+
			"or with more --passes or a longer --remeasure", 100*profiler.FitShare)
	}
	fmt.Fprintf(w, "%s: the two fastest passes agree within %.0f%% for %.1f%% of %d configurations: %s\n",
		path, 100*a.Threshold, 100*a.Share(), a.Configs, verdict)
}
