package pruner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// Weights are the parameters of a ViT in the per-head layout of package
// arch/blocks: one float32 slice per variable, keyed by blocks.Var.Path()
// (for example "block_03/attn/q/weights", shape [emb, heads, qk]), row-major
// in the shape blocks.Layout(Spec) gives.
type Weights struct {
	Spec   arch.Spec
	Values map[string][]float32
}

// Validate reports the first variable that is missing, unexpected or of the
// wrong size for w.Spec.
func (w *Weights) Validate() error {
	if err := w.Spec.Validate(); err != nil {
		return fmt.Errorf("pruner: weights: %w", err)
	}
	want := map[string]bool{}
	for _, v := range blocks.Layout(w.Spec) {
		want[v.Path()] = true
		got, ok := w.Values[v.Path()]
		if !ok {
			return fmt.Errorf("pruner: weights: %s %v is missing", v.Path(), v.Dims)
		}
		if int64(len(got)) != v.Size() {
			return fmt.Errorf("pruner: weights: %s has %d values, the arch wants shape %v (%d values)", v.Path(), len(got), v.Dims, v.Size())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(w.Values)) {
		if !want[k] {
			return fmt.Errorf("pruner: weights: unexpected variable %s for %s", k, specLabel(w.Spec))
		}
	}
	return nil
}

// Clone returns a deep copy of w.
func (w *Weights) Clone() *Weights {
	c := &Weights{Spec: w.Spec.Clone(), Values: make(map[string][]float32, len(w.Values))}
	for k, v := range w.Values {
		c.Values[k] = slices.Clone(v)
	}
	return c
}

// NumParams is the number of values w holds.
func (w *Weights) NumParams() int64 {
	var n int64
	for _, v := range w.Values {
		n += int64(len(v))
	}
	return n
}

func specLabel(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("EMB %d, heads %v, QK %v, V %v, MLP %v", d.EMB, d.Head, d.QK, d.V, d.MLP)
}

// varScope splits a layout path into GoMLX's absolute scope and name.
func varScope(path string) (scope, name string) {
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return context.RootScope, path
	}
	return context.RootScope + path[:i], path[i+1:]
}

// Context returns a fresh GoMLX context holding w as float32 variables,
// ready for blocks.Model(ctx, images, w.Spec).
func (w *Weights) Context() (*context.Context, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	ctx := context.New()
	for _, v := range blocks.Layout(w.Spec) {
		c := ctx
		for _, s := range v.Scope {
			c = c.In(s)
		}
		t := tensors.FromFlatDataAndDimensions(slices.Clone(w.Values[v.Path()]), v.Dims...)
		c.VariableWithValue(v.Name, t)
	}
	return ctx, nil
}

// FromContext reads the model variables of spec out of ctx (float32, as
// Init and Context create them).
func FromContext(ctx *context.Context, spec arch.Spec) (*Weights, error) {
	w := &Weights{Spec: spec.Clone(), Values: map[string][]float32{}}
	for _, v := range blocks.Layout(spec) {
		scope, name := varScope(v.Path())
		cv := ctx.GetVariableByScopeAndName(scope, name)
		if cv == nil {
			return nil, fmt.Errorf("pruner: variable %s not in the context", v.Path())
		}
		t, err := cv.Value()
		if err != nil {
			return nil, fmt.Errorf("pruner: variable %s: %w", v.Path(), err)
		}
		if !slices.Equal(t.Shape().Dimensions, v.Dims) || t.DType() != dtypes.Float32 {
			return nil, fmt.Errorf("pruner: variable %s has shape %s, want float32 %v", v.Path(), t.Shape(), v.Dims)
		}
		w.Values[v.Path()] = tensors.MustCopyFlatData[float32](t)
	}
	return w, nil
}

// Init returns freshly initialised weights for spec (timm's initialisation,
// as blocks.Model creates them), reproducible for a given seed.
func Init(backend backends.Backend, spec arch.Spec, seed int64) (*Weights, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("pruner: init: %w", err)
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	images := tensors.FromShape(shapes.Make(dtypes.Float32, 1, spec.Channels, spec.Image, spec.Image))
	if _, err := context.ExecOnce(backend, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return blocks.Model(ctx, x, spec)
	}, images); err != nil {
		return nil, fmt.Errorf("pruner: init: %w", err)
	}
	return FromContext(ctx, spec)
}
