package pruner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// tensorReader takes the tensors a conversion needs out of a file's tensors.
// It keeps the first missing or misshapen tensor as its error and which
// tensors were taken, so that finish can refuse the ones nobody wanted.
type tensorReader struct {
	ts   map[string]Tensor
	used map[string]bool
	err  error
}

func newTensorReader(ts map[string]Tensor) *tensorReader {
	return &tensorReader{ts: ts, used: map[string]bool{}}
}

// take returns the values of tensor name if it has the given shape; else it
// records why not (why is what the shape comes from) and returns zeros.
func (r *tensorReader) take(name, why string, shape ...int) []float32 {
	r.used[name] = true
	t, ok := r.ts[name]
	switch {
	case !ok:
		r.fail(fmt.Errorf("pruner: %w: tensor %s %v (%s) is missing", ErrArchMismatch, name, shape, why))
	case !slices.Equal(t.Shape, shape) || len(t.Data) != prod(shape):
		r.fail(fmt.Errorf("pruner: %w: tensor %s has shape %v, the architecture wants %v (%s)", ErrArchMismatch, name, t.Shape, shape, why))
	default:
		return t.Data
	}
	return make([]float32, prod(shape))
}

// takeIfPresent is take for a tensor that may be absent (nil then).
func (r *tensorReader) takeIfPresent(name, why string, shape ...int) []float32 {
	if _, ok := r.ts[name]; !ok {
		return nil
	}
	return r.take(name, why, shape...)
}

// fail records err unless an earlier error is recorded.
func (r *tensorReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// finish returns the first recorded error, else an ErrArchMismatch naming
// the tensors of the file that s does not have, else nil.
func (r *tensorReader) finish(s arch.Spec) error {
	if r.err != nil {
		return r.err
	}
	var extra []string
	for _, name := range slices.Sorted(maps.Keys(r.ts)) {
		if !r.used[name] {
			extra = append(extra, fmt.Sprintf("%s %v", name, r.ts[name].Shape))
		}
	}
	if len(extra) == 0 {
		return nil
	}
	more := ""
	if len(extra) > 3 {
		more = fmt.Sprintf(" and %d more", len(extra)-3)
		extra = extra[:3]
	}
	return fmt.Errorf("pruner: %w: the file has tensors the architecture (%s) does not: %s%s",
		ErrArchMismatch, specLabel(s), strings.Join(extra, ", "), more)
}
