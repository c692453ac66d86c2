package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func pruneCmd() *cli.Command {
	const sel, ft, out = "Selection", "Fine-tuning", "Output"
	return &cli.Command{
		Name:  "prune",
		Usage: "latency-aware global structural pruning (NViT) of a ViT, with a latency table or cost model as regulariser",
		Description: `Prunes EMB channels, heads, QK and V dimensions and MLP neurons, ranked together by NViT's
Hessian-aware saliency minus eta times the latency each group saves (from the cost model),
in --steps steps with fine-tuning after each, until the predicted latency is at most
--target times the dense model's. Writes into --out: log.jsonl (one line per step: dims,
predicted latency, loss, accuracy), step_NNN.safetensors (the last completed step), and at
the end pruned.safetensors (timm naming, physically smaller tensors) and pruned.json (NViT
dim file). Ctrl-C stops with every completed step on disk; --resume continues.
--eta 0 is the latency-blind baseline; --selection knapsack (HALP) removes the least saliency
for the latency to cut, ratio ranks by saliency per latency saved. A layer the cost model will not
narrow further (a width below its table's range) can still go whole (no heads, no MLP): a
sub-block's fixed cost is a latency cliff the table predicts. The table must be measured with
the model's tokens (sweep with its geometry: nvitprof sweep --emb ... with the same image/patch).
Examples:
  nvitprof prune --weights m/model.safetensors --arch m/model.json --table cpu.jsonl --target 0.5 --out pruned
  nvitprof prune --weights m/model.safetensors --model cpu-hw.json --target 0.5 --eta 0 --out blind
  nvitprof prune --weights m/model.safetensors --table cpu.jsonl --target 0.5 --selection knapsack --eta 0 --out halp
  nvitprof prune --weights m/model.safetensors --table cpu.jsonl --target 0.5 --out pruned --resume`,
		Flags: append(tableFlags(), kindFlag(),
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "cost model `FILE` written by nvitprof fit (instead of --table)"},
			&cli.StringFlag{Name: "weights", Aliases: []string{"w"}, Usage: "dense model `FILE` (safetensors, timm DeiT naming)"},
			&cli.StringFlag{Name: "arch", Aliases: []string{"a"}, Usage: "its architecture `FILE` (NViT dim JSON); default: the one recorded in the weights"},
			dataFlag, deviceFlag, pluginFlag,
			&cli.Float64Flag{Name: "target", Category: sel, Value: 0.5, Usage: "predicted latency to reach, as a fraction of the dense model's"},
			&cli.Float64Flag{Name: "eta", Category: sel, Value: pruner.DefaultEta, Usage: "latency weight of the normalised score I/mean(I) − eta·ΔLat/mean(ΔLat); 0 = latency-blind"},
			&cli.BoolFlag{Name: "raw-eta", Category: sel, Usage: "NViT's raw score I − eta·ΔLat[s] (NViT used eta 5e-4)"},
			&cli.StringFlag{Name: "selection", Category: sel, Value: string(pruner.SelectGreedy), Usage: "greedy (NViT's global ranking by I/Ī − eta·ΔLat/ΔLat̄), ratio (by (I/Ī) / (ΔLat/ΔLat̄)^eta: saliency per latency saved) or knapsack (HALP)"},
			&cli.IntFlag{Name: "steps", Category: sel, Value: pruner.DefaultOptions.Steps, Usage: "pruning steps"},
			&cli.StringFlag{Name: "groups", Category: sel, Usage: "group sizes, e.g. emb=16,heads=2,qk=8,v=8,mlp=16 (default: NViT's scaled to the model)"},
			&cli.IntFlag{Name: "saliency-batches", Category: sel, Value: pruner.DefaultOptions.Saliency.Batches, Usage: "mini-batches per saliency estimate"},
			&cli.IntFlag{Name: "finetune-steps", Category: ft, Value: pruner.DefaultOptions.FineTune.Steps, Usage: "fine-tuning steps after each pruning step"},
			&cli.IntFlag{Name: "final-steps", Category: ft, Value: pruner.DefaultOptions.Final.Steps, Usage: "fine-tuning steps after the last pruning step"},
			&cli.Float64Flag{Name: "lr", Category: ft, Value: pruner.DefaultOptions.FineTune.LR, Usage: "peak fine-tuning learning rate"},
			&cli.IntFlag{Name: "train-batch", Category: ft, Value: pruner.DefaultOptions.FineTune.BatchSize, Usage: "images per fine-tuning step"},
			&cli.BoolFlag{Name: "distill", Category: ft, Usage: "add KL distillation to the dense model while fine-tuning"},
			&cli.Uint64Flag{Name: "seed", Category: ft, Usage: "shifts every step's random streams (saliency batches, fine-tuning order); runs differing only in --seed show the run-to-run spread"},
			&cli.IntFlag{Name: "eval-images", Category: ft, Value: 2000, Usage: "test images each step is evaluated on (0: all)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Category: out, Usage: "output `DIR`"},
			&cli.BoolFlag{Name: "resume", Category: out, Usage: "continue the run in --out from its last completed step"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Category: out, Usage: "no progress output"},
		),
		Action: runPrune,
	}
}

// pruneOptions reads the selection and fine-tuning flags.
func pruneOptions(c *cli.Context) (pruner.Options, error) {
	opt := pruner.DefaultOptions
	opt.Target, opt.Eta, opt.RawEta, opt.Steps = c.Float64("target"), c.Float64("eta"), c.Bool("raw-eta"), c.Int("steps")
	if opt.Target <= 0 || opt.Target > 1 {
		return opt, usagef("--target %g: want a fraction of the dense latency in (0, 1]", opt.Target)
	}
	if opt.Eta < 0 {
		return opt, usagef("--eta must not be negative")
	}
	sel, err := pruner.ParseSelection(c.String("selection"))
	if err != nil {
		return opt, usageError{err}
	}
	opt.Selection = sel
	var ge *pruner.GroupSizesError
	if opt.Groups, err = pruner.ParseGroupSizes(c.String("groups")); errors.As(err, &ge) {
		return opt, usagef("--groups %q: %s", ge.Text, ge.Reason)
	}
	opt.Saliency.Batches = c.Int("saliency-batches")
	opt.FineTune.Steps, opt.Final.Steps = c.Int("finetune-steps"), c.Int("final-steps")
	opt.FineTune.LR, opt.Final.LR = c.Float64("lr"), c.Float64("lr")
	opt.FineTune.BatchSize, opt.Final.BatchSize = c.Int("train-batch"), c.Int("train-batch")
	opt.Distill = c.Bool("distill")
	opt.Seed = c.Uint64("seed")
	if opt.Steps < 1 || opt.Saliency.Batches < 1 || opt.FineTune.Steps < 0 || opt.Final.Steps < 0 || opt.FineTune.BatchSize < 1 {
		return opt, usagef("--steps, --saliency-batches and --train-batch must be positive, fine-tuning steps not negative")
	}
	return opt, nil
}

// loadWeights reads --weights for --arch (or the architecture the file records).
func loadWeights(path, archPath string) (*pruner.Weights, error) {
	w, err := pruner.LoadWeights(path, archPath)
	if errors.Is(err, pruner.ErrNoArch) {
		return nil, fmt.Errorf("%w: give one (--arch)", err)
	}
	return w, err
}

func runPrune(c *cli.Context) error {
	if c.String("weights") == "" {
		return usagef("--weights FILE is required: the dense model (safetensors)")
	}
	if c.String("out") == "" {
		return usagef("--out DIR is required: where the pruned model and log go")
	}
	opt, err := pruneOptions(c)
	if err != nil {
		return err
	}
	if c.String("table") == "" && c.String("model") == "" {
		return usagef("give the latency table (--table) or cost model (--model) the regulariser uses")
	}
	model, err := loadModel(c)
	if err != nil {
		return err
	}
	dense, err := loadWeights(c.String("weights"), c.String("arch"))
	if err != nil {
		return err
	}
	train, test, err := loadData(c.String("data"), dense.Spec)
	if err != nil {
		return err
	}
	opt.Eval = test.Head(c.Int("eval-images"))
	dev, err := openTrainDevice(c)
	if err != nil {
		return err
	}
	defer dev.Close()
	res, err := pruneRun(c, dev, dense, model, train, opt, c.String("out"), c.Bool("resume"), c.Bool("quiet"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s: %s, predicted %.4g ms = %.1f%% of dense (%.4g ms), top-1 %.2f%% (dense %.2f%%) on %d test images\n",
		filepath.Join(c.String("out"), pruner.PrunedWeights), dimLine(res.Weights.Spec), res.Final.PredictedMS,
		100*res.Final.Relative, res.Dense.PredictedMS, 100*res.Final.Accuracy, 100*res.Dense.Accuracy, opt.Eval.Len())
	return nil
}

// pruneRun runs the pruner into dir with progress lines on stderr, and
// draws the finished run's trajectory.
func pruneRun(c *cli.Context, dev *profiler.Device, dense *pruner.Weights, model costmodel.Predictor, train *pruner.Dataset,
	opt pruner.Options, dir string, resume, quiet bool) (*pruner.Result, error) {
	w := c.App.ErrWriter
	if quiet {
		w = io.Discard
	}
	opt.Dir, opt.Resume = dir, resume
	opt.Logf = func(format string, args ...any) { fmt.Fprintf(w, "prune: "+format+"\n", args...) }
	r, err := pruner.NewRun(dev.Backend, dense, model, train, opt)
	if err != nil {
		return nil, err
	}
	res, err := r.Run(c.Context)
	if err != nil {
		return nil, pruneError(err, dir)
	}
	var h tablefmt.Header
	if m, ok := model.(*costmodel.Model); ok {
		h = m.Header()
	}
	return res, writeTrajectoryFigure(dir, h, opt.Eval.Len())
}

// pruneError says which flag gets a stopped or refused run going.
func pruneError(err error, dir string) error {
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted: the completed steps are in %s; continue with --resume", dir)
	case errors.Is(err, pruner.ErrRunExists):
		return fmt.Errorf("%s already holds a run (%s): add --resume to continue it, or choose another output directory", dir, pruner.LogFile)
	}
	return err
}

// writeTrajectoryFigure draws a run's log.jsonl as trajectory.png beside it,
// its latencies predicted by a model of the table whose header is h, its
// accuracies scored on evalImages test images.
func writeTrajectoryFigure(dir string, h tablefmt.Header, evalImages int) error {
	tr, err := readTrajectory(filepath.Join(dir, pruner.LogFile))
	if err != nil {
		return err
	}
	tr.Batch, tr.Caption, tr.EvalImages = h.Batch, reports.DeviceCaption(h), evalImages
	return atomicfile.WriteFile(filepath.Join(dir, "trajectory.png"), func(w io.Writer) error {
		if err := reports.WriteTrajectory(w, reports.PNG, tr, reports.Options{}); err != nil {
			return fmt.Errorf("trajectory figure: %w", err)
		}
		return nil
	})
}
