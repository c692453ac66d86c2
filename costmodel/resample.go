package costmodel

import (
	"fmt"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Resampled is NViT's latency table over a grid the table was not measured
// on, and where its entries came from.
type Resampled struct {
	LUT       tablefmt.LUT
	Measured  int // entries the table gives (tablefmt.Blocks)
	Predicted int // entries the model predicted
}

// Resample builds NViT's latency table over grid g (NViT's own axes:
// tablefmt.NViTGrid) from table t and m, a model fitted to t: each entry is
// the table's block where it has one by the rule of tablefmt.Blocks, as
// measured, and m's prediction (BlockMS, at the table's tokens) elsewhere.
// When m refuses entries, too far outside the table's grid, it returns a
// *ResampleError naming the first and how many.
func Resample(m *Model, t tablefmt.Table, g tablefmt.LUTGrid) (Resampled, error) {
	blocks := t.Blocks()
	tokens := m.Header().Tokens
	out := Resampled{LUT: tablefmt.LUT{Entries: make([]tablefmt.LUTEntry, 0, g.Size())}}
	var refused *ResampleError
	for e := range g.Entries() {
		ms, missing := blocks.MS(e.EMB, e.Block)
		if len(missing) == 0 {
			out.Measured++
		} else {
			var err error
			if ms, err = m.BlockMS(e.EMB, tokens, e.Block); err != nil {
				if refused == nil {
					refused = &ResampleError{Kind: m.Kind(), Total: g.Size(), First: e, Err: err}
				}
				refused.Refused++
				continue
			}
			out.Predicted++
		}
		e.Seconds = ms / 1e3
		out.LUT.Entries = append(out.LUT.Entries, e)
	}
	if refused != nil {
		return Resampled{}, refused
	}
	return out, nil
}

// ResampleError reports the entries of a resampled grid that the model
// refused to predict.
type ResampleError struct {
	Kind           ModelKind
	Refused, Total int
	First          tablefmt.LUTEntry // the first refused, in grid order
	Err            error             // why the model refused it
}

// Error names the first refused entry, the count and the model's reason.
func (e *ResampleError) Error() string {
	return fmt.Sprintf("costmodel: resample: the %s model refuses %d of the grid's %d entries, first %s: %s",
		e.Kind, e.Refused, e.Total, e.First.Path(), strings.TrimPrefix(e.Err.Error(), "costmodel: "))
}

// Unwrap returns the model's reason for the first refusal.
func (e *ResampleError) Unwrap() error { return e.Err }
