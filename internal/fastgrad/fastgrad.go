package fastgrad

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// DotGeneral is graph.DotGeneral with a backward pass made of DotGenerals.
//
// Axes are given as in graph.DotGeneral (negative values count from the end);
// the output has the batch axes first (in lhsBatchAxes order), then the
// remaining lhs axes, then the remaining rhs axes, each in their original order.
func DotGeneral(lhs *graph.Node, lhsContractingAxes, lhsBatchAxes []int,
	rhs *graph.Node, rhsContractingAxes, rhsBatchAxes []int) *graph.Node {
	d := newDotDims(lhs, lhsContractingAxes, lhsBatchAxes, rhs, rhsContractingAxes, rhsBatchAxes)
	return d.dotWithGradient(lhs, rhs)
}

// Einsum is graph.Einsum with a backward pass made of DotGenerals.
//
// The equation has exactly two operands, "lhs,rhs->out", one rune per axis (no
// ellipsis, no repeated axis within an operand). Axes shared by both operands
// and kept in the output are batch axes; shared and absent from the output,
// contracted; present in one operand only and absent from the output, summed
// out first.
func Einsum(equation string, lhs, rhs *graph.Node) *graph.Node {
	ins, outStr, ok := strings.Cut(equation, "->")
	if !ok || strings.Contains(outStr, "->") {
		panic(fmt.Sprintf("fastgrad: Einsum(%q): want exactly one \"->\"", equation))
	}
	operands := strings.Split(ins, ",")
	if len(operands) != 2 {
		panic(fmt.Sprintf("fastgrad: Einsum(%q): want 2 operands, got %d", equation, len(operands)))
	}
	lDesc := parseAxes(equation, "lhs", operands[0])
	rDesc := parseAxes(equation, "rhs", operands[1])
	oDesc := parseAxes(equation, "output", outStr)
	if len(lDesc) != lhs.Rank() {
		panic(fmt.Sprintf("fastgrad: Einsum(%q): lhs has %d axes in the equation but shape %s", equation, len(lDesc), lhs.Shape()))
	}
	if len(rDesc) != rhs.Rank() {
		panic(fmt.Sprintf("fastgrad: Einsum(%q): rhs has %d axes in the equation but shape %s", equation, len(rDesc), rhs.Shape()))
	}
	for _, a := range oDesc {
		if !slices.Contains(lDesc, a) && !slices.Contains(rDesc, a) {
			panic(fmt.Sprintf("fastgrad: Einsum(%q): output axis %q is in neither operand", equation, a))
		}
	}

	// Axes in one operand only and not in the output are summed out first.
	lhs, lDesc = sumOutLoneAxes(lhs, lDesc, rDesc, oDesc)
	rhs, rDesc = sumOutLoneAxes(rhs, rDesc, lDesc, oDesc)

	var lc, lb, rc, rb []int
	var batch, lhsFree, rhsFree []rune
	for i, a := range lDesc {
		j := slices.Index(rDesc, a)
		switch {
		case j < 0:
			lhsFree = append(lhsFree, a)
		case slices.Contains(oDesc, a):
			lb, rb = append(lb, i), append(rb, j)
			batch = append(batch, a)
		default:
			lc, rc = append(lc, i), append(rc, j)
		}
	}
	for _, a := range rDesc {
		if !slices.Contains(lDesc, a) {
			rhsFree = append(rhsFree, a)
		}
	}
	out := DotGeneral(lhs, lc, lb, rhs, rc, rb)

	// DotGeneral's layout is [batch..., lhsFree..., rhsFree...]; permute to oDesc.
	dotDesc := slices.Concat(batch, lhsFree, rhsFree)
	perm := make([]int, len(oDesc))
	for i, a := range oDesc {
		perm[i] = slices.Index(dotDesc, a)
	}
	return transposeUnlessIdentity(out, perm)
}

// parseAxes returns the axis runes of one operand of an equation, rejecting
// repeated axes.
func parseAxes(equation, which, s string) []rune {
	desc := []rune(s)
	for i, a := range desc {
		if slices.Contains(desc[:i], a) {
			panic(fmt.Sprintf("fastgrad: Einsum(%q): %s axis %q appears twice", equation, which, a))
		}
	}
	return desc
}

// sumOutLoneAxes reduce-sums the axes of x (described by desc) that appear
// neither in other nor in out, and returns the reduced node and its description.
func sumOutLoneAxes(x *graph.Node, desc, other, out []rune) (*graph.Node, []rune) {
	var axes []int
	var kept []rune
	for i, a := range desc {
		if slices.Contains(other, a) || slices.Contains(out, a) {
			kept = append(kept, a)
		} else {
			axes = append(axes, i)
		}
	}
	if len(axes) == 0 {
		return x, desc
	}
	return graph.ReduceSum(x, axes...), kept
}

// dotDims holds the normalised axes of one DotGeneral and everything derived
// from them that the backward pass needs.
type dotDims struct {
	lc, lb, rc, rb   []int // contracting and batch axes, non-negative
	lhsFree, rhsFree []int // the remaining axes of each operand, ascending
}

func newDotDims(lhs *graph.Node, lc, lb []int, rhs *graph.Node, rc, rb []int) dotDims {
	if lhs.DType() != rhs.DType() {
		panic(fmt.Sprintf("fastgrad: DotGeneral: lhs %s and rhs %s have different dtypes", lhs.Shape(), rhs.Shape()))
	}
	if len(lc) != len(rc) || len(lb) != len(rb) {
		panic(fmt.Sprintf("fastgrad: DotGeneral: lhs has %d contracting and %d batch axes, rhs %d and %d",
			len(lc), len(lb), len(rc), len(rb)))
	}
	d := dotDims{
		lc: normAxes("lhs contracting", lhs, lc),
		lb: normAxes("lhs batch", lhs, lb),
		rc: normAxes("rhs contracting", rhs, rc),
		rb: normAxes("rhs batch", rhs, rb),
	}
	d.lhsFree = freeAxes("lhs", lhs, d.lc, d.lb)
	d.rhsFree = freeAxes("rhs", rhs, d.rc, d.rb)
	for k := range d.lc {
		if lhs.Shape().Dim(d.lc[k]) != rhs.Shape().Dim(d.rc[k]) {
			panic(fmt.Sprintf("fastgrad: DotGeneral: contracting lhs axis %d of %s does not match rhs axis %d of %s",
				d.lc[k], lhs.Shape(), d.rc[k], rhs.Shape()))
		}
	}
	for k := range d.lb {
		if lhs.Shape().Dim(d.lb[k]) != rhs.Shape().Dim(d.rb[k]) {
			panic(fmt.Sprintf("fastgrad: DotGeneral: batch lhs axis %d of %s does not match rhs axis %d of %s",
				d.lb[k], lhs.Shape(), d.rb[k], rhs.Shape()))
		}
	}
	return d
}

func normAxes(what string, x *graph.Node, axes []int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += x.Rank()
		}
		if a < 0 || a >= x.Rank() {
			panic(fmt.Sprintf("fastgrad: DotGeneral: %s axis %d out of range for %s", what, axes[i], x.Shape()))
		}
		out[i] = a
	}
	return out
}

// freeAxes returns the axes of x neither contracted nor batch, ascending, and
// checks that no axis is used twice.
func freeAxes(what string, x *graph.Node, contracting, batch []int) []int {
	used := make([]bool, x.Rank())
	for _, a := range slices.Concat(contracting, batch) {
		if used[a] {
			panic(fmt.Sprintf("fastgrad: DotGeneral: %s axis %d of %s used twice (contracting %v, batch %v)",
				what, a, x.Shape(), contracting, batch))
		}
		used[a] = true
	}
	var free []int
	for a, u := range used {
		if !u {
			free = append(free, a)
		}
	}
	return free
}

// dotWithGradient returns the product of lhs and rhs with the gradients of
// lhs and rhs computed by DotGenerals. See the package doc for how the three
// custom-gradient identities cooperate.
func (d dotDims) dotWithGradient(lhs, rhs *graph.Node) *graph.Node {
	// cotangent is ∂loss/∂out of the Gradient call in progress: set by the
	// output's identity, which graph.Gradient visits before the operands'
	// identities (it walks nodes in reverse creation order, and these were
	// created first).
	var cotangent *graph.Node
	lhsTap := graph.IdentityWithCustomGradient(lhs, func(_, v *graph.Node) *graph.Node {
		if cotangent == nil {
			return v // Only if someone differentiates the inner node directly.
		}
		return d.lhsGrad(cotangent, rhs)
	})
	rhsTap := graph.IdentityWithCustomGradient(rhs, func(_, v *graph.Node) *graph.Node {
		if cotangent == nil {
			return v
		}
		return d.rhsGrad(lhs, cotangent)
	})
	out := graph.DotGeneral(lhsTap, d.lc, d.lb, rhsTap, d.rc, d.rb)
	return graph.IdentityWithCustomGradient(out, func(_, v *graph.Node) *graph.Node {
		cotangent = v
		// GoMLX's DotGeneral gradient of v is built next, as the taps' v, but
		// the taps discard it: no output depends on it and backends drop it.
		return v
	})
}

// lhsGrad returns ∂loss/∂lhs given g = ∂loss/∂out: g contracted with rhs over
// rhs's free axes, batched over the batch axes, transposed to lhs's layout.
func (d dotDims) lhsGrad(g, rhs *graph.Node) *graph.Node {
	nb, nLF := len(d.lb), len(d.lhsFree)
	gBatch := seq(0, nb)
	gContract := seq(nb+nLF, len(d.rhsFree))
	res := graph.DotGeneral(g, gContract, gBatch, rhs, d.rhsFree, d.rb)
	// res: [batch..., lhsFree..., rhs contracting axes in ascending rhs order...]
	perm := make([]int, len(d.lb)+nLF+len(d.lc))
	for i, a := range d.lb {
		perm[a] = i
	}
	for j, a := range d.lhsFree {
		perm[a] = nb + j
	}
	for k, a := range d.lc {
		perm[a] = nb + nLF + rankIn(d.rc, d.rc[k])
	}
	return transposeUnlessIdentity(res, perm)
}

// rhsGrad returns ∂loss/∂rhs given g = ∂loss/∂out: lhs contracted with g over
// lhs's free axes, batched over the batch axes, transposed to rhs's layout.
func (d dotDims) rhsGrad(lhs, g *graph.Node) *graph.Node {
	nb, nLC := len(d.lb), len(d.lc)
	gBatch := seq(0, nb)
	gContract := seq(nb, len(d.lhsFree))
	res := graph.DotGeneral(lhs, d.lhsFree, d.lb, g, gContract, gBatch)
	// res: [batch..., lhs contracting axes in ascending lhs order..., rhsFree...]
	perm := make([]int, len(d.rb)+nLC+len(d.rhsFree))
	for i, a := range d.rb {
		perm[a] = i
	}
	for k, a := range d.rc {
		perm[a] = nb + rankIn(d.lc, d.lc[k])
	}
	for j, a := range d.rhsFree {
		perm[a] = nb + nLC + j
	}
	return transposeUnlessIdentity(res, perm)
}

// seq returns [start, start+1, ..., start+n-1].
func seq(start, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = start + i
	}
	return s
}

// rankIn returns how many elements of axes are smaller than a.
func rankIn(axes []int, a int) int {
	r := 0
	for _, b := range axes {
		if b < a {
			r++
		}
	}
	return r
}

// transposeUnlessIdentity returns x with output axis i taken from x's axis
// perm[i], or x itself when perm is the identity.
func transposeUnlessIdentity(x *graph.Node, perm []int) *graph.Node {
	for i, p := range perm {
		if i != p {
			return graph.TransposeAllAxes(x, perm...)
		}
	}
	return x
}
