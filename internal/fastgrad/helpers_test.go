package fastgrad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// goBackend is the pure-Go backend shared by all tests and benchmarks.
//
// It runs one op at a time (each op still uses every core): in GoMLX v0.26.0
// the default mode, which runs independent ops concurrently on a pool of
// 2×NumCPU workers, deadlocks once that many small DotGenerals are ready at
// once, because each one waits inside its worker for more workers
// (execDotGeneralSmall calls workersPool.WaitToStart without
// WorkerIsAsleep). On two cores that is four DotGenerals, which the backward
// pass of a block has side by side.
var goBackend = sync.OnceValues(func() (backends.Backend, error) {
	return backends.NewWithConfig("go:ops_sequential")
})

func backend(tb testing.TB) backends.Backend {
	tb.Helper()
	b, err := goBackend()
	if err != nil {
		tb.Fatalf("pure-Go backend: %v", err)
	}
	return b
}

// randTensor returns a tensor of the given dims with values uniform in
// [-1, 1), deterministic in seed.
func randTensor[T float32 | float64](seed uint64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	r := rand.New(rand.NewPCG(seed, 7))
	data := make([]T, n)
	for i := range data {
		data[i] = T(2*r.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// weights is a fixed, non-uniform tensor shaped like x, used to make a scalar
// loss whose cotangent differs element by element.
func weights(x *graph.Node) *graph.Node {
	i := graph.ConvertDType(graph.IotaFull(x.Graph(), x.Shape().Clone()), dtypes.Float64)
	return graph.ConvertDType(graph.Cos(graph.MulScalar(i, 0.37)), x.DType())
}

// execute runs fn on the inputs and returns its outputs as float64 slices.
func execute(tb testing.TB, fn func([]*graph.Node) []*graph.Node, inputs ...*tensors.Tensor) [][]float64 {
	tb.Helper()
	exec, err := graph.NewExec(backend(tb), fn)
	if err != nil {
		tb.Fatalf("build: %v", err)
	}
	defer exec.Finalize()
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = in
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		tb.Fatalf("exec: %v", err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		res[i] = toFloat64(tb, o)
		o.MustFinalizeAll()
	}
	return res
}

func toFloat64(tb testing.TB, t *tensors.Tensor) []float64 {
	tb.Helper()
	switch t.DType() {
	case dtypes.Float64:
		return tensors.MustCopyFlatData[float64](t)
	case dtypes.Float32:
		f := tensors.MustCopyFlatData[float32](t)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	default:
		tb.Fatalf("unexpected output dtype %s", t.DType())
		return nil
	}
}

// relErr is max|got-want| / max|want|: the error relative to the scale of
// the reference, which stays meaningful where individual entries are near 0.
func relErr(got, want []float64) (float64, error) {
	if len(got) != len(want) {
		return math.Inf(1), fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	var diff, scale float64
	for i := range want {
		if math.IsNaN(got[i]) {
			return math.Inf(1), fmt.Errorf("NaN at %d", i)
		}
		diff = max(diff, math.Abs(got[i]-want[i]))
		scale = max(scale, math.Abs(want[i]))
	}
	if scale == 0 {
		return diff, nil
	}
	return diff / scale, nil
}

func checkClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	e, err := relErr(got, want)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if e > tol {
		t.Errorf("%s: relative error %.3g > %.3g", what, e, tol)
	}
}
