package blocks

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Initialisation and numerics constants (timm's ViT / DeiT).
const (
	// LayerNormEpsilon is added to the variance in every LayerNorm (timm:
	// partial(nn.LayerNorm, eps=1e-6)).
	LayerNormEpsilon = 1e-6
	// InitStd is the standard deviation of the truncated-normal initialiser
	// of linear weights and of the cls, dist and position tokens.
	InitStd = 0.02
	// InitBound is the truncation bound of that initialiser. timm calls
	// trunc_normal_(std=.02) with its default bounds a=-2, b=2, which are
	// absolute values (±100 std), so the draw is effectively N(0, 0.02²).
	InitBound = 2.0
)

// panicf panics with an error value, which GoMLX's Exec recovers and returns.
func panicf(format string, args ...any) {
	panic(fmt.Errorf("blocks: "+format, args...))
}

// isHalf reports whether dt is a 16-bit float, whose LayerNorm statistics,
// softmax and GELU are computed in float32.
func isHalf(dt dtypes.DType) bool { return dt == dtypes.BFloat16 || dt == dtypes.Float16 }

// computeDType is the dtype elementwise numerics of inputs of dtype dt are
// computed in: float32 for half precision, dt otherwise.
func computeDType(dt dtypes.DType) dtypes.DType {
	if isHalf(dt) {
		return dtypes.Float32
	}
	return dt
}

// checkTokens panics unless x is a floating-point tensor of rank 3 whose last
// axis is emb.
func checkTokens(fn string, x *graph.Node, emb int) {
	if emb <= 0 {
		panicf("%s: emb must be positive, got %d", fn, emb)
	}
	s := x.Shape()
	if !s.DType.IsFloat() {
		panicf("%s: x must be a float tensor, got shape %s", fn, s)
	}
	if s.Rank() != 3 || s.Dimensions[2] != emb {
		panicf("%s: x must have shape [batch, tokens, %d], got %s", fn, emb, s)
	}
}

// truncNormal initialises like timm's trunc_normal_(std=InitStd): normal
// draws scaled by InitStd, clipped at ±InitBound. Draws are made in float32
// (float64 for float64 variables) with the context's RNG and converted to the
// variable's dtype.
func truncNormal(ctx *context.Context) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		draw := shape.Clone()
		if shape.DType != dtypes.Float64 {
			draw.DType = dtypes.Float32
		}
		v := graph.MulScalar(ctx.RandomNormal(g, draw), InitStd)
		v = graph.ClipScalar(v, -InitBound, InitBound)
		return graph.ConvertDType(v, shape.DType)
	}
}

func zerosInit(g *graph.Graph, shape shapes.Shape) *graph.Node { return graph.Zeros(g, shape) }
func onesInit(g *graph.Graph, shape shapes.Shape) *graph.Node  { return graph.Ones(g, shape) }

// variable returns the value in g of the variable name in ctx's scope,
// created (if new) with the given initialiser, dtype and dimensions.
func variable(ctx *context.Context, g *graph.Graph, name string, init context.VariableInitializer,
	dtype dtypes.DType, dims ...int) *graph.Node {
	v := ctx.WithInitializer(init).VariableWithShape(name, shapes.Make(dtype, dims...))
	return v.ValueGraph(g)
}

// weights returns a linear-weight variable (truncated normal).
func weights(ctx *context.Context, g *graph.Graph, dtype dtypes.DType, dims ...int) *graph.Node {
	return variable(ctx, g, VarWeights, truncNormal(ctx), dtype, dims...)
}

// biases returns a bias variable (zeros).
func biases(ctx *context.Context, g *graph.Graph, dtype dtypes.DType, dims ...int) *graph.Node {
	return variable(ctx, g, VarBiases, zerosInit, dtype, dims...)
}

// layerNorm normalises x over its last axis with LayerNormEpsilon and applies
// the learned scale (ones) and offset (zeros) of ctx's scope. For half-precision
// x the arithmetic is done in float32 and the result converted back.
//
// Shape: [..., emb] → [..., emb]
func layerNorm(ctx *context.Context, x *graph.Node) *graph.Node {
	scale, offset := layerNormVars(ctx, x.Graph(), x.DType(), x.Shape().Dimensions[x.Rank()-1])
	return normalize(x, scale, offset)
}

// layerNormVars returns the LayerNorm scale and offset of ctx's scope.
//
// Shape: scale [emb], offset [emb]
func layerNormVars(ctx *context.Context, g *graph.Graph, dt dtypes.DType, emb int) (scale, offset *graph.Node) {
	return variable(ctx, g, VarScale, onesInit, dt, emb), variable(ctx, g, VarOffset, zerosInit, dt, emb)
}

// normalize is LayerNorm with the given scale and offset.
//
// Shape: x [..., emb], scale [emb], offset [emb] → [..., emb]
func normalize(x, scale, offset *graph.Node) *graph.Node {
	dt := x.DType()
	cdt := computeDType(dt)
	xc := graph.ConvertDType(x, cdt)
	mean := graph.ReduceAndKeep(xc, graph.ReduceMean, -1)                        // Shape: [..., 1]
	centred := graph.Sub(xc, mean)                                               // Shape: [..., emb]
	variance := graph.ReduceAndKeep(graph.Square(centred), graph.ReduceMean, -1) // Shape: [..., 1]
	// Div(c, Sqrt(v+eps)), not Mul(c, Rsqrt(v+eps)): Rsqrt has no gradient in GoMLX v0.26.0.
	normed := graph.Div(centred, graph.Sqrt(graph.AddScalar(variance, LayerNormEpsilon)))
	normed = addTrailing(mulTrailing(normed, graph.ConvertDType(scale, cdt)), graph.ConvertDType(offset, cdt))
	return graph.ConvertDType(normed, dt)
}

// gelu is the exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2 (PyTorch's nn.GELU()
// default), computed in float32 for half-precision x.
func gelu(x *graph.Node) *graph.Node {
	dt := x.DType()
	xc := graph.ConvertDType(x, computeDType(dt))
	cdf := graph.MulScalar(graph.OnePlus(graph.Erf(graph.MulScalar(xc, 1/math.Sqrt2))), 0.5)
	return graph.ConvertDType(graph.Mul(xc, cdf), dt)
}

// softmax over the last axis, computed in float32 for half-precision logits.
func softmax(logits *graph.Node) *graph.Node {
	dt := logits.DType()
	return graph.ConvertDType(graph.Softmax(graph.ConvertDType(logits, computeDType(dt)), -1), dt)
}

// addTrailing adds b, whose axes are the trailing axes of x, to x.
//
// Shape: x [..., d...], b [d...] → [..., d...]
func addTrailing(x, b *graph.Node) *graph.Node {
	return graph.Add(x, graph.ExpandLeftToRank(b, x.Rank()))
}

// mulTrailing multiplies x by b, whose axes are the trailing axes of x.
//
// Shape: x [..., d...], b [d...] → [..., d...]
func mulTrailing(x, b *graph.Node) *graph.Node {
	return graph.Mul(x, graph.ExpandLeftToRank(b, x.Rank()))
}
