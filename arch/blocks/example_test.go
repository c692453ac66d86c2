package blocks_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// A whole ViT's forward pass on GoMLX's pure-Go backend: the logits of two
// zero images, and the weights the graph created (timm's layout, per block).
// By hand: patch embedding 4²·16+16 = 272, cls token 16, position embedding
// 5·16 = 80; block 0: norms 2·32, Q and K 16·16+16 each, V 16·8+8, output
// projection 8·16+16, MLP 16·32+32 and 32·16+16: 1960; block 1 (no MLP, so
// no second norm): 32 + 3·(16·8+8) + 8·16+16 = 584; final norm 32 and head
// 16·3+3: 2995 parameters.
func ExampleModel() {
	backend, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := arch.Spec{Image: 8, Patch: 4, Channels: 1, Classes: 3, ExtraTokens: 1, EMB: 16,
		Blocks: []arch.Block{{Heads: 2, QK: 8, V: 4, MLP: 32}, {Heads: 1, QK: 8, V: 8, MLP: 0}}}
	ctx := context.New()
	exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, images *graph.Node) *graph.Node {
		return blocks.Model(ctx, images, s)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := exec.Exec(tensors.FromShape(shapes.Make(dtypes.Float32, 2, s.Channels, s.Image, s.Image)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("logits:", out[0].Shape())
	fmt.Println("weights:", len(blocks.Layout(s)), "variables,", s.Params(), "parameters")
	// Output:
	// logits: (Float32)[2 3]
	// weights: 34 variables, 2995 parameters
}
