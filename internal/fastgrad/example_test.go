package fastgrad_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/nvitprof/nvitprof/internal/fastgrad"
)

// The gradients of sum(x·w): ∂x = 1·wᵀ and ∂w = xᵀ·1, computed by DotGenerals.
func ExampleEinsum() {
	backend, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		panic(err)
	}
	exec, err := graph.NewExec(backend, func(x, w *graph.Node) (*graph.Node, *graph.Node) {
		loss := graph.ReduceAllSum(fastgrad.Einsum("ij,jk->ik", x, w))
		grads := graph.Gradient(loss, x, w)
		return grads[0], grads[1]
	})
	if err != nil {
		panic(err)
	}
	defer exec.Finalize()
	x := tensors.FromValue([][]float32{{1, 2}, {3, 4}})
	w := tensors.FromValue([][]float32{{1, 0}, {0, 2}})
	outs, err := exec.Exec(x, w)
	if err != nil {
		panic(err)
	}
	fmt.Println("dx:", outs[0].Value())
	fmt.Println("dw:", outs[1].Value())
	// Output:
	// dx: [[1 2] [1 2]]
	// dw: [[4 4] [6 6]]
}
