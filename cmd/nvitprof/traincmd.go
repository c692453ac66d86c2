package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/urfave/cli/v2"
)

// dataFlag chooses the images a model trains and prunes on.
var dataFlag = &cli.StringFlag{Name: "data", Value: "mnist",
	Usage: "`DATA`: mnist (from the GoMNIST module, no download), folder:DIR (one sub-folder per class) or cifar10:DIR (CIFAR-10 binary batches)"}

// loadData reads --data for a model of s's geometry (pruner.LoadData).
func loadData(spec string, s arch.Spec) (train, test *pruner.Dataset, err error) {
	train, test, err = pruner.LoadData(spec, s)
	var de *pruner.DataSpecError
	switch {
	case errors.As(err, &de) && de.Needs != "":
		return nil, nil, usagef("--data %s:DIR needs %s", de.Kind, de.Needs)
	case errors.As(err, &de):
		return nil, nil, usagef("unknown --data %q: want mnist, folder:DIR or cifar10:DIR", de.Spec)
	}
	return train, test, err
}

// openTrainDevice opens --device (with --plugin) for training, pruning or
// inference: the pure-Go backend on the CPU (also when the command has no
// --device), XLA with the CUDA plugin on a GPU.
func openTrainDevice(c *cli.Context) (*profiler.Device, error) {
	name := c.String("device")
	if name == "" {
		name = profiler.KindCPU
	}
	if _, _, err := profiler.ParseDevice(name); err != nil {
		return nil, usageError{fmt.Errorf("--device: %w", err)}
	}
	return profiler.OpenDevice(name, profiler.DeviceOptions{Plugin: c.String("plugin")})
}

func trainCmd() *cli.Command {
	const model, opt = "Model", "Training"
	return &cli.Command{
		Name:  "train",
		Usage: "train a small ViT from scratch (AdamW, cosine schedule) and write it as safetensors + arch JSON",
		Description: `Trains a ViT with nvitprof's own GoMLX graphs (float32) on --device: GoMLX's pure-Go
backend on the CPU, XLA with a CUDA PJRT plugin on cuda:N. It writes
DIR/model.safetensors (timm DeiT naming) and DIR/model.json (the architecture, an NViT dim
file), ready for nvitprof prune. The default model takes MNIST's 28×28 digits as four
14×14 patches (5 tokens with the cls token). A DIR that holds either file is refused
unless --force, which replaces them.
Examples:
  nvitprof train --out mnist-vit
  nvitprof train --data cifar10:cifar-10-batches-bin --image 32 --patch 4 --channels 3 --emb 96 --out cifar-vit`,
		Flags: []cli.Flag{
			dataFlag, deviceFlag, pluginFlag,
			&cli.IntFlag{Name: "image", Category: model, Value: 28, Usage: "image side"},
			&cli.IntFlag{Name: "patch", Category: model, Value: 14, Usage: "patch side"},
			&cli.IntFlag{Name: "channels", Category: model, Value: 1, Usage: "input channels"},
			&cli.IntFlag{Name: "classes", Category: model, Value: 10, Usage: "classes"},
			&cli.IntFlag{Name: "emb", Category: model, Value: 64, Usage: "EMB"},
			&cli.IntFlag{Name: "depth", Category: model, Value: 4, Usage: "blocks"},
			&cli.IntFlag{Name: "heads", Category: model, Value: 4, Usage: "heads per block"},
			&cli.IntFlag{Name: "qk", Category: model, Value: 16, Usage: "QK width per head"},
			&cli.IntFlag{Name: "v", Category: model, Value: 16, Usage: "V width per head"},
			&cli.IntFlag{Name: "mlp", Category: model, Value: 128, Usage: "MLP width"},
			&cli.IntFlag{Name: "steps", Category: opt, Value: 900, Usage: "optimisation steps"},
			&cli.IntFlag{Name: "train-batch", Category: opt, Value: 128, Usage: "images per step"},
			&cli.Float64Flag{Name: "lr", Category: opt, Value: 2e-3, Usage: "peak learning rate"},
			&cli.Float64Flag{Name: "weight-decay", Category: opt, Value: 0.05, Usage: "AdamW weight decay"},
			&cli.Int64Flag{Name: "seed", Category: opt, Value: 1, Usage: "initialisation and batch order"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (created; model files already there only with --force)"},
			forceFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: runTrain,
	}
}

func runTrain(c *cli.Context) error {
	out := c.String("out")
	if out == "" {
		return usagef("--out DIR is required: where the model goes")
	}
	s := arch.Spec{Name: "vit", Image: c.Int("image"), Patch: c.Int("patch"), Channels: c.Int("channels"),
		Classes: c.Int("classes"), ExtraTokens: 1, EMB: c.Int("emb"),
		Blocks: arch.Uniform(c.Int("depth"), arch.Block{Heads: c.Int("heads"), QK: c.Int("qk"), V: c.Int("v"), MLP: c.Int("mlp")})}
	if err := s.Validate(); err != nil {
		return usageError{err}
	}
	if err := checkOverwrite(c, "out", filepath.Join(out, pruner.ModelWeights), filepath.Join(out, pruner.ModelArch)); err != nil {
		return err
	}
	opt := pruner.DefaultTrainOptions
	opt.Steps, opt.BatchSize, opt.LR, opt.WeightDecay = c.Int("steps"), c.Int("train-batch"), c.Float64("lr"), c.Float64("weight-decay")
	opt.Warmup = max(1, opt.Steps/15)
	opt.Seed = uint64(c.Int64("seed"))
	res, err := trainModel(c, s, c.String("data"), opt, c.Int64("seed"), out, c.Bool("quiet"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s: %s, %d params, test top-1 %.2f%% (%d images), trained %d steps (%.2f epochs) in %s\n",
		filepath.Join(out, pruner.ModelWeights), dimLine(s), s.Params(), 100*res.test.Accuracy, res.test.N,
		res.train.Steps, res.train.Epochs, res.elapsed.Round(time.Second))
	return nil
}

// trained is a model trainModel trained, and how long it took from loading the data.
type trained struct {
	weights *pruner.Weights
	train   pruner.TrainResult
	test    pruner.EvalResult
	elapsed time.Duration
}

// trainModel trains s on data from scratch with a progress bar and writes
// DIR/model.safetensors and DIR/model.json (pruner.TrainModel).
func trainModel(c *cli.Context, s arch.Spec, data string, opt pruner.TrainOptions, seed int64, out string, quiet bool) (trained, error) {
	start := time.Now()
	trainSet, testSet, err := loadData(data, s)
	if err != nil {
		return trained{}, err
	}
	dev, err := openTrainDevice(c)
	if err != nil {
		return trained{}, err
	}
	defer dev.Close()
	prog := newProgress(c.App.ErrWriter, "train", opt.Steps, quiet)
	opt.Progress = func(step, steps int, loss float64) { prog.step(step, fmt.Sprintf("loss %.4f", loss)) }
	res, err := pruner.TrainModel(c.Context, dev.Backend, s, seed, trainSet, testSet, opt, out)
	prog.finish()
	if err != nil {
		return trained{}, err
	}
	return trained{weights: res.Weights, train: res.Train, test: res.Test, elapsed: time.Since(start)}, nil
}

// dimLine is an architecture's dims on one line.
func dimLine(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("EMB %d, heads %v, QK %v, V %v, MLP %v", d.EMB, d.Head, d.QK, d.V, d.MLP)
}
