package fastgrad_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/nvitprof/nvitprof/internal/fastgrad"
)

// contraction is one matrix product, built either by GoMLX (ref) or by
// fastgrad (fast). same marks a product of an operand with itself.
type contraction struct {
	name       string
	lhs, rhs   []int
	same       bool
	ref, fast  func(lhs, rhs *graph.Node) *graph.Node
	finiteDiff bool // also checked against finite differences in float64
}

func einsumCase(eq string, lhs, rhs []int) contraction {
	return contraction{
		name: "Einsum(" + eq + ")", lhs: lhs, rhs: rhs,
		ref:  func(l, r *graph.Node) *graph.Node { return graph.Einsum(eq, l, r) },
		fast: func(l, r *graph.Node) *graph.Node { return fastgrad.Einsum(eq, l, r) },
	}
}

func dotCase(lhs []int, lc, lb []int, rhs []int, rc, rb []int) contraction {
	return contraction{
		name: fmt.Sprintf("DotGeneral(%v,c%v,b%v;%v,c%v,b%v)", lhs, lc, lb, rhs, rc, rb),
		lhs:  lhs, rhs: rhs,
		ref:  func(l, r *graph.Node) *graph.Node { return graph.DotGeneral(l, lc, lb, r, rc, rb) },
		fast: func(l, r *graph.Node) *graph.Node { return fastgrad.DotGeneral(l, lc, lb, r, rc, rb) },
	}
}

func withFD(c contraction) contraction { c.finiteDiff = true; return c }

// contractions covers every product of a ViT (the equations of arch/blocks)
// plus DotGeneral layouts with batch and contracting axes out of place.
var contractions = []contraction{
	// Linear projections.
	withFD(einsumCase("bti,io->bto", []int{3, 5, 6}, []int{6, 4})),
	dotCase([]int{3, 5, 6}, []int{2}, nil, []int{6, 4}, []int{0}, nil),
	einsumCase("bte,em->btm", []int{2, 5, 6}, []int{6, 8}),
	einsumCase("btm,me->bte", []int{2, 5, 8}, []int{8, 6}),
	// Per-head projections [emb, heads, qk] and back (two contracting axes).
	withFD(einsumCase("bte,ehk->bthk", []int{2, 5, 6}, []int{6, 3, 4})),
	withFD(einsumCase("bthv,hve->bte", []int{2, 5, 3, 4}, []int{3, 4, 6})),
	// Attention products, batched over batch and heads.
	withFD(einsumCase("bthd,bshd->bhts", []int{2, 5, 3, 4}, []int{2, 6, 3, 4})),
	withFD(einsumCase("bhts,bshv->bthv", []int{2, 3, 5, 6}, []int{2, 6, 3, 4})),
	// Patch embedding (three contracting axes, not adjacent) and classifier.
	withFD(einsumCase("bcyixj,cije->byxe", []int{2, 3, 2, 2, 3, 2}, []int{3, 2, 2, 5})),
	einsumCase("be,ec->bc", []int{3, 6}, []int{6, 4}),
	// Batch axis in the middle, contracting axis first on lhs, last on rhs.
	withFD(dotCase([]int{4, 2, 3}, []int{0}, []int{1}, []int{5, 2, 4}, []int{2}, []int{1})),
	// Two contracting axes given in non-ascending order, negative axes.
	withFD(dotCase([]int{3, 4, 5}, []int{-1, 0}, nil, []int{5, 2, 3}, []int{0, -1}, nil)),
	withFD(dotCase([]int{3, 4, 5}, []int{0, 2}, nil, []int{5, 2, 3}, []int{2, 0}, nil)),
	// Two batch axes in swapped order on each side.
	withFD(dotCase([]int{2, 3, 4, 5}, []int{3}, []int{2, 0}, []int{4, 5, 2, 3}, []int{1}, []int{0, 2})),
	// Einsum extras: output permutation, an axis summed out first, outer and
	// inner products.
	einsumCase("ij,jk->ki", []int{3, 4}, []int{4, 5}),
	einsumCase("abc,cd->da", []int{2, 3, 4}, []int{4, 5}),
	einsumCase("i,j->ij", []int{3}, []int{4}),
	einsumCase("i,i->", []int{5}, []int{5}),
	// The same operand on both sides (a Gram matrix).
	func() contraction {
		c := withFD(einsumCase("btd,bsd->bts", []int{2, 4, 3}, []int{2, 4, 3}))
		c.same = true
		return c
	}(),
}

// productGraph returns a graph function computing the product, a scalar loss
// from it (loss(out) applied elementwise, weighted by weights(out)), and the
// loss's gradient with respect to each input: outputs [out, loss, ∂inputs...].
func productGraph(c contraction, op func(l, r *graph.Node) *graph.Node, dtype dtypes.DType,
	loss func(*graph.Node) *graph.Node) func([]*graph.Node) []*graph.Node {
	return func(in []*graph.Node) []*graph.Node {
		ops := make([]*graph.Node, len(in))
		for i, x := range in {
			ops[i] = graph.ConvertDType(x, dtype)
		}
		l, r := ops[0], ops[len(ops)-1]
		out := op(l, r)
		if out.DType() != dtype {
			panic(fmt.Sprintf("output dtype %s, want %s", out.DType(), dtype))
		}
		lossNode := graph.ReduceAllSum(graph.Mul(loss(out), weights(out)))
		grads := graph.Gradient(lossNode, ops...)
		res := []*graph.Node{out, lossNode}
		for _, g := range grads {
			res = append(res, g)
		}
		for i := range res {
			res[i] = graph.ConvertDType(res[i], in[0].DType())
		}
		return res
	}
}

func identity(x *graph.Node) *graph.Node { return x }

func inputs[T float32 | float64](c contraction) []*tensors.Tensor {
	if c.same {
		return []*tensors.Tensor{randTensor[T](1, c.lhs...)}
	}
	return []*tensors.Tensor{randTensor[T](1, c.lhs...), randTensor[T](2, c.rhs...)}
}

// TestMatchesGoMLX: forward values and the gradients of every operand equal
// GoMLX's own autodiff of graph.DotGeneral / graph.Einsum in float32.
func TestMatchesGoMLX(t *testing.T) {
	const tol = 1e-5
	for _, c := range contractions {
		t.Run(c.name, func(t *testing.T) {
			in := inputs[float32](c)
			want := execute(t, productGraph(c, c.ref, dtypes.Float32, identity), in...)
			got := execute(t, productGraph(c, c.fast, dtypes.Float32, identity), in...)
			checkClose(t, "output", got[0], want[0], tol)
			for i := 2; i < len(want); i++ {
				checkClose(t, fmt.Sprintf("gradient of operand %d", i-2), got[i], want[i], tol)
			}
		})
	}
}

// TestFiniteDifferences: in float64, the gradient of a nonlinear loss of the
// product equals central finite differences, element by element.
func TestFiniteDifferences(t *testing.T) {
	const (
		eps = 1e-6
		tol = 1e-7
	)
	for _, c := range contractions {
		if !c.finiteDiff {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			exec, err := graph.NewExec(backend(t), productGraph(c, c.fast, dtypes.Float64, graph.Tanh))
			if err != nil {
				t.Fatal(err)
			}
			defer exec.Finalize()
			in := inputs[float64](c)
			flat := make([][]float64, len(in))
			for i, x := range in {
				flat[i] = tensors.MustCopyFlatData[float64](x)
			}
			run := func() []*tensors.Tensor {
				args := make([]any, len(flat))
				for i, f := range flat {
					args[i] = tensors.FromFlatDataAndDimensions(f, in[i].Shape().Dimensions...)
				}
				outs, err := exec.Exec(args...)
				if err != nil {
					t.Fatal(err)
				}
				return outs
			}
			lossAt := func() float64 {
				outs := run()
				defer func() {
					for _, o := range outs {
						o.MustFinalizeAll()
					}
				}()
				return tensors.MustCopyFlatData[float64](outs[1])[0]
			}
			outs := run()
			for i := range flat {
				grad := tensors.MustCopyFlatData[float64](outs[2+i])
				fd := make([]float64, len(flat[i]))
				for j := range flat[i] {
					x0 := flat[i][j]
					flat[i][j] = x0 + eps
					up := lossAt()
					flat[i][j] = x0 - eps
					down := lossAt()
					flat[i][j] = x0
					fd[j] = (up - down) / (2 * eps)
				}
				checkClose(t, fmt.Sprintf("gradient of operand %d", i), grad, fd, tol)
			}
		})
	}
}

// TestDTypes: float64, float32, bfloat16 and float16 products keep their dtype,
// and their gradients match the float64 reference as closely as GoMLX's own
// gradients in that dtype do (within the dtype's rounding).
func TestDTypes(t *testing.T) {
	tols := map[dtypes.DType]float64{
		dtypes.Float64:  1e-12,
		dtypes.Float32:  1e-5,
		dtypes.BFloat16: 3e-2,
		dtypes.Float16:  4e-3,
	}
	var cases []contraction
	for _, c := range contractions {
		if strings.Contains(c.name, "bthd,bshd") || strings.Contains(c.name, "bthv,hve") ||
			strings.Contains(c.name, "c[3],b[2 0]") {
			cases = append(cases, c)
		}
	}
	if len(cases) != 3 {
		t.Fatalf("selected %d cases, want 3", len(cases))
	}
	for _, dtype := range []dtypes.DType{dtypes.Float64, dtypes.Float32, dtypes.BFloat16, dtypes.Float16} {
		for _, c := range cases {
			t.Run(dtype.String()+"/"+c.name, func(t *testing.T) {
				if !backend(t).Capabilities().DTypes[dtype] {
					t.Skipf("the pure-Go backend does not support %s", dtype)
				}
				in := inputs[float64](c)
				want := execute(t, productGraph(c, c.ref, dtypes.Float64, identity), in...)
				got := execute(t, productGraph(c, c.fast, dtype, identity), in...)
				ref := execute(t, productGraph(c, c.ref, dtype, identity), in...)
				for i := 2; i < len(want); i++ {
					gomlxErr, _ := relErr(ref[i], want[i])
					fastErr, _ := relErr(got[i], want[i])
					t.Logf("gradient of operand %d: error %.2g (GoMLX's own in %s: %.2g)", i-2, fastErr, dtype, gomlxErr)
					checkClose(t, fmt.Sprintf("gradient of operand %d", i-2), got[i], want[i], tols[dtype])
				}
			})
		}
	}
}

// TestBackwardIsMatrixProducts: the nodes the gradients of a fastgrad product
// depend on are never larger than the operands and the product together, and there are
// exactly two DotGenerals among them. GoMLX's own gradient of the linear
// projection builds an outer product larger than that, which shows the bound
// catches one.
func TestBackwardIsMatrixProducts(t *testing.T) {
	// backward returns the size of the largest node Gradient adds, the number of
	// DotGenerals among them, and the total size of operands and product.
	backward := func(c contraction, op func(l, r *graph.Node) *graph.Node) (largest, dots, bound int) {
		g := graph.NewGraph(backend(t), "backward")
		defer g.Finalize()
		l := graph.Parameter(g, "lhs", shapes.Make(dtypes.Float32, c.lhs...))
		r := graph.Parameter(g, "rhs", shapes.Make(dtypes.Float32, c.rhs...))
		out := op(l, r)
		loss := graph.ReduceAllSum(graph.Mul(out, weights(out)))
		first := graph.NodeId(len(g.Nodes()))
		grads := graph.Gradient(loss, l, r)
		// Walk what the gradients depend on (what a backend executes), back to
		// the nodes that existed before Gradient was called.
		seen := map[*graph.Node]bool{}
		stack := grads
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[n] || n.Id() < first {
				continue
			}
			seen[n] = true
			largest = max(largest, n.Shape().Size())
			if n.Type() == graph.NodeTypeDotGeneral {
				dots++
			}
			stack = append(stack, n.Inputs()...)
		}
		return largest, dots, l.Shape().Size() + r.Shape().Size() + out.Shape().Size()
	}
	for _, c := range contractions {
		if c.same {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			largest, dots, bound := backward(c, c.fast)
			if largest > bound {
				t.Errorf("backward has a node of %d elements > %d", largest, bound)
			}
			if dots != 2 {
				t.Errorf("backward has %d DotGenerals, want 2", dots)
			}
		})
	}
	linear := contractions[0]
	if largest, _, bound := backward(linear, linear.ref); largest <= bound {
		t.Errorf("GoMLX's backward of %s: largest node %d <= %d; the check above proves nothing",
			linear.name, largest, bound)
	}
}

// TestTwoGradientsOneGraph: two losses of the same product differentiated in
// one graph each get their own cotangent.
func TestTwoGradientsOneGraph(t *testing.T) {
	const eq = "bthd,bshd->bhts"
	build := func(einsum einsumFn) func([]*graph.Node) []*graph.Node {
		return func(in []*graph.Node) []*graph.Node {
			out := einsum(eq, in[0], in[1])
			loss1 := graph.ReduceAllSum(graph.Mul(out, weights(out)))
			loss2 := graph.ReduceAllSum(graph.Tanh(out))
			return append(graph.Gradient(loss1, in...), graph.Gradient(loss2, in...)...)
		}
	}
	in := []*tensors.Tensor{randTensor[float32](1, 2, 5, 3, 4), randTensor[float32](2, 2, 6, 3, 4)}
	want := execute(t, build(graph.Einsum), in...)
	got := execute(t, build(fastgrad.Einsum), in...)
	for i := range want {
		checkClose(t, fmt.Sprintf("gradient %d", i), got[i], want[i], 1e-5)
	}
}

func TestPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		lhs  []int
		rhs  []int
		fn   func(l, r *graph.Node) *graph.Node
		want string
	}{
		{"contracting mismatch", []int{2, 3}, []int{4, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.DotGeneral(l, []int{1}, nil, r, []int{0}, nil)
		}, "does not match"},
		{"axis out of range", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.DotGeneral(l, []int{2}, nil, r, []int{0}, nil)
		}, "out of range"},
		{"axis twice", []int{3, 3}, []int{3, 3}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.DotGeneral(l, []int{1}, []int{1}, r, []int{0}, []int{1})
		}, "used twice"},
		{"count mismatch", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.DotGeneral(l, []int{1}, nil, r, nil, nil)
		}, "contracting"},
		{"no arrow", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.Einsum("ij,jk", l, r)
		}, "->"},
		{"three operands", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.Einsum("ij,jk,kl->il", l, r)
		}, "2 operands"},
		{"rank mismatch", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.Einsum("ijk,jk->ik", l, r)
		}, "lhs has 3 axes"},
		{"repeated axis", []int{3, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.Einsum("ii,ik->ik", l, r)
		}, "appears twice"},
		{"unknown output axis", []int{2, 3}, []int{3, 5}, func(l, r *graph.Node) *graph.Node {
			return fastgrad.Einsum("ij,jk->iz", l, r)
		}, "in neither operand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.NewGraph(backend(t), "panics")
			defer g.Finalize()
			l := graph.Parameter(g, "lhs", shapes.Make(dtypes.Float32, tc.lhs...))
			r := graph.Parameter(g, "rhs", shapes.Make(dtypes.Float32, tc.rhs...))
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.HasPrefix(msg, "fastgrad: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("panic %q, want a \"fastgrad: \" message containing %q", msg, tc.want)
				}
			}()
			tc.fn(l, r)
		})
	}
}
