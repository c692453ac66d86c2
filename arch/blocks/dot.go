package blocks

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/nvitprof/nvitprof/internal/fastgrad"
)

// einsum is the single place every contraction of this package goes through:
// the Q/K/V and output projections, both attention products, fc1 and fc2, the
// patch embedding and the classifier heads. It exists so that a matrix product
// with an efficient custom gradient (GoMLX v0.26.0 differentiates DotGeneral
// through an outer product) serves every builder: fastgrad's backward passes
// are matrix products too (see internal/fastgrad).
//
// Equations used (all map to one DotGeneral; the only output transpose is the
// one of "bhts,bshv->bthv", as in JAX/Flax attention):
//
//	"bte,ehk->bthk"        Q/K/V projections
//	"bthd,bshd->bhts"      attention logits
//	"bhts,bshv->bthv"      attention · V
//	"bthv,hve->bte"        output projection
//	"bte,em->btm"          fc1 (and fc2 with "btm,me->bte")
//	"bcyixj,cije->byxe"    patch embedding
//	"be,ec->bc"            classifier heads
func einsum(equation string, lhs, rhs *graph.Node) *graph.Node {
	return fastgrad.Einsum(equation, lhs, rhs)
}
