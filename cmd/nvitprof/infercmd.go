package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/urfave/cli/v2"
)

func inferCmd() *cli.Command {
	const in, out = "Weights", "Output"
	return &cli.Command{
		Name:  "infer",
		Usage: "run given ViT weights: logits of a fixed input (to compare with another framework) and top-1 on a dataset",
		Description: `Loads ViT weights (safetensors, timm's DeiT naming or NViT's pruned-class naming) and
runs their forward pass. It prints the first --show logits of each classifier head (head,
and head_dist for distilled models) and of the model's output (their mean) on a fixed input:
one image of the model's geometry whose pixel at NCHW index i = (c·H + y)·W + x is
((7919·i) mod 1024)/512 − 1, in PyTorch
  i = torch.arange(C*H*W); x = ((i*7919) % 1024).float().div(512).sub(1).reshape(1, C, H, W)
--logits FILE writes all of them as JSON. With --data it also prints top-1 on the test
split (or its first --images images).

The architecture is --arch's (geometry the file leaves out is read off the tensors), else
the one nvitprof records in the files it writes, else read off the tensors: patch size,
channels, EMB, the tokens (cls, plus dist when there is a dist_token), the image size (from
pos_embed), classes, depth and per block heads×QK, heads×V and the MLP width. The tensors
do not tell the number of heads (6 heads of 64 and 12 of 32 look alike): give --heads.
NViT's class scales attention by 64^-0.5 whatever QK is; its weights are read with that scale.
Examples:
  nvitprof infer --weights m/model.safetensors --data mnist
  nvitprof infer --weights deit_tiny.safetensors --heads 3 --logits logits.json
  nvitprof infer --weights pruned.safetensors --format nvit --arch dim.json --data folder:val`,
		Flags: []cli.Flag{
			forceFlag(),
			&cli.StringFlag{Name: "weights", Aliases: []string{"w"}, Category: in, Usage: "weights `FILE` (safetensors)"},
			&cli.StringFlag{Name: "arch", Aliases: []string{"a"}, Category: in, Usage: "architecture `FILE` (NViT dim JSON, optional geometry); default: recorded in the weights, or read off the tensors"},
			&cli.StringFlag{Name: "format", Category: in, Value: "auto", Usage: "the weights' naming: timm, nvit (NViT's pruned class) or auto (nvit when the file has attn.qkv.Q tensors)"},
			&cli.StringFlag{Name: "heads", Category: in, Usage: "heads per block, `N` for every block with attention or N,N,... one per block, when the architecture is read off the tensors"},
			&cli.StringFlag{Name: "data", Usage: "`DATA` to score top-1 on: mnist, folder:DIR or cifar10:DIR (default: none)"},
			&cli.IntFlag{Name: "images", Value: 0, Usage: "score the first `N` test images (0: the whole test split)"},
			&cli.IntFlag{Name: "batch", Aliases: []string{"b"}, Value: 64, Usage: "`B` images per execution when scoring"},
			&cli.IntFlag{Name: "show", Category: out, Value: 5, Usage: "print the first `K` logits of each head"},
			&cli.StringFlag{Name: "logits", Category: out, Usage: "write every logit of the fixed input as JSON to `FILE` (- for stdout, instead of the text)"},
			deviceFlag, pluginFlag,
		},
		Action: runInfer,
	}
}

// inferOptions reads the flags that say how to load the weights.
func inferOptions(c *cli.Context) (pruner.LoadOptions, error) {
	var opt pruner.LoadOptions
	if c.String("weights") == "" {
		return opt, usagef("--weights FILE is required: the model to run (safetensors)")
	}
	if c.Int("show") < 0 || c.Int("images") < 0 || c.Int("batch") < 1 {
		return opt, usagef("--show and --images must not be negative, --batch must be positive")
	}
	f, err := pruner.ParseFormat(c.String("format"))
	if err != nil {
		return opt, usagef("unknown --format %q: want timm, nvit or auto", c.String("format"))
	}
	opt.Format, opt.ArchFile = f, c.String("arch")
	if text := c.String("heads"); text != "" {
		for _, field := range strings.Split(text, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil || n < 0 {
				return opt, usagef("--heads %q: want N or N,N,... (heads per block, not negative)", text)
			}
			opt.Heads = append(opt.Heads, n)
		}
	}
	return opt, nil
}

func runInfer(c *cli.Context) error {
	opt, err := inferOptions(c)
	if err != nil {
		return err
	}
	if err := checkOverwrite(c, "logits", c.String("logits")); err != nil {
		return err
	}
	l, err := pruner.Load(c.String("weights"), opt)
	if errors.Is(err, pruner.ErrNoArch) {
		return fmt.Errorf("%w: give --heads N (or --arch FILE)", err)
	}
	if err != nil {
		return err
	}
	var test *pruner.Dataset
	if spec := c.String("data"); spec != "" {
		if _, test, err = loadData(spec, l.Weights.Spec); err != nil {
			return err
		}
		if n := c.Int("images"); n > 0 {
			test = test.Head(n)
		}
	}
	dev, err := openTrainDevice(c)
	if err != nil {
		return err
	}
	defer dev.Close()
	inf, err := pruner.Infer(c.Context, dev.Backend, l.Weights, test, c.Int("batch"))
	if err != nil {
		return err
	}
	if path := c.String("logits"); path != "" {
		if err := writeInferJSON(c, path, c.String("weights"), l, inf); err != nil || path == "-" {
			return err
		}
	}
	writeInferText(c.App.Writer, c.String("weights"), c.String("data"), l, inf, c.Int("show"))
	return nil
}

// writeInferText prints what infer found, one labelled line each.
func writeInferText(w io.Writer, path, data string, l *pruner.Loaded, inf pruner.Inference, show int) {
	s := l.Weights.Spec
	fmt.Fprintf(w, "weights  %s: %s naming, architecture %s\n", path, l.Format, l.ArchFrom)
	fmt.Fprintf(w, "arch     %s; %d params\n", dimLine(s), l.Weights.NumParams())
	tokens := "cls"
	if s.Distilled() {
		tokens = "cls, dist"
	}
	fmt.Fprintf(w, "geometry %d×%d×%d images (C×H×W), patch %d, tokens %s + %d patches, %d classes\n",
		s.Channels, s.Image, s.Image, s.Patch, tokens, s.Patches(), s.Classes)
	fmt.Fprintf(w, "input    %d×%d×%d×%d, %s\n", inf.Shape[0], inf.Shape[1], inf.Shape[2], inf.Shape[3], inf.Input)
	fmt.Fprintf(w, "logits   the first %d of %d\n", min(show, s.Classes), s.Classes)
	row := func(name string, v []float32, note string) {
		fmt.Fprintf(w, "  %-10s", name)
		for _, x := range v[:min(show, len(v))] {
			fmt.Fprintf(w, " %15.7e", x)
		}
		fmt.Fprintf(w, "%s\n", note)
	}
	for _, h := range inf.Logits.Heads {
		row(h.Name, h.Logits, "")
	}
	if len(inf.Logits.Heads) > 1 {
		row("output", inf.Logits.Output, "  (mean of the heads)")
	}
	if ev := inf.Eval; ev != nil {
		fmt.Fprintf(w, "top-1    %.2f%% on %d test images of %s (loss %.4f)\n", 100*ev.Accuracy, ev.N, data, ev.Loss)
	}
}

// inferJSON is what --logits writes.
type inferJSON struct {
	Weights    string              `json:"weights"`
	Format     pruner.Format       `json:"format"`
	Arch       json.RawMessage     `json:"arch"`
	Input      string              `json:"input"`
	InputShape [4]int              `json:"input_shape"`
	Heads      []pruner.HeadLogits `json:"heads"`
	Output     []float32           `json:"output"`
	Top1       *float64            `json:"top1,omitempty"`
	Loss       *float64            `json:"loss,omitempty"`
	Images     int                 `json:"images,omitempty"`
}

// writeInferJSON writes inf as JSON to path, or to stdout for "-".
func writeInferJSON(c *cli.Context, path, weights string, l *pruner.Loaded, inf pruner.Inference) error {
	a, err := arch.MarshalFile(l.Weights.Spec)
	if err != nil {
		return err
	}
	j := inferJSON{Weights: weights, Format: l.Format, Arch: a, Input: inf.Input, InputShape: inf.Shape,
		Heads: inf.Logits.Heads, Output: inf.Logits.Output}
	if ev := inf.Eval; ev != nil {
		j.Top1, j.Loss, j.Images = &ev.Accuracy, &ev.Loss, ev.N
	}
	data, err := json.MarshalIndent(j, "", " ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = c.App.Writer.Write(data)
		return err
	}
	return writeOutput(c, "logits", path, writeBytes(data))
}
