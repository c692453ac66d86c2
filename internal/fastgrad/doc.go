// Package fastgrad provides matrix products whose gradients are matrix
// products.
//
// GoMLX v0.26.0 differentiates graph.DotGeneral (and so graph.Einsum, which is
// built on it) by broadcasting the output cotangent against the other operand
// and reduce-summing: an outer product materialised in memory. For a ViT block
// that makes forward + backward 11× the forward on the pure-Go backend and 45×
// on an H100, where JAX takes 3.3×. DotGeneral and Einsum here compute the same
// forward values as their graph counterparts and have the same calling
// conventions, but their backward pass is two DotGenerals (plus transposes and
// reshapes):
//
//	out = DotGeneral(lhs, lc, lb, rhs, rc, rb)  // [batch..., lhsFree..., rhsFree...]
//	∂lhs = DotGeneral(∂out, rhsFree positions, batch positions, rhs, rhsFree, rb), transposed to lhs's layout
//	∂rhs = DotGeneral(lhs, lhsFree, lb, ∂out, lhsFree positions, batch positions), transposed to rhs's layout
//
// Every contraction of a ViT goes through one call: projections
// ("bte,ehk->bthk", "bthv,hve->bte", "bte,em->btm"), the attention products
// ("bthd,bshd->bhts", "bhts,bshv->bthv"), the patch embedding
// ("bcyixj,cije->byxe") and the classifier ("be,ec->bc"). Any dtype DotGeneral
// accepts works (float32, float64, bfloat16, float16 are tested).
//
// # Usage
//
//	logits := fastgrad.Einsum("bthd,bshd->bhts", q, k)  // instead of graph.Einsum
//	grads := graph.Gradient(loss, params...)            // as usual
//
// # Design: why a custom-gradient identity, not VJPRegistration
//
// GoMLX offers two public levers.
//
// graph.VJPRegistration[graph.NodeTypeDotGeneral] could be replaced, but the
// VJP receives only the *graph.Node, and a DotGeneral node's contracting and
// batch axes live in an unexported struct; the only exported route to them is
// parsing Node.String(), which is not an API. Replacing the entry also mutates
// process-wide state that every graph (and every other package) shares, and
// writing the map while another goroutine differentiates a graph is a data
// race. Rejected.
//
// graph.IdentityWithCustomGradient(x, fn) replaces the gradient of one node,
// but it has a single input, and a matrix product must send gradients to two
// operands. fastgrad uses three such identities per product:
//
//	lhsTap := IdentityWithCustomGradient(lhs, fn: return ∂lhs from g)
//	rhsTap := IdentityWithCustomGradient(rhs, fn: return ∂rhs from g)
//	out    := IdentityWithCustomGradient(graph.DotGeneral(lhsTap, rhsTap), fn: g = v; return v)
//
// graph.Gradient walks the nodes in reverse creation order, so the output's
// identity sees the output cotangent g (and records it in a variable the
// three closures share) before the taps are reached. GoMLX then builds its own
// DotGeneral gradient from g, as the taps' incoming cotangent, but the taps
// ignore it and return DotGenerals of g with the other operand, so nothing
// depends on GoMLX's outer product and no backend computes it (the pure-Go
// backend skips nodes no output uses, XLA removes dead code). The forward pass
// is graph.DotGeneral's plus three identities (free on XLA; on the pure-Go
// backend an identity copies its input when the input has other users).
// Everything stays local to one product: no global state, no arithmetic on
// the values, and an operand used by several products (or twice by one, as in
// Einsum(eq, x, x)) gets the sum of their contributions.
//
// A first design concatenated the product and both operands into one vector
// and put a single identity on it, extracting the product with graph.Slice;
// it is self-contained but graph.Slice's gradient is graph.Pad, which the
// pure-Go backend of v0.26.0 does not implement.
//
// The backward products use graph.DotGeneral, so second derivatives are
// correct but fall back on GoMLX's own (slow) DotGeneral gradient.
//
// # The pure-Go backend: run ops sequentially
//
// The backward pass puts many independent DotGenerals side by side (∂lhs and
// ∂rhs of every product). GoMLX v0.26.0's pure-Go backend, in its default
// mode, runs ready ops concurrently on a pool of 2×NumCPU workers, and a small
// DotGeneral waits inside its worker for more workers: once 2×NumCPU of them
// are ready at once the execution deadlocks. The forward + backward of a ViT
// block built with fastgrad hangs this way on a two-core machine (GoMLX's own
// gradient, with fewer DotGenerals, does not). Create that backend with
// backends.NewWithConfig("go:ops_sequential"): ops then run one at a time,
// each still using every core. XLA is not affected.
//
// Programmer errors (mismatched shapes, bad axes, a malformed equation) panic
// with a "fastgrad:" prefix at graph-building time, as graph.DotGeneral and
// graph.Einsum do; graph.NewExec turns such panics into errors.
package fastgrad
