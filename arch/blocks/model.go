package blocks

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch"
)

// Model is the whole Vision Transformer s, from images to class logits:
//
//  1. patch embedding: a Patch×Patch convolution with stride Patch, written as
//     a reshape and one matrix product with weights [channels·P·P, emb] plus
//     bias;
//  2. the cls token (and for distilled models the dist token) prepended to the
//     patch tokens (order cls, dist, patches, as in DeiT), plus the learned
//     position embedding [tokens, emb];
//  3. s.Depth() blocks, block i under ctx.In(BlockScope(i));
//  4. the final LayerNorm and the classifier head on the cls token; distilled
//     models return (head(cls) + head_dist(dist)) / 2, DeiT's inference output.
//
// The final LayerNorm is applied to the cls (and dist) tokens only: LayerNorm
// acts per token, so this equals timm's norm-all-then-select with less work.
// The tokens are picked with a Gather rather than a Slice because Slice's
// gradient is a Pad, which GoMLX's pure-Go backend does not implement.
//
// Variables (see Layout) are created under ctx in the dtype of images.
// Model panics if s is invalid or images do not match it.
//
// Shape: images [batch, channels, image, image] (NCHW) → [batch, classes]
func Model(ctx *context.Context, images *graph.Node, s arch.Spec) *graph.Node {
	logits := ModelHeads(ctx, images, s)
	if len(logits) == 2 {
		return graph.MulScalar(graph.Add(logits[0], logits[1]), 0.5)
	}
	return logits[0]
}

// ModelHeads is Model with the logits of each classifier head apart: the
// cls token's head, then for distilled models the dist token's (Model's
// output is their mean). It creates the same variables as Model.
//
// Shape: images [batch, channels, image, image] (NCHW) → [batch, classes] per head
func ModelHeads(ctx *context.Context, images *graph.Node, s arch.Spec) []*graph.Node {
	if err := s.Validate(); err != nil {
		panicf("Model: %v", err)
	}
	is := images.Shape()
	if !is.DType.IsFloat() {
		panicf("Model: images must be a float tensor, got shape %s", is)
	}
	if is.Rank() != 4 || is.Dimensions[1] != s.Channels || is.Dimensions[2] != s.Image || is.Dimensions[3] != s.Image {
		panicf("Model: images must have shape [batch, %d, %d, %d] for %s, got %s",
			s.Channels, s.Image, s.Image, specName(s), is)
	}
	g := images.Graph()
	dt := is.DType
	batch, c, p, e := is.Dimensions[0], s.Channels, s.Patch, s.EMB
	n := s.Image / p // patches per side

	// Patch embedding.
	pctx := ctx.In(ScopePatchEmbed)
	pw := weights(pctx, g, dt, c*p*p, e)                 // Shape: [channels·P·P, emb]
	pb := biases(pctx, g, dt, e)                         // Shape: [emb]
	cells := graph.Reshape(images, batch, c, n, p, n, p) // Shape: [batch, c, row, i, col, j]
	kernel := graph.Reshape(pw, c, p, p, e)              // Shape: [c, i, j, emb]
	x := einsum("bcyixj,cije->byxe", cells, kernel)      // Shape: [batch, row, col, emb]
	x = addTrailing(graph.Reshape(x, batch, n*n, e), pb) // Shape: [batch, patches, emb]

	// Extra tokens and position embedding.
	token := func(name string) *graph.Node {
		t := variable(ctx, g, name, truncNormal(ctx), dt, e)                 // Shape: [emb]
		return graph.BroadcastToDims(graph.Reshape(t, 1, 1, e), batch, 1, e) // Shape: [batch, 1, emb]
	}
	parts := []*graph.Node{token(VarClsToken)}
	if s.Distilled() {
		parts = append(parts, token(VarDistToken))
	}
	x = graph.Concatenate(append(parts, x), 1)                                // Shape: [batch, tokens, emb]
	pos := variable(ctx, g, VarPosEmbed, truncNormal(ctx), dt, s.Tokens(), e) // Shape: [tokens, emb]
	x = addTrailing(x, pos)

	for i, b := range s.Blocks {
		x = Block(ctx.In(BlockScope(i)), x, e, b) // Shape: [batch, tokens, emb]
	}

	// Final norm on the extra tokens only, then the classifier head(s).
	scale, offset := layerNormVars(ctx.In(ScopeNorm), g, dt, e) // Shape: [emb] each
	head := func(scope string, tok int) *graph.Node {
		t := normalize(selectToken(x, tok), scale, offset) // Shape: [batch, emb]
		hctx := ctx.In(scope)
		w := weights(hctx, g, dt, e, s.Classes)          // Shape: [emb, classes]
		b := biases(hctx, g, dt, s.Classes)              // Shape: [classes]
		return addTrailing(einsum("be,ec->bc", t, w), b) // Shape: [batch, classes]
	}
	logits := []*graph.Node{head(ScopeHead, 0)}
	if s.Distilled() {
		logits = append(logits, head(ScopeHeadDist, 1))
	}
	return logits
}

func specName(s arch.Spec) string {
	if s.Name != "" {
		return s.Name
	}
	return "the spec"
}

// selectToken picks token tok of every sequence of x, with a Gather (whose
// gradient, a scatter-add, every backend runs).
//
// Shape: x [batch, tokens, emb] → [batch, emb]
func selectToken(x *graph.Node, tok int) *graph.Node {
	batch := x.Shape().Dimensions[0]
	indices := make([][]int32, batch) // Shape: [batch, 2], rows (b, tok)
	for b := range indices {
		indices[b] = []int32{int32(b), int32(tok)}
	}
	return graph.Gather(x, graph.Const(x.Graph(), indices), true)
}
