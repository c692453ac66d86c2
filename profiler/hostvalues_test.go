package profiler

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch/blocks"
	"github.com/nvitprof/nvitprof/internal/tensorvals"
)

// The pool is standard normal: its moments, computed in float64, say so.
func TestValuePoolIsStandardNormal(t *testing.T) {
	var sum, sq float64
	for _, v := range valuePool {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(valuePool))
	mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.02 || math.Abs(std-1) > 0.02 {
		t.Fatalf("pool mean %.4f, std %.4f: want about 0 and 1", mean, std)
	}
}

// Each dtype holds pool value × scale to its precision, from the offset on.
func TestHostTensorDTypes(t *testing.T) {
	const scale, offset = 0.5, 100
	for _, tc := range []struct {
		dt  dtypes.DType
		tol float64 // relative
	}{{dtypes.Float32, 1e-7}, {dtypes.Float64, 1e-7}, {dtypes.BFloat16, 1e-2}, {dtypes.Float16, 1e-3}} {
		x, err := hostTensor(shapes.Make(tc.dt, 3, 5), poolValues(scale, offset))
		if err != nil {
			t.Fatalf("%s: %v", tc.dt, err)
		}
		got := tensorvals.Float64s(x)
		if len(got) != 15 {
			t.Fatalf("%s: %d values, want 15", tc.dt, len(got))
		}
		for i, g := range got {
			want := float64(valuePool[offset+i]) * scale
			if math.Abs(g-want) > tc.tol*math.Abs(want)+1e-6 {
				t.Errorf("%s value %d = %g, want %g", tc.dt, i, g, want)
			}
		}
	}
	if _, err := hostTensor(shapes.Make(dtypes.Int32, 2), poolValues(1, 0)); err == nil {
		t.Error("int32 tensor filled: want an error")
	}
}

// Weights follow arch/blocks' initialisers (LayerNorm scale one, biases and
// offsets zero, weights std InitStd), every copy has its own tensor, and
// nothing is left for GoMLX to initialise with a compiled graph.
func TestSetHostWeightsMimicsInitialisers(t *testing.T) {
	dev, err := OpenDevice("cpu", DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	c := mlctx.New()
	build := func(c *mlctx.Context, x *graph.Node) *graph.Node {
		for i := range 2 {
			x = blocks.MLP(c.In(fmt.Sprintf("copy_%02d", i)), x, 16, 32)
		}
		return x
	}
	if err := setHostWeights(dev.Backend, c, build, shapes.Make(dtypes.Float32, 2, 3, 16)); err != nil {
		t.Fatal(err)
	}
	if c.NeedsInitialization() {
		t.Error("context still needs initialisation")
	}
	seen := map[*tensors.Tensor]string{}
	firstWeights := map[string][]float64{}
	for v := range c.IterVariables() {
		if !v.HasValue() {
			t.Fatalf("%s has no value", v.ScopeAndName())
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[value]; ok {
			t.Errorf("%s shares its tensor with %s", v.ScopeAndName(), other)
		}
		seen[value] = v.ScopeAndName()
		vals := tensorvals.Float64s(value)
		switch v.Name() {
		case blocks.VarScale:
			for _, x := range vals {
				if x != 1 {
					t.Fatalf("%s holds %g, want 1", v.ScopeAndName(), x)
				}
			}
		case blocks.VarBiases, blocks.VarOffset:
			for _, x := range vals {
				if x != 0 {
					t.Fatalf("%s holds %g, want 0", v.ScopeAndName(), x)
				}
			}
		case blocks.VarWeights:
			var sq float64
			for _, x := range vals {
				sq += x * x
			}
			if std := math.Sqrt(sq / float64(len(vals))); math.Abs(std-blocks.InitStd) > 0.15*blocks.InitStd {
				t.Errorf("%s std %.4f, want about %.2f", v.ScopeAndName(), std, blocks.InitStd)
			}
			layer := strings.TrimPrefix(v.ScopeAndName(), "/copy_01")
			if prev, ok := firstWeights[layer]; ok && slices.Equal(prev, vals) {
				t.Errorf("%s holds the same values as copy_00", v.ScopeAndName())
			}
			firstWeights[strings.TrimPrefix(v.ScopeAndName(), "/copy_00")] = vals
		}
	}
	if len(firstWeights) == 0 {
		t.Fatal("no weights declared")
	}
}
