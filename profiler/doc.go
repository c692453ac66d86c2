// Package profiler measures how long ViT building blocks take on a device
// and writes what it measures as latency tables (package
// costmodel/tablefmt), one row per configuration.
//
// The layers, from the top: a Plan (NewPlan) turns PlanOptions into a
// table header and a list of configurations, applying the defaults of the
// device kind; Plan.Run opens the devices or starts runner processes and
// hands the configurations to SweepTable, which goes over them in passes,
// each pass a Sweep into its own table file; a Sweep feeds Measurers, which
// compile (Prepare) and time (Prepared.Time) one configuration at a time.
// MeasureModel times one whole model outside any table.
//
// # Devices
//
// A device is a GoMLX backend and the device of it that runs the graphs
// (OpenDevice, ParseDevice):
//
//   - "cpu" is GoMLX's pure-Go backend. It needs nothing installed and
//     downloads nothing. Its ops run one after another (matrix products
//     still use every core), since its parallel scheduler deadlocks on
//     graphs with independent branches of large products (gomlx v0.26.0).
//     It runs on GOMAXPROCS threads: WithThreads sets them while measuring,
//     and the device's name records them, so that tables measured with
//     other threads are not mixed.
//   - "cuda:N" is GoMLX's XLA backend with a CUDA PJRT plugin. The plugin is
//     found by FindCUDAPlugin in this order: an explicit path (the --plugin
//     flag), $NVITPROF_PJRT_PLUGIN, $PJRT_PLUGIN_LIBRARY_PATH, go-xla's
//     install folders, then Python site-packages holding JAX's plugin
//     (jax_plugins/xla_cuda*/xla_cuda_plugin.so, from `pip install
//     jax[cuda13]`). Nothing is downloaded: no plugin is a
//     *PluginNotFoundError naming every place searched. A process measures
//     one GPU, made the only visible one unless $CUDA_VISIBLE_DEVICES is set,
//     and asks the plugin to allocate memory on demand, so that several
//     processes can share a GPU. Built with -tags noxla, nvitprof has no CUDA devices and
//     needs no cgo.
//
// ListDevices describes the devices at hand.
//
// A replay, "replay:TABLE" (ParseReplay, ReplayMeasurer), measures nothing:
// it answers each configuration from a table in any format tablefmt.Open
// reads, so that sampling strategies can be tried and compared
// deterministically and fast. A table of whole blocks (NViT's
// latency_head.json) also answers attention, with its block without MLP;
// what the table cannot answer fails with ErrNotInTable. "?noise=N&seed=S"
// multiplies each answer by exp(N·z), z standard normal drawn from the
// seed, the configuration and how many times it was asked; everything
// after the last "?" is parameters, so a path holding one ends with "?". A
// replayed sweep's header is the table's (batch, dtype, tokens, method,
// device name) with device kind "replay" and a note naming the table;
// timing options are refused, Passes apply, Workers share the replay.
// Without a preset or dimension lists the grid is the table's own.
//
// # Measuring
//
// One execution of a graph costs host dispatch as well as device time, and
// for a small block the dispatch is most of it. So each configuration (an
// attention or MLP sub-block, a whole block, the rest of the model, a whole
// model; tablefmt.Kind) is built as a graph of the unit stacked at two
// depths, each copy with its own weights, and every sample is
//
//	(T(deep) − T(shallow)) / (deep − shallow)
//
// from an adjacent pair of executions (TimeDifferential): dispatch, and any
// drift, hits both alike and cancels. Copies with their own weights read
// their weights from memory as a real model does; one weight set shared by
// the copies would stay in cache and read too fast. The depths are 2 and 10
// on GPUs and 1 and 3 on the CPU (ModelDepths, 1 and 2, for the rest and
// whole models, which are large). Inputs and weights are deterministic and
// made on the host, so that compiling a configuration is one compilation.
//
// Before timing, warm-up executions absorb compilation, autotuning and
// caches. An Estimator turns the samples into the row's latency:
//
//   - median (tablefmt.EstimatorMedian, the GPU default) is the median of
//     the pair differences, right where noise is symmetric;
//   - min (tablefmt.EstimatorMin, the CPU default) is the difference of each
//     depth's fastest execution: on a shared machine other work only ever
//     adds time, so the floor repeats from run to run where the median does
//     not. The row records the floors (tablefmt.Floors).
//
// A measurement whose uncertainty is above the noise threshold (the
// median's IQR, or the gaps from each depth's fastest execution to its
// second fastest, relative to the latency) is taken again, up to twice: the median keeps the quietest round, the floor pools
// every round's executions. A row still above it is flagged noisy; a
// difference below zero (a tiny unit in noise) is clipped to 0 ms, noisy,
// with a note. On the CPU the Go collector runs between samples, not inside
// them.
//
// # Passes
//
// A shared machine has slow spells longer than one configuration takes to
// measure, which no number of samples in a row can see past. A sweep in
// several passes (tablefmt.Method.Passes; 3 on the CPU) goes over the whole
// grid each time. Every pass but the last writes its own table beside the
// output (PassFiles: t.pass1.jsonl, t.pass2.jsonl for t.jsonl); the last
// writes the table, each row combining the passes (FloorOfPasses,
// CombinePasses): with floors, each depth's fastest execution over all
// passes, the estimate one long pass would give; without, the fastest
// positive latency. The row lists each pass's own latency
// (tablefmt.Row.PassesMS), and RunResult.Spread how far apart the passes
// were: above BusySpread the machine was too busy for them to agree. A
// configuration that fails in one pass (out of memory, say) is left out of
// the later ones, which could not combine it.
//
// # Grids and presets
//
// A Grid holds the values of the five NViT dimensions (EMB; per block
// heads, QK and V per head, MLP). Decomposed, it lists attention over EMB ×
// heads × QK × V, MLP over EMB × MLP and the rest of the model per EMB, as
// NViT's latency table needs, plus validation blocks spread over the grid
// (a Halton sequence) that check attention + MLP add up; otherwise whole
// blocks over the full product. Models adds whole models. ParseInts reads
// dimension lists such as "128:3072:128". Sweep presets (SweepPresetNames)
// bundle a grid with its geometry and CPU batch: quick (small ViTs, a CPU
// sweep of about a minute), nvit (NViT's grid), deit (around DeiT-T/S/B),
// fine (steps of 8 and 16 around DeiT-B, for latency staircases).
// SweepDefaults gives the settings a sweep takes on each device kind unless
// told otherwise, DefaultDType and DefaultEstimator those of MeasureModel
// too.
//
// # Running a sweep
//
// Rows are appended and flushed as they are measured, so a sweep killed at
// any moment loses nothing it measured. RunOptions.Resume continues tables
// already there: their header must agree with the plan's (the device, its
// threads, dtype, batch, geometry, method), a torn last line is cut off,
// and a configuration whose row cannot be read is measured again. Without
// Resume a sweep refuses to write over any of its tables (ErrTableExists).
// Cancelling the context stops a sweep with its rows on disk and an error
// that unwraps to the context's; configurations that failed are a
// *FailedError once every pass has run. Options that cannot be used are an
// *OptionError naming the option.
//
// PlanOptions.Shard and Shards split a grid across machines, every n-th
// configuration to a shard (each gets a like mix of sizes); `nvitprof
// merge` joins the tables.
//
// On GPUs, XLA compilation with autotuning takes seconds per configuration
// where timing takes a fraction of a second, and XLA serialises most of the
// compilation within one process. Throughput comes from several runner
// processes per GPU (PlanOptions.Workers), compiling in parallel; a
// TimingGate lets one of them time at a time and freezes the others
// meanwhile (SIGSTOP), since compiling with autotuning runs kernels on the
// GPU that would land inside the timing. For the same reason nvitprof's
// measurer does not compile one configuration while it times another
// (Measurer.Overlap). Several GPUs are swept by runner processes each, into
// one table if they are the same device (SameDevice).
//
// # Adaptive sweeps
//
// PlanOptions.Adaptive measures a part of the grid, enough for the cost
// model (costmodel.Fit, hw) to predict the rest: AdaptiveOptions give a
// target (AccuracyPct: a Share, 95%, of a validation sample predicted
// within ±AccuracyPct%), a Budget of configurations, a Time, or several.
// The model interpolates each sub-block over the product of the values its
// rows measured, and fills a node no row measured from its neighbours,
// which is good for a node here and there and poor for a whole slab. So
// each sub-block's design stays a product: per axis the ends and the
// middle value to start (fewer when the budget is small: the middle values
// dropped, then half the corners), then, round after round, the interval
// of an axis whose estimated interpolation error is largest is bisected and
// the new slab measured. The error of an interval is estimated by leaving
// out the slab of a chosen value next to it and predicting that slab from
// the others (cross-validation along the axis), scaled to the interval's
// width. Decomposed grids sample attention and MLP sub-blocks; grids of
// whole blocks sample blocks without MLP (the attention) and blocks at the
// middle attention of each EMB (the MLP, by difference: costmodel.Decompose),
// and need MLP 0 in the grid. The rest of the model and whole models are
// measured in the first round; the grid's validation blocks default to
// none.
//
// The validation sample is drawn at random (Seed) from the configurations
// the table should predict, a tenth of them from 5 to 60 (Holdout),
// measured in the first round, marked in the table (tablefmt.Row.Validation)
// and never fitted. After each round the model fitted to the table predicts
// it; the sweep stops when the target is met, the budget or time is spent,
// or nothing is left to refine. RunResult.Adaptive says how it ended (its
// String is the sweep's last line); the table holds only the rows measured
// and its header records the sampling (tablefmt.Sampling), so that
// costmodel.Fit and Eval on the table reproduce the stated accuracy.
//
// A round's configurations are measured by SweepTable, so passes, workers
// and runners work as in any sweep: every pass measures each round's new
// configurations, and rows are fitted in key order whatever order workers
// finish them in. Resume re-reads the tables (the first pass's holds every
// configuration begun) and goes on from what they measured; it refuses a
// table sampled otherwise (ErrSamplingDiffers), and a sweep of the whole
// grid refuses to resume an adaptive table. An adaptive sweep cannot be
// sharded (ErrAdaptiveShards). AdaptiveOptions.Prior starts the model from
// another device's or batch's table, corrected by a smooth factor fitted
// to the rows measured (costmodel.FitPrior), with the smallest initial
// design.
//
// # External runners
//
// An external runner measures in another runtime (PyTorch, TensorRT, ...)
// so that a table describes the runtime a model will deploy on:
// PlanOptions.Runner starts it and speaks JSON Lines with it on its stdin
// and stdout (RunnerProtocol documents the messages; see also
// docs/runner-protocol.md in the repository). nvitprof's own runner
// processes speak the same protocol (ServeGoMLX), and
// profiler/testdata/formularunner is a minimal runner in Go. Runners run in
// their own process group, so that Ctrl-C reaches the sweep, which stops
// them; on Linux they die with it.
//
// See docs/measuring.md in the repository for how to measure well on a CPU
// or a GPU, costmodel/tablefmt for the table format, and cmd/nvitprof for
// the command line that drives this package.
package profiler
