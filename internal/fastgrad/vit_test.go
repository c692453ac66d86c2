package fastgrad_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/nvitprof/nvitprof/internal/fastgrad"
)

// blockDims are the dimensions of a LayerNorm-free ViT block.
type blockDims struct{ B, T, E, H, D, M int }

// blockInputs returns the input x and the parameters of a block, in the order
// vitBlock takes them: x [B,T,E], wq wk wv [E,H,D], wo [H,D,E], w1 [E,M],
// b1 [M], w2 [M,E], b2 [E].
func blockInputs(d blockDims) []*tensors.Tensor {
	scale := func(t *tensors.Tensor, s float32) *tensors.Tensor {
		err := tensors.MutableFlatData(t, func(flat []float32) {
			for i := range flat {
				flat[i] *= s
			}
		})
		if err != nil {
			panic(err)
		}
		return t
	}
	ws := func(fanIn int) float32 { return float32(1 / math.Sqrt(float64(fanIn))) }
	return []*tensors.Tensor{
		randTensor[float32](10, d.B, d.T, d.E),
		scale(randTensor[float32](11, d.E, d.H, d.D), ws(d.E)),
		scale(randTensor[float32](12, d.E, d.H, d.D), ws(d.E)),
		scale(randTensor[float32](13, d.E, d.H, d.D), ws(d.E)),
		scale(randTensor[float32](14, d.H, d.D, d.E), ws(d.H*d.D)),
		scale(randTensor[float32](15, d.E, d.M), ws(d.E)),
		scale(randTensor[float32](16, d.M), 0.1),
		scale(randTensor[float32](17, d.M, d.E), ws(d.M)),
		scale(randTensor[float32](18, d.E), 0.1),
	}
}

type einsumFn func(equation string, lhs, rhs *graph.Node) *graph.Node

// vitBlock is projection → per-head attention → projection → MLP, with
// residuals and no LayerNorm, every product through einsum. It returns a
// scalar loss of the block's output.
func vitBlock(einsum einsumFn, in []*graph.Node) *graph.Node {
	x, wq, wk, wv, wo, w1, b1, w2, b2 := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8]
	q := einsum("bte,ehk->bthk", x, wq) // Shape: [B, T, H, D]
	k := einsum("bte,ehk->bthk", x, wk)
	v := einsum("bte,ehk->bthk", x, wv)
	logits := einsum("bthd,bshd->bhts", q, k) // Shape: [B, H, T, T]
	logits = graph.MulScalar(logits, 1/math.Sqrt(float64(q.Shape().Dim(-1))))
	attn := graph.Softmax(logits, -1)
	ctx := einsum("bhts,bshv->bthv", attn, v) // Shape: [B, T, H, D]
	x = graph.Add(x, einsum("bthv,hve->bte", ctx, wo))
	h := graph.Add(einsum("bte,em->btm", x, w1), graph.Reshape(b1, 1, 1, -1)) // Shape: [B, T, M]
	h = gelu(h)
	y := graph.Add(graph.Add(x, einsum("btm,me->bte", h, w2)), graph.Reshape(b2, 1, 1, -1)) // Shape: [B, T, E]
	return graph.ReduceAllSum(graph.Mul(y, weights(y)))
}

// gelu is the tanh approximation, from ops GoMLX can differentiate.
func gelu(x *graph.Node) *graph.Node {
	inner := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(graph.Mul(x, x), x), 0.044715)),
		math.Sqrt(2/math.Pi))
	return graph.Mul(graph.MulScalar(x, 0.5), graph.OnePlus(graph.Tanh(inner)))
}

// blockForward returns the loss; blockGradient the loss and its gradient with
// respect to x and every parameter (x too: a block inside a model passes its
// input gradient on).
func blockForward(einsum einsumFn) func([]*graph.Node) []*graph.Node {
	return func(in []*graph.Node) []*graph.Node { return []*graph.Node{vitBlock(einsum, in)} }
}

func blockGradient(einsum einsumFn) func([]*graph.Node) []*graph.Node {
	return func(in []*graph.Node) []*graph.Node {
		loss := vitBlock(einsum, in)
		return append([]*graph.Node{loss}, graph.Gradient(loss, in...)...)
	}
}

// TestViTBlockGradient: the loss gradient of a small ViT-like block built with
// fastgrad matches GoMLX's, for the input and every parameter.
func TestViTBlockGradient(t *testing.T) {
	const tol = 1e-5
	in := blockInputs(blockDims{B: 2, T: 5, E: 8, H: 2, D: 4, M: 16})
	want := execute(t, blockGradient(graph.Einsum), in...)
	got := execute(t, blockGradient(fastgrad.Einsum), in...)
	names := []string{"loss", "x", "wq", "wk", "wv", "wo", "w1", "b1", "w2", "b2"}
	for i, name := range names {
		e, _ := relErr(got[i], want[i])
		t.Logf("%s: relative error %.2g", name, e)
		checkClose(t, name, got[i], want[i], tol)
	}
}

// BenchmarkViTBlock times, interleaved in one loop, the forward pass of a
// ViT-block-shaped graph and its forward + backward with GoMLX's autodiff and
// with fastgrad, on the pure-Go backend, and reports each against the forward.
func BenchmarkViTBlock(b *testing.B) {
	in := blockInputs(blockDims{B: 16, T: 17, E: 64, H: 4, D: 16, M: 128})
	args := make([]any, len(in))
	for i, x := range in {
		args[i] = x
	}
	variants := []struct {
		name string
		fn   func([]*graph.Node) []*graph.Node
	}{
		{"fwd", blockForward(graph.Einsum)},
		{"fwd-fastgrad", blockForward(fastgrad.Einsum)},
		{"fwdbwd-gomlx", blockGradient(graph.Einsum)},
		{"fwdbwd-fastgrad", blockGradient(fastgrad.Einsum)},
	}
	execs := make([]*graph.Exec, len(variants))
	for i, v := range variants {
		e, err := graph.NewExec(backend(b), v.fn)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Finalize()
		execs[i] = e
	}
	run := func(e *graph.Exec) time.Duration {
		start := time.Now()
		outs, err := e.Exec(args...)
		elapsed := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			o.MustFinalizeAll()
		}
		return elapsed
	}
	for _, e := range execs { // Compile and warm up outside the timing.
		run(e)
	}
	total := make([]time.Duration, len(execs))
	n := 0
	for b.Loop() {
		for i, e := range execs {
			total[i] += run(e)
		}
		n++
	}
	ms := func(i int) float64 { return total[i].Seconds() * 1e3 / float64(n) }
	for i, v := range variants {
		b.ReportMetric(ms(i), "ms/"+v.name)
	}
	b.ReportMetric(ms(2)/ms(0), "x-fwd-gomlx")
	b.ReportMetric(ms(3)/ms(0), "x-fwd-fastgrad")
	if testing.Verbose() {
		fmt.Printf("fwd %.2f ms, fwd(fastgrad) %.2f ms, fwd+bwd GoMLX %.2f ms (%.1fx), fastgrad %.2f ms (%.1fx)\n",
			ms(0), ms(1), ms(2), ms(2)/ms(0), ms(3), ms(3)/ms(0))
	}
}
