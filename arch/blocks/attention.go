package blocks

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch"
)

// Attention is the pre-norm multi-head self-attention sub-block of a ViT block
// with residual: x + proj(softmax(Q·Kᵀ/√QK)·V), where Q, K and V are
// projections of LayerNorm(x) with b.Heads heads of b.QK (query, key) and b.V
// (value) channels. b.Heads == 0 returns x unchanged (no variables).
//
// Variables (see AttentionLayout): norm1/{scale,offset} and
// attn/{q,k,v,proj}/{weights,biases} under ctx, in x's dtype.
//
// Shape: x [batch, tokens, emb] → [batch, tokens, emb]
func Attention(ctx *context.Context, x *graph.Node, emb int, b arch.Block) *graph.Node {
	checkTokens("Attention", x, emb)
	if err := b.Validate(); err != nil {
		panicf("Attention: %v", err)
	}
	if b.Heads == 0 {
		return x
	}
	g := x.Graph()
	dt := x.DType()
	h, qk, vw := b.Heads, b.QK, b.V

	xn := layerNorm(ctx.In(ScopeNorm1), x) // Shape: [batch, tokens, emb]
	actx := ctx.In(ScopeAttn)
	project := func(scope string, width int) *graph.Node {
		c := actx.In(scope)
		w := weights(c, g, dt, emb, h, width)                    // Shape: [emb, heads, width]
		bias := biases(c, g, dt, h, width)                       // Shape: [heads, width]
		return addTrailing(einsum("bte,ehk->bthk", xn, w), bias) // Shape: [batch, tokens, heads, width]
	}
	// Three products rather than timm's fused qkv keep the pruner's per-head
	// layout; XLA's dot merger turns them into one GEMM over the concatenated
	// weights (seen on an H100, as for the same math in JAX).
	q := project(ScopeQ, qk) // Shape: [batch, tokens, heads, qk]
	k := project(ScopeK, qk) // Shape: [batch, tokens, heads, qk]
	v := project(ScopeV, vw) // Shape: [batch, tokens, heads, v]

	// Scale q rather than the logits (as timm does): tokens·qk instead of
	// tokens² multiplications per head.
	q = graph.MulScalar(q, 1/math.Sqrt(float64(qk)))
	logits := einsum("bthd,bshd->bhts", q, k)    // Shape: [batch, heads, tokens, tokens]
	probs := softmax(logits)                     // Shape: [batch, heads, tokens, tokens]
	mixed := einsum("bhts,bshv->bthv", probs, v) // Shape: [batch, tokens, heads, v]

	pctx := actx.In(ScopeProj)
	wo := weights(pctx, g, dt, h, vw, emb)                     // Shape: [heads, v, emb]
	bo := biases(pctx, g, dt, emb)                             // Shape: [emb]
	out := addTrailing(einsum("bthv,hve->bte", mixed, wo), bo) // Shape: [batch, tokens, emb]
	return graph.Add(x, out)
}

// MLP is the pre-norm MLP sub-block of a ViT block with residual:
// x + fc2(GELU(fc1(LayerNorm(x)))), with exact (erf) GELU and hidden width
// hidden. hidden == 0 returns x unchanged (no variables).
//
// Variables (see MLPLayout): norm2/{scale,offset} and
// mlp/{fc1,fc2}/{weights,biases} under ctx, in x's dtype.
//
// Shape: x [batch, tokens, emb] → [batch, tokens, emb]
func MLP(ctx *context.Context, x *graph.Node, emb, hidden int) *graph.Node {
	checkTokens("MLP", x, emb)
	if hidden < 0 {
		panicf("MLP: hidden width must not be negative, got %d", hidden)
	}
	if hidden == 0 {
		return x
	}
	g := x.Graph()
	dt := x.DType()
	xn := layerNorm(ctx.In(ScopeNorm2), x) // Shape: [batch, tokens, emb]
	mctx := ctx.In(ScopeMLP)

	c1 := mctx.In(ScopeFC1)
	w1 := weights(c1, g, dt, emb, hidden)                       // Shape: [emb, hidden]
	b1 := biases(c1, g, dt, hidden)                             // Shape: [hidden]
	hid := gelu(addTrailing(einsum("bte,em->btm", xn, w1), b1)) // Shape: [batch, tokens, hidden]

	c2 := mctx.In(ScopeFC2)
	w2 := weights(c2, g, dt, hidden, emb)                  // Shape: [hidden, emb]
	b2 := biases(c2, g, dt, emb)                           // Shape: [emb]
	out := addTrailing(einsum("btm,me->bte", hid, w2), b2) // Shape: [batch, tokens, emb]
	return graph.Add(x, out)
}

// Block is one transformer block: MLP(Attention(x)), with b's dimensions.
// Call it with ctx.In(BlockScope(i)) so that each block has its own variables
// (see BlockLayout).
//
// Shape: x [batch, tokens, emb] → [batch, tokens, emb]
func Block(ctx *context.Context, x *graph.Node, emb int, b arch.Block) *graph.Node {
	checkTokens("Block", x, emb)
	return MLP(ctx, Attention(ctx, x, emb, b), emb, b.MLP)
}
