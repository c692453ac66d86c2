package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/urfave/cli/v2"
)

func demoCmd() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "end-to-end demonstrations",
		Subcommands: []*cli.Command{{
			Name:  "prune-mnist",
			Usage: "train a ViT on MNIST, sweep its latencies on the CPU, prune it to half the predicted latency and compare",
			Description: `On the CPU (GoMLX's pure-Go backend), in --out:
  1. dense/: trains a small ViT on MNIST (28×28, four 14×14 patches, EMB 64, 4 blocks of 4 heads
     of 16, MLP 128) with AdamW and a cosine schedule;
  2. cpu.jsonl: sweeps attention and MLP sub-blocks and the rest of the model over the model's
     dimension range at its 5 tokens (differential timing; three passes, each row the fastest,
     the earlier ones kept as cpu.pass1.jsonl and cpu.pass2.jsonl), and fits the hw cost model;
  3. aware/: prunes to --target of the dense model's predicted latency with NViT's latency-aware
     score (--eta), fine-tuning after each step; knapsack/: with HALP's latency knapsack;
     blind/: the latency-blind baseline, eta 0 (latency only decides when to stop);
  4. evaluates the three models on the 10,000 test images and measures their whole-model
     latency side by side (differential: one and two models per execution), comparing the
     measured speedup with the predicted one; summary.json and summary.md hold the numbers.
Each stage is kept on disk: rerunning with the same --out continues where it stopped.
About 12 minutes on two cores.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "demo", Usage: "output `DIR`"},
				&cli.Float64Flag{Name: "target", Value: 0.5, Usage: "predicted latency to reach, as a fraction of the dense model's"},
				&cli.Float64Flag{Name: "eta", Value: pruner.DefaultEta, Usage: "latency weight of the latency-aware run"},
				&cli.IntFlag{Name: "train-steps", Value: 900, Usage: "training steps of the dense model"},
				&cli.IntFlag{Name: "finetune-steps", Value: 100, Usage: "fine-tuning steps after each of the 5 pruning steps"},
				&cli.IntFlag{Name: "final-steps", Value: 400, Usage: "fine-tuning steps after the last pruning step"},
				&cli.BoolFlag{Name: "distill", Usage: "fine-tune with KL distillation to the dense model"},
				&cli.IntFlag{Name: "batch", Value: 64, Usage: "images per execution when measuring latency"},
				threadsFlag,
				&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			},
			Action: runDemo,
		}},
	}
}

// demoSpec is the demo's dense model.
var demoSpec = arch.Spec{Name: "mnist-vit", Image: 28, Patch: 14, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 64,
	Blocks: arch.Uniform(4, arch.Block{Heads: 4, QK: 16, V: 16, MLP: 128})}

// demoGrid spans the demo model's dimensions for the cost model.
// (about a minute on two cores: small blocks at 5 tokens compile and run fast).
var demoGrid = profiler.Grid{EMB: []int{16, 24, 32, 40, 48, 56, 64}, Heads: []int{1, 2, 3, 4}, QK: []int{2, 4, 8, 12, 16},
	V: []int{2, 4, 8, 12, 16}, MLP: []int{8, 16, 32, 48, 64, 80, 96, 112, 128}, Decomposed: true, Validation: 8}

// demoModel is one model of the comparison.
type demoModel struct {
	Name        string   `json:"name"`
	Dim         arch.Dim `json:"dim"`
	Params      int64    `json:"params"`
	MACs        int64    `json:"macs"`
	Accuracy    float64  `json:"accuracy"`
	PredictedMS float64  `json:"predicted_ms"`
	MeasuredMS  float64  `json:"measured_ms"`
	SpreadMS    float64  `json:"measured_spread_ms"`
	PredSpeedup float64  `json:"predicted_speedup"`
	MeasSpeedup float64  `json:"measured_speedup"`
	spec        arch.Spec
}

type demoSummary struct {
	Device      string      `json:"device"`
	Cores       int         `json:"cores"`
	Threads     int         `json:"measure_threads"` // GOMAXPROCS while measuring
	Batch       int         `json:"batch"`
	Target      float64     `json:"target"`
	Eta         float64     `json:"eta"`
	TestImages  int         `json:"test_images"`
	Models      []demoModel `json:"models"`
	TrainS      float64     `json:"train_s"`
	SweepS      float64     `json:"sweep_s"`
	PruneS      float64     `json:"prune_s"`
	MeasureS    float64     `json:"measure_s"`
	TotalS      float64     `json:"total_s"`
	SweepRows   int         `json:"sweep_rows"`
	ModelSource string      `json:"cost_model"`
}

func runDemo(c *cli.Context) error {
	start := time.Now()
	out := c.String("out")
	quiet := c.Bool("quiet")
	logw := c.App.ErrWriter
	if quiet {
		logw = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "demo: "+format+"\n", args...) }
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	target, eta := c.Float64("target"), c.Float64("eta")
	if target <= 0 || target > 1 {
		return usagef("--target %g: want a fraction in (0, 1]", target)
	}
	sum := demoSummary{Cores: runtime.GOMAXPROCS(0), Batch: c.Int("batch"), Target: target, Eta: eta}

	// 1. The dense model.
	denseDir := filepath.Join(out, "dense")
	t0 := time.Now()
	var dense *pruner.Weights
	if w, err := pruner.LoadTimm(filepath.Join(denseDir, "model.safetensors"), &demoSpec); err == nil {
		logf("using the dense model in %s", denseDir)
		dense = w
	} else {
		logf("training %s (%s) on MNIST", demoSpec.Name, dimLine(demoSpec))
		opt := pruner.DefaultTrainOptions
		opt.Steps = c.Int("train-steps")
		opt.Warmup = max(1, opt.Steps/15)
		tr, err := trainModel(c, demoSpec, "mnist", opt, 1, denseDir, quiet)
		if err != nil {
			return err
		}
		logf("dense: test top-1 %.2f%% after %d steps (%s)", 100*tr.test.Accuracy, tr.train.Steps, tr.elapsed.Round(time.Second))
		dense = tr.weights
	}
	sum.TrainS = time.Since(t0).Seconds()
	trainSet, testSet, err := loadData("mnist", demoSpec)
	if err != nil {
		return err
	}
	sum.TestImages = testSet.Len()

	// 2. Sweep and fit. Measuring (this sweep, and the models side by side
	// below) uses --threads; training and fine-tuning every core.
	t0 = time.Now()
	tablePath := filepath.Join(out, "cpu.jsonl")
	var dev *profiler.Device
	defer func() { dev.Close() }()
	var h tablefmt.Header
	err = withThreads(c, true, func() (err error) {
		if dev, err = openCPU(); err != nil {
			return err
		}
		sum.Device, sum.Threads = dev.Hardware, runtime.GOMAXPROCS(0)
		h = demoHeader(dev, sum.Batch, 2)
		sum.SweepRows, err = demoSweep(c, dev, h, tablePath, logf, quiet)
		return err
	})
	if err != nil {
		return err
	}
	sum.SweepS = time.Since(t0).Seconds()
	tab, _, err := tablefmt.ReadTable(tablePath)
	if err != nil {
		return err
	}
	model, err := costmodel.Fit(tab, costmodel.FitOptions{Path: tablePath, Format: "jsonl"})
	if err != nil {
		return err
	}
	sum.ModelSource = string(model.Kind()) + " model of " + tablePath

	// 3. Prune: latency-aware and latency-blind.
	t0 = time.Now()
	opt := pruner.DefaultOptions
	opt.Target = target
	opt.Eval = testSet.Head(2000)
	opt.FineTune.Steps, opt.Final.Steps, opt.Distill = c.Int("finetune-steps"), c.Int("final-steps"), c.Bool("distill")
	runs := []struct {
		name string
		eta  float64
		sel  pruner.Selection
	}{{"aware", eta, pruner.SelectGreedy}, {"knapsack", 0, pruner.SelectKnapsack}, {"blind", 0, pruner.SelectGreedy}}
	results := map[string]*pruner.Result{}
	for _, r := range runs {
		o := opt
		o.Eta, o.Selection = r.eta, r.sel
		dir := filepath.Join(out, r.name)
		logf("pruning (%s selection, eta %g) into %s", r.sel, r.eta, dir)
		_, statErr := os.Stat(filepath.Join(dir, pruner.RunFile))
		res, err := pruneRun(c, dev, dense, model, trainSet, o, dir, statErr == nil, quiet)
		if err != nil {
			return err
		}
		results[r.name] = res
	}
	sum.PruneS = time.Since(t0).Seconds()

	// 4. Evaluate and measure side by side.
	t0 = time.Now()
	models := []demoModel{{Name: "dense", spec: dense.Spec}}
	weights := map[string]*pruner.Weights{"dense": dense}
	for _, r := range runs {
		models = append(models, demoModel{Name: r.name, spec: results[r.name].Weights.Spec})
		weights[r.name] = results[r.name].Weights
	}
	for i := range models {
		m := &models[i]
		ev, err := pruner.Evaluate(c.Context, dev.Backend, weights[m.Name], testSet, 500)
		if err != nil {
			return err
		}
		p, err := model.Latency(m.spec)
		if err != nil {
			return err
		}
		m.Dim, m.Params, m.MACs, m.Accuracy, m.PredictedMS = m.spec.Dim(), m.spec.Params(), m.spec.MACs(), ev.Accuracy, p.TotalMS
		logf("%s: %s, top-1 %.2f%%, predicted %.4g ms", m.Name, dimLine(m.spec), 100*m.Accuracy, m.PredictedMS)
	}
	if err := withThreads(c, true, func() error { return demoMeasure(c, dev, h, models, logf) }); err != nil {
		return err
	}
	for i := range models {
		models[i].PredSpeedup = models[0].PredictedMS / models[i].PredictedMS
		models[i].MeasSpeedup = models[0].MeasuredMS / models[i].MeasuredMS
	}
	sum.Models = models
	sum.MeasureS = time.Since(t0).Seconds()
	sum.TotalS = time.Since(start).Seconds()
	if err := writeDemoSummary(out, sum); err != nil {
		return err
	}
	printDemoSummary(c.App.Writer, sum)
	return nil
}

// demoHeader is the CPU table header for the demo geometry (a sweep's CPU defaults).
func demoHeader(dev *profiler.Device, batch, samples int) tablefmt.Header {
	s := demoSpec
	d := profiler.SweepDefaults(profiler.KindCPU, batch)
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Runtime: "gomlx", DType: d.DType, Batch: d.Batch,
		Tokens: s.Tokens(), Image: s.Image, Patch: s.Patch, Channels: s.Channels, Classes: s.Classes,
		NVitProfVersion: version, Time: time.Now().UTC().Round(time.Second), Method: d.Method}
	h.Method.Samples = samples
	h.Host, _ = os.Hostname()
	dev.SetHeader(&h)
	h.Notes = append(h.Notes, "demo prune-mnist")
	return h
}

// demoSweep measures demoGrid into path in h's passes (continuing tables
// already there) and returns the number of configurations.
func demoSweep(c *cli.Context, dev *profiler.Device, h tablefmt.Header, path string, logf func(string, ...any), quiet bool) (int, error) {
	m, err := profiler.NewGoMLXMeasurer(dev, h)
	if err != nil {
		return 0, err
	}
	configs := demoGrid.Configs()
	log := c.App.ErrWriter
	if quiet {
		log = io.Discard
	}
	logf("sweeping %d configurations into %s in %d passes", len(configs), path, max(h.Method.Passes, 1))
	res, err := profiler.SweepTable(c.Context, path, h, configs, []profiler.Measurer{m}, profiler.RunOptions{Resume: true, Log: log,
		Progress: passProgress(c.App.ErrWriter, quiet), Again: "rerun the demo with the same --out"})
	if !quiet {
		printPassSpread(c.App.ErrWriter, res, path)
	}
	return len(configs), err
}

// demoMeasure times every model as a whole (differential: one and two
// copies per execution), in two interleaved rounds, keeping the mean.
func demoMeasure(c *cli.Context, dev *profiler.Device, h tablefmt.Header, models []demoModel, logf func(string, ...any)) error {
	h.Method.Samples, h.Method.Warmup = 15, 2
	m, err := profiler.NewGoMLXMeasurer(dev, h)
	if err != nil {
		return err
	}
	const rounds = 2
	for round := range rounds {
		for i := range models {
			d := models[i].spec.Dim()
			p, err := m.Prepare(c.Context, tablefmt.Row{Kind: tablefmt.KindModel, Name: models[i].Name, EMB: d.EMB, Dim: &d})
			if err != nil {
				return fmt.Errorf("measure %s: %w", models[i].Name, err)
			}
			row, err := p.Time(c.Context)
			p.Close()
			if err != nil {
				return fmt.Errorf("measure %s: %w", models[i].Name, err)
			}
			models[i].MeasuredMS += row.MedianMS / rounds
			models[i].SpreadMS = max(models[i].SpreadMS, row.SpreadMS)
			if round == rounds-1 {
				logf("%s: measured %.4g ms per batch of %d (predicted %.4g)", models[i].Name, models[i].MeasuredMS, h.Batch, models[i].PredictedMS)
			}
		}
	}
	return nil
}

func writeDemoSummary(out string, s demoSummary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "summary.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "summary.md"))
	if err != nil {
		return err
	}
	defer f.Close()
	printDemoSummary(f, s)
	return f.Close()
}

func printDemoSummary(w io.Writer, s demoSummary) {
	fmt.Fprintf(w, "# nvitprof demo prune-mnist\n\nmeasured on %s (training on %d threads), batch %d; cost model: %s (%d configurations swept)\n",
		s.Device, s.Cores, s.Batch, s.ModelSource, s.SweepRows)
	fmt.Fprintf(w, "target %.2f × dense predicted latency; latency-aware eta %g; top-1 on %d MNIST test images\n\n", s.Target, s.Eta, s.TestImages)
	fmt.Fprintf(w, "| model | dims | params | top-1 | predicted ms | measured ms | predicted speedup | measured speedup |\n|---|---|---|---|---|---|---|---|\n")
	for _, m := range s.Models {
		fmt.Fprintf(w, "| %s | EMB %d, heads %v, QK %v, V %v, MLP %v | %d | %.2f%% | %.4g | %.4g ± %.2g | %.2f× | %.2f× |\n",
			m.Name, m.Dim.EMB, m.Dim.Head, m.Dim.QK, m.Dim.V, m.Dim.MLP, m.Params, 100*m.Accuracy, m.PredictedMS, m.MeasuredMS, m.SpreadMS, m.PredSpeedup, m.MeasSpeedup)
	}
	fmt.Fprintln(w)
	for _, m := range s.Models[1:] {
		what := map[string]string{"aware": fmt.Sprintf("NViT score, eta %g", s.Eta), "knapsack": "HALP knapsack", "blind": "eta = 0"}[m.Name]
		fmt.Fprintf(w, "%-8s (%s): top-1 %+.2f points vs dense; measured speedup %.2f× vs predicted %.2f× (%+.1f%%)\n",
			m.Name, what, 100*(m.Accuracy-s.Models[0].Accuracy), m.MeasSpeedup, m.PredSpeedup, 100*(m.MeasSpeedup/m.PredSpeedup-1))
	}
	// The pruning issue's third goal: latency-aware against blind at equal predicted latency.
	if i := slices.IndexFunc(s.Models, func(m demoModel) bool { return m.Name == "blind" }); i > 0 {
		b := s.Models[i]
		fmt.Fprintln(w)
		for _, m := range s.Models[1:] {
			if m.Name != b.Name {
				fmt.Fprintf(w, "%-8s - blind: top-1 %+.2f points at %.1f%% against %.1f%% of the dense model's predicted latency (one seed: bench/prune-pairs.sh repeats it)\n",
					m.Name, 100*(m.Accuracy-b.Accuracy), 100*m.PredictedMS/s.Models[0].PredictedMS, 100*b.PredictedMS/s.Models[0].PredictedMS)
			}
		}
	}
	fmt.Fprintf(w, "\ntimes: train %.0f s, sweep %.0f s, prune %.0f s, evaluate+measure %.0f s, total %.0f s\n",
		s.TrainS, s.SweepS, s.PruneS, s.MeasureS, s.TotalS)
}
