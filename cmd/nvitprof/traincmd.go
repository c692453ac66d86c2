package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/urfave/cli/v2"
)

// dataFlag chooses the images a model trains and prunes on.
var dataFlag = &cli.StringFlag{Name: "data", Value: "mnist",
	Usage: "`DATA`: mnist (from the GoMNIST module, no download), folder:DIR (one sub-folder per class) or cifar10:DIR (CIFAR-10 binary batches)"}

// loadData reads --data for a model of s's geometry: the training set and
// the test set (an image folder keeps a tenth of its images for testing).
func loadData(spec string, s arch.Spec) (train, test *pruner.Dataset, err error) {
	kind, dir, _ := strings.Cut(spec, ":")
	switch kind {
	case "mnist":
		d, err := pruner.MNISTDir()
		if err != nil {
			return nil, nil, err
		}
		train, test, err = pruner.LoadMNIST(d)
		if err != nil {
			return nil, nil, err
		}
	case "cifar10":
		if dir == "" {
			return nil, nil, usagef("--data cifar10:DIR needs the folder of the binary batches")
		}
		if train, test, err = pruner.LoadCIFAR10(dir); err != nil {
			return nil, nil, err
		}
	case "folder":
		if dir == "" {
			return nil, nil, usagef("--data folder:DIR needs the image folder")
		}
		all, err := pruner.LoadImageFolder(dir, s.Image, s.Channels)
		if err != nil {
			return nil, nil, err
		}
		test, train = all.Split(max(1, all.Len()/10), 1)
	default:
		return nil, nil, usagef("unknown --data %q: want mnist, folder:DIR or cifar10:DIR", spec)
	}
	if train.Channels != s.Channels || train.Height != s.Image || train.Classes != s.Classes {
		return nil, nil, fmt.Errorf("%s has %d×%d×%d images in %d classes; the model takes %d×%d×%d in %d classes",
			spec, train.Channels, train.Height, train.Width, train.Classes, s.Channels, s.Image, s.Image, s.Classes)
	}
	return train, test, nil
}

// openCPU opens the pure-Go backend (ops run sequentially: see profiler.OpenDevice).
func openCPU() (*profiler.Device, error) { return profiler.OpenDevice("cpu", profiler.DeviceOptions{}) }

func trainCmd() *cli.Command {
	const model, opt = "Model", "Training"
	return &cli.Command{
		Name:  "train",
		Usage: "train a small ViT from scratch on the CPU (AdamW, cosine schedule) and write it as safetensors + arch JSON",
		Description: `Trains a ViT with nvitprof's own GoMLX graphs on GoMLX's pure-Go backend and writes
DIR/model.safetensors (timm DeiT naming) and DIR/model.json (the architecture, an NViT dim
file), ready for nvitprof prune. The default model takes MNIST's 28×28 digits as four
14×14 patches (5 tokens with the cls token): about 97% top-1 after a few minutes on two cores.
Examples:
  nvitprof train --out mnist-vit
  nvitprof train --data cifar10:cifar-10-batches-bin --image 32 --patch 4 --channels 3 --emb 96 --out cifar-vit`,
		Flags: []cli.Flag{
			dataFlag,
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
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
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
			opt := pruner.DefaultTrainOptions
			opt.Steps, opt.BatchSize, opt.LR, opt.WeightDecay = c.Int("steps"), c.Int("train-batch"), c.Float64("lr"), c.Float64("weight-decay")
			opt.Warmup = max(1, opt.Steps/15)
			opt.Seed = uint64(c.Int64("seed"))
			res, err := trainModel(c, s, c.String("data"), opt, c.Int64("seed"), out, c.Bool("quiet"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s: %s, %d params, test top-1 %.2f%% (%d images), trained %d steps (%.2f epochs) in %s\n",
				filepath.Join(out, "model.safetensors"), dimLine(s), s.Params(), 100*res.test.Accuracy, res.test.N,
				res.train.Steps, res.train.Epochs, res.elapsed.Round(time.Second))
			return nil
		},
	}
}

type trained struct {
	weights *pruner.Weights
	train   pruner.TrainResult
	test    pruner.EvalResult
	elapsed time.Duration
}

// trainModel trains s on data from scratch and writes DIR/model.safetensors and DIR/model.json.
func trainModel(c *cli.Context, s arch.Spec, data string, opt pruner.TrainOptions, seed int64, out string, quiet bool) (trained, error) {
	start := time.Now()
	trainSet, testSet, err := loadData(data, s)
	if err != nil {
		return trained{}, err
	}
	dev, err := openCPU()
	if err != nil {
		return trained{}, err
	}
	defer dev.Close()
	w, err := pruner.Init(dev.Backend, s, seed)
	if err != nil {
		return trained{}, err
	}
	prog := newProgress(c.App.ErrWriter, "train", opt.Steps, quiet)
	opt.Progress = func(step, steps int, loss float64) { prog.step(step, fmt.Sprintf("loss %.4f", loss)) }
	w, res, err := pruner.Train(c.Context, dev.Backend, w, trainSet, opt)
	prog.finish()
	if err != nil {
		return trained{}, err
	}
	ev, err := pruner.Evaluate(c.Context, dev.Backend, w, testSet, 500)
	if err != nil {
		return trained{}, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return trained{}, err
	}
	if err := pruner.SaveTimm(filepath.Join(out, "model.safetensors"), w); err != nil {
		return trained{}, err
	}
	a, err := arch.MarshalFile(s)
	if err != nil {
		return trained{}, err
	}
	if err := os.WriteFile(filepath.Join(out, "model.json"), append(a, '\n'), 0o644); err != nil {
		return trained{}, err
	}
	return trained{weights: w, train: res, test: ev, elapsed: time.Since(start)}, nil
}

// dimLine is an architecture's dims on one line.
func dimLine(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("EMB %d, heads %v, QK %v, V %v, MLP %v", d.EMB, d.Head, d.QK, d.V, d.MLP)
}
