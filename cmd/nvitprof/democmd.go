package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/nvitprof/nvitprof/examples/prunemnist"
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
     dimension range at its 5 tokens (differential timing; three passes combined depth by depth,
     the earlier ones kept as cpu.pass1.jsonl and cpu.pass2.jsonl), and fits the hw cost model;
  3. aware/: prunes to --target of the dense model's predicted latency with NViT's latency-aware
     score (--eta), fine-tuning after each step; knapsack/: with HALP's latency knapsack;
     blind/: the latency-blind baseline, eta 0 (latency only decides when to stop);
  4. evaluates the dense and the three pruned models on the 10,000 test images and measures
     their whole-model latency side by side (differential: one and two models per execution),
     comparing the measured speedup with the predicted one;
  5. trends/: what pruning kept, block by block (trends.png, trends.csv), and the NViT
     redistribution rule fitted to it (rule.json; use with generate --rule); pareto.png: the
     dense and pruned models beside a family generated from that rule.
summary.json and summary.md hold the numbers. Each stage is kept on disk: rerunning with
the same --out continues where it stopped. About a quarter of an hour on two cores.`,
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

// runDemo is the demo's command: flags → prunemnist.Options → Run → print.
func runDemo(c *cli.Context) error {
	quiet := c.Bool("quiet")
	logw := c.App.ErrWriter
	if quiet {
		logw = io.Discard
	}
	opt := prunemnist.Options{Out: c.String("out"), Target: c.Float64("target"), Eta: c.Float64("eta"),
		TrainSteps: c.Int("train-steps"), FineTuneSteps: c.Int("finetune-steps"), FinalSteps: c.Int("final-steps"),
		Distill: c.Bool("distill"), Batch: c.Int("batch"), Version: version, Threads: threadsOption(c),
		Logf:     func(format string, args ...any) { fmt.Fprintf(logw, "demo: "+format+"\n", args...) },
		SweepLog: logw, SweepProgress: passProgress(c.App.ErrWriter, quiet),
		Pruned: writeTrajectoryFigure,
	}
	if t := opt.Target; t <= 0 || t > 1 {
		return usagef("--target %g: want a fraction in (0, 1]", t)
	}
	var prog *progress // made when training starts: a trained model is reused
	opt.TrainProgress = func(step, steps int, loss float64) {
		if prog == nil {
			prog = newProgress(c.App.ErrWriter, "train", steps, quiet)
		}
		prog.step(step, fmt.Sprintf("loss %.4f", loss))
	}
	sum, err := prunemnist.Run(c.Context, opt)
	if prog != nil {
		prog.finish()
	}
	if sum != nil && !quiet {
		printPassSpread(c.App.ErrWriter, sum.Sweep, filepath.Join(opt.Out, "cpu.jsonl"))
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: rerun the demo with the same --out to continue: %w", err)
	}
	if err != nil {
		return optionUsage(err)
	}
	return sum.WriteMarkdown(c.App.Writer)
}
