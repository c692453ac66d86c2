package profiler

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch/blocks"
	"github.com/x448/float16"
)

// Inputs and weights are filled on the host from a fixed pseudo-random pool
// and uploaded: on an XLA device, GoMLX's initializers and a generated input
// would each cost one more compilation per configuration, and compilation,
// which takes seconds with XLA's autotuning where timing a configuration
// takes a fraction of one, bounds GPU sweeps (see the package doc). Every
// tensor is its own device buffer, which is what keeps stacked copies from
// sharing cache lines; that copies hold equal values does not matter to the
// timing.

const poolBits = 16

// valuePool holds standard normal values, the same in every run.
var valuePool = func() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]float32, 1<<poolBits)
	for i := range p {
		p[i] = float32(r.NormFloat64())
	}
	return p
}()

// poolValues are the pool's values times scale, starting at offset.
func poolValues(scale float32, offset int) func(i int) float32 {
	return func(i int) float32 { return valuePool[(offset+i)&(1<<poolBits-1)] * scale }
}

// hostTensor makes a tensor of shape whose i-th value is at(i).
func hostTensor(shape shapes.Shape, at func(i int) float32) (*tensors.Tensor, error) {
	t := tensors.FromShape(shape)
	var bad error
	err := t.MutableFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			for i := range f {
				f[i] = at(i)
			}
		case []float64:
			for i := range f {
				f[i] = float64(at(i))
			}
		case []bfloat16.BFloat16:
			for i := range f {
				f[i] = bfloat16.FromFloat32(at(i))
			}
		case []float16.Float16:
			for i := range f {
				f[i] = float16.Fromfloat32(at(i))
			}
		default:
			bad = fmt.Errorf("no host values for dtype %s", shape.DType)
		}
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		t.FinalizeAll()
		return nil, err
	}
	return t, nil
}

// deviceTensor makes the values of hostTensor and moves them to b's first
// device, leaving no host copy: the tensor is then what a graph would have
// produced, and executions use its device buffer as is.
func deviceTensor(b backends.Backend, shape shapes.Shape, at func(i int) float32) (*tensors.Tensor, error) {
	h, err := hostTensor(shape, at)
	if err != nil {
		return nil, err
	}
	defer h.FinalizeAll()
	return h.OnDeviceClone(b, 0)
}

// initialValues mimics the initialisers of arch/blocks (timm's): LayerNorm
// scales one, biases and offsets zero, everything else normal with std
// blocks.InitStd (its clip at blocks.InitBound is many deviations out).
// Values matter on the CPU, whose arithmetic is not equally fast on all.
func initialValues(name string, k int) func(i int) float32 {
	switch name {
	case blocks.VarScale:
		return func(int) float32 { return 1 }
	case blocks.VarBiases, blocks.VarOffset:
		return func(int) float32 { return 0 }
	}
	return poolValues(blocks.InitStd, k*7919)
}

// setHostWeights creates the variables build uses (building it once on a
// graph that is never compiled) and gives each its own host tensor of pool
// values, so that compiling build later costs one compilation, not two.
func setHostWeights(b backends.Backend, c *mlctx.Context, build func(*mlctx.Context, *graph.Node) *graph.Node, input shapes.Shape) error {
	if err := declareVariables(b, c, build, input); err != nil {
		return err
	}
	k := 0
	for v := range c.IterVariables() {
		if v.HasValue() {
			continue
		}
		t, err := deviceTensor(b, v.Shape(), initialValues(v.Name(), k))
		if err != nil {
			return fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		if err := v.SetValue(t); err != nil {
			t.FinalizeAll()
			return fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		k++
	}
	// GoMLX clears its "needs initialisation" mark only by initialising
	// something, and until then checks every variable before each execution
	// (a cost that grows with the stack depth): initialise one scalar.
	c.WithInitializer(graph.Zeros).VariableWithShape("#host_values", shapes.Make(dtypes.Float32))
	return c.InitializeVariables(b, nil)
}

// declareVariables builds build on a graph that is never compiled, which
// creates its variables in c; GoMLX's panics become an error.
func declareVariables(b backends.Backend, c *mlctx.Context, build func(*mlctx.Context, *graph.Node) *graph.Node, input shapes.Shape) (err error) {
	g := graph.NewGraph(b, "declare_variables")
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("declaring variables: %v", r)
		}
		g.Finalize()
	}()
	build(c, graph.Parameter(g, "x", input))
	return nil
}
