package tablefmt

import (
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
)

// Counts returns the exact per-image counts (arch.Counts) of the
// configuration r measured, under h's tokens and, for rest and model rows,
// h's model geometry.
func (h Header) Counts(r Row) (arch.Counts, error) {
	if err := r.validateDims(); err != nil {
		return arch.Counts{}, fmt.Errorf("tablefmt: counts of %s: %w", r.Key(), err)
	}
	if h.Tokens <= 0 {
		return arch.Counts{}, fmt.Errorf("tablefmt: counts of %s: the header gives no tokens", r.Key())
	}
	switch r.Kind {
	case KindAttn:
		return arch.AttentionCounts(r.EMB, h.Tokens, r.Block()), nil
	case KindMLP:
		return arch.MLPCounts(r.EMB, h.Tokens, r.MLP), nil
	case KindBlock:
		return arch.AttentionCounts(r.EMB, h.Tokens, r.Block()).Add(arch.MLPCounts(r.EMB, h.Tokens, r.MLP)), nil
	}
	s, err := h.ModelSpec(r)
	if err != nil {
		return arch.Counts{}, fmt.Errorf("tablefmt: counts of %s: %w", r.Key(), err)
	}
	if r.Kind == KindRest {
		return s.RestCounts(), nil
	}
	return s.Counts(), nil
}

// ModelSpec is the whole model a rest or model row describes, from h's
// geometry (a rest row's spec has one empty block: only its geometry counts).
func (h Header) ModelSpec(r Row) (arch.Spec, error) {
	s := h.Geometry().Model(r.Name, r.EMB, nil)
	if r.Kind == KindModel {
		blocks, err := r.Dim.Blocks()
		if err != nil {
			return arch.Spec{}, err
		}
		s.Blocks = blocks
	} else {
		s.Blocks = []arch.Block{{}} // geometry check only; rest counts ignore blocks
	}
	if err := s.Validate(); err != nil {
		return arch.Spec{}, fmt.Errorf("header geometry (image %d, patch %d, channels %d, classes %d, tokens %d): %w",
			h.Image, h.Patch, h.Channels, h.Classes, h.Tokens, err)
	}
	return s, nil
}

// WithCounts returns r with MACs and Bytes filled in from h: MACs of one
// execution over h's batch, and bytes = weight bytes + activation bytes of one
// execution at h's dtype (0 when the dtype is unknown). A batch of 0
// (unknown) counts as 1.
func (h Header) WithCounts(r Row) (Row, error) {
	c, err := h.Counts(r)
	if err != nil {
		return r, err
	}
	batch := max(h.Batch, 1)
	r.MACs = c.MACs * int64(batch)
	r.Bytes = 0
	if es := h.ElemSize(); es > 0 {
		r.Bytes = c.WeightBytes(es) + c.ActivationBytes(es, batch)
	}
	return r, nil
}
