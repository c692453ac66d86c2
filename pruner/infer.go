package pruner

import (
	stdctx "context"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// FixedImageFormula says what FixedImage holds, for a person.
const FixedImageFormula = "pixel i = ((7919·i) mod 1024)/512 − 1, i = (c·H + y)·W + x the NCHW index"

// FixedImage is one image of s's geometry to compare a model's logits with
// another framework's: the pixel at NCHW index i = (c·Image + y)·Image + x
// is ((7919·i) mod 1024)/512 − 1, in [−1, 1) and exact in float32. In
// PyTorch:
//
//	i = torch.arange(C * H * W)
//	x = ((i * 7919) % 1024).float().div(512).sub(1).reshape(1, C, H, W)
func FixedImage(s arch.Spec) []float32 {
	x := make([]float32, s.Channels*s.Image*s.Image)
	for i := range x {
		x[i] = float32((7919*i)%1024)/512 - 1
	}
	return x
}

// HeadLogits are the logits of one classifier head.
type HeadLogits struct {
	Name   string    `json:"name"`   // timm's: "head" (cls token), "head_dist" (dist token)
	Logits []float32 `json:"logits"` // one per class
}

// Logits are a model's outputs for one image.
type Logits struct {
	// Heads are the classifier heads' logits: head, then for distilled
	// models head_dist.
	Heads []HeadLogits `json:"heads"`
	// Output is the model's prediction: head, or the mean of both heads
	// (DeiT's inference output, and what NViT's evaluate scores).
	Output []float32 `json:"output"`
}

// Forward runs w's model on images, n images of w.Spec's geometry as one
// flat NCHW slice, and returns each image's logits.
func Forward(backend backends.Backend, w *Weights, images []float32) ([]Logits, error) {
	s := w.Spec
	size := s.Channels * s.Image * s.Image
	if len(images) == 0 || len(images)%size != 0 {
		return nil, fmt.Errorf("pruner: forward: %d values are not a whole number of %d×%d×%d images", len(images), s.Channels, s.Image, s.Image)
	}
	gctx, err := w.Context()
	if err != nil {
		return nil, err
	}
	spec := s.Clone()
	exec, err := context.NewExec(backend, gctx.Reuse(), func(ctx *context.Context, x *graph.Node) []*graph.Node {
		heads := blocks.ModelHeads(ctx, x, spec)
		out := heads[0]
		if len(heads) == 2 {
			out = graph.MulScalar(graph.Add(heads[0], heads[1]), 0.5) // as blocks.Model
		}
		return append(heads, out)
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	n := len(images) / size
	res, err := exec.Exec(tensors.FromFlatDataAndDimensions(images, n, s.Channels, s.Image, s.Image))
	if err != nil {
		return nil, fmt.Errorf("pruner: forward: %w", err)
	}
	names := []string{blocks.ScopeHead, blocks.ScopeHeadDist}
	flat := make([][]float32, len(res))
	for i, t := range res {
		flat[i] = tensors.MustCopyFlatData[float32](t)
	}
	out := make([]Logits, n)
	c := s.Classes
	for b := range out {
		for h := range len(res) - 1 {
			out[b].Heads = append(out[b].Heads, HeadLogits{Name: names[h], Logits: flat[h][b*c : (b+1)*c]})
		}
		out[b].Output = flat[len(res)-1][b*c : (b+1)*c]
	}
	return out, nil
}

// Inference is what Infer computes.
type Inference struct {
	Input  string      // how the fixed input is made: FixedImageFormula
	Shape  [4]int      // its shape, [1, channels, image, image]
	Logits Logits      // the model's logits on it
	Eval   *EvalResult // top-1 and loss on the data; nil without data
}

// Infer runs w on FixedImage and, with data, evaluates it on data in
// batches of batchSize (Evaluate).
func Infer(ctx stdctx.Context, backend backends.Backend, w *Weights, data *Dataset, batchSize int) (Inference, error) {
	s := w.Spec
	inf := Inference{Input: FixedImageFormula, Shape: [4]int{1, s.Channels, s.Image, s.Image}}
	out, err := Forward(backend, w, FixedImage(s))
	if err != nil {
		return inf, err
	}
	inf.Logits = out[0]
	if data == nil {
		return inf, nil
	}
	if batchSize < 1 {
		return inf, fmt.Errorf("pruner: infer: batch size %d: want at least 1", batchSize)
	}
	ev, err := Evaluate(ctx, backend, w, data, batchSize)
	if err != nil {
		return inf, err
	}
	inf.Eval = &ev
	return inf, nil
}
