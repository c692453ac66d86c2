// Package tensorvals reads a float tensor's values as float64, whatever its
// dtype: what tests compare against float64 references.
package tensorvals

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/x448/float16"
)

// Float64s returns t's values in row-major order. It panics on a tensor
// that is not float32, float64, bfloat16 or float16.
func Float64s(t *tensors.Tensor) []float64 {
	var out []float64
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float64:
			out = slices.Clone(f)
		case []float32:
			out = widen(f, func(v float32) float32 { return v })
		case []bfloat16.BFloat16:
			out = widen(f, bfloat16.BFloat16.Float32)
		case []float16.Float16:
			out = widen(f, float16.Float16.Float32)
		default:
			panic(fmt.Sprintf("tensorvals: flat data %T", flat))
		}
	})
	return out
}

func widen[T any](f []T, toFloat32 func(T) float32) []float64 {
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(toFloat32(v))
	}
	return out
}
