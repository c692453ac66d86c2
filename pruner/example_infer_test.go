package pruner_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gomlx/gomlx/backends"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/pruner"
)

// What the tensors of a timm-named file tell about its architecture: all
// but the number of heads, which comes from elsewhere (here, given).
func ExampleReadArch() {
	backend, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	s := arch.Spec{Image: 28, Patch: 14, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 64,
		Blocks: []arch.Block{{Heads: 4, QK: 16, V: 16, MLP: 128}, {Heads: 2, QK: 8, V: 16, MLP: 0}}}
	w, err := pruner.Init(backend, s, 1)
	if err != nil {
		log.Fatal(err)
	}
	ts, err := pruner.ToTimm(w)
	if err != nil {
		log.Fatal(err)
	}
	_, err = pruner.ReadArch(ts, pruner.FormatTimm, nil)
	fmt.Println(errors.Is(err, pruner.ErrNoArch), err)
	read, err := pruner.ReadArch(ts, pruner.FormatTimm, []int{4, 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s; %d×%d images, patch %d, %d extra token(s), %d classes\n",
		read.Dim(), read.Image, read.Image, read.Patch, read.ExtraTokens, read.Classes)
	// Output:
	// true the file does not record its architecture, and its tensors do not tell the number of heads: per block, heads×QK is [64 16] and heads×V [64 32]
	// EMB 64 head [4 2] QK [16 8] V [16 16] MLP [128 0]; 28×28 images, patch 14, 1 extra token(s), 10 classes
}

// Running given weights: load them (here the architecture is recorded in
// the file), then the logits of the fixed input and top-1 on test data.
func ExampleInfer() {
	l, err := pruner.Load("mnist-vit/model.safetensors", pruner.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	_, test, err := pruner.LoadData("mnist", l.Weights.Spec)
	if err != nil {
		log.Fatal(err)
	}
	backend, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	inf, err := pruner.Infer(context.Background(), backend, l.Weights, test.Head(1000), 64)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s naming, architecture %s\n", l.Format, l.ArchFrom)
	fmt.Printf("logits of %s: %v\n", inf.Input, inf.Logits.Output)
	fmt.Printf("top-1 %.2f%% on %d images\n", 100*inf.Eval.Accuracy, inf.Eval.N)
}
