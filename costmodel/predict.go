package costmodel

import (
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
)

// Prediction is a whole-model latency and its parts, in ms.
type Prediction struct {
	TotalMS  float64   `json:"latency_ms"` // blocks + rest (blocks only when the rest is not predicted)
	BlocksMS []float64 `json:"blocks_ms"`  // per block
	RestMS   float64   `json:"rest_ms"`    // patch embedding, tokens, final norm, classifiers
	// Rest reports whether RestMS is a prediction; false when the table has
	// no rest rows (then TotalMS counts the blocks only, as NViT's pruner does).
	Rest     bool     `json:"rest"`
	Warnings []string `json:"warnings,omitempty"` // caveats kept as data
}

// Latency predicts the whole model s: every block plus the rest. It refuses
// when s's tokens or geometry differ from the table's header.
func (m *Model) Latency(s arch.Spec) (Prediction, error) {
	if err := m.checkSpec(s); err != nil {
		return Prediction{}, err
	}
	p := Prediction{BlocksMS: make([]float64, len(s.Blocks))}
	for i, b := range s.Blocks {
		v, err := m.BlockMS(s.EMB, s.Tokens(), b)
		if err != nil {
			return Prediction{}, fmt.Errorf("block %d: %w", i, err)
		}
		p.BlocksMS[i] = v
		p.TotalMS += v
	}
	rest, ok, err := m.RestMS(s)
	if err != nil {
		return Prediction{}, fmt.Errorf("rest: %w", err)
	}
	p.RestMS, p.Rest = rest, ok
	p.TotalMS += rest
	if !ok {
		p.Warnings = append(p.Warnings, "the table has no rest rows: the latency counts the blocks only")
	}
	return p, nil
}

// Speedup is Latency(ref) / Latency(s): how many times faster s runs than ref.
func (m *Model) Speedup(s, ref arch.Spec) (float64, error) {
	ps, err := m.Latency(s)
	if err != nil {
		return 0, err
	}
	pr, err := m.Latency(ref)
	if err != nil {
		return 0, fmt.Errorf("reference: %w", err)
	}
	if ps.TotalMS <= 0 {
		return 0, fmt.Errorf("costmodel: speedup: %s is predicted to take no time", nameOf(s))
	}
	return pr.TotalMS / ps.TotalMS, nil
}

func nameOf(s arch.Spec) string {
	if s.Name != "" {
		return s.Name
	}
	return "the architecture"
}

// Removal is k units of one dimension: k EMB channels (Block is ignored), or
// k heads, k QK dims per head, k V dims per head or k MLP neurons of block
// Block.
type Removal struct {
	Dim   arch.Dimension
	Block int
	K     int
}

// String describes r, e.g. "8 qk of block 3".
func (r Removal) String() string {
	if r.Dim == arch.DimEMB {
		return fmt.Sprintf("%d EMB channels", r.K)
	}
	return fmt.Sprintf("%d %s of block %d", r.K, r.Dim, r.Block)
}

// Apply returns s with r's units removed. It refuses removals that leave
// no valid model: all EMB channels, all QK or V width of heads that remain,
// or more units than there are. Removing every head or every MLP neuron of
// a block removes that sub-block.
func (r Removal) Apply(s arch.Spec) (arch.Spec, error) {
	if r.K < 0 {
		return arch.Spec{}, fmt.Errorf("costmodel: remove %s: k must not be negative", r)
	}
	out := s.Clone()
	if r.Dim == arch.DimEMB {
		if r.K >= s.EMB {
			return arch.Spec{}, fmt.Errorf("costmodel: remove %s: the model has %d", r, s.EMB)
		}
		out.EMB -= r.K
		return out, nil
	}
	if r.Block < 0 || r.Block >= len(s.Blocks) {
		return arch.Spec{}, fmt.Errorf("costmodel: remove %s: the model has %d blocks", r, len(s.Blocks))
	}
	b := &out.Blocks[r.Block]
	if _, err := arch.ParseDimension(string(r.Dim)); err != nil {
		return arch.Spec{}, fmt.Errorf("costmodel: remove %s: %w", r, err)
	}
	n := b.Get(r.Dim)
	if r.K > n {
		return arch.Spec{}, fmt.Errorf("costmodel: remove %s: the block has %d", r, n)
	}
	switch r.Dim {
	case arch.DimHeads:
		b.Heads -= r.K
		if b.Heads == 0 {
			b.QK, b.V = 0, 0
		}
	case arch.DimQK, arch.DimV:
		if r.K == n && b.Heads > 0 && r.K > 0 {
			return arch.Spec{}, fmt.Errorf("costmodel: remove %s: heads cannot have no %s width; remove the heads instead", r, r.Dim)
		}
		b.Set(r.Dim, n-r.K)
	case arch.DimMLP:
		b.MLP -= r.K
	}
	return out, nil
}

// Marginal is the latency saved by removal r at architecture s:
// Latency(s) − Latency(s without r's units). It is never negative. The hw
// model is monotone by construction; for a model that is not (NViT's
// interpolation of a noisy table) a removal that would make the model slower
// returns 0 and an *InversionError holding the negative difference, so a
// caller that wants NViT's exact behaviour can still have it.
func (m *Model) Marginal(s arch.Spec, r Removal) (float64, error) {
	smaller, err := r.Apply(s)
	if err != nil {
		return 0, err
	}
	before, err := m.Latency(s)
	if err != nil {
		return 0, err
	}
	after, err := m.Latency(smaller)
	if err != nil {
		return 0, fmt.Errorf("after removing %s: %w", r, err)
	}
	d := before.TotalMS - after.TotalMS
	switch {
	case d >= 0:
		return d, nil
	case d >= -1e-12*before.TotalMS:
		return 0, nil // rounding of equal latencies
	}
	return 0, &InversionError{Model: m.kind, Removal: r, Arch: nameOf(s), BeforeMS: before.TotalMS, AfterMS: after.TotalMS}
}

// InversionError reports a model that predicts a removal makes the model
// slower: the table is not monotone there and the model does not correct it.
type InversionError struct {
	Model             ModelKind
	Removal           Removal
	Arch              string
	BeforeMS, AfterMS float64 // latency before and after the removal
}

// Error states the inversion.
func (e *InversionError) Error() string {
	return fmt.Sprintf("costmodel: the %s model predicts that removing %s makes %s slower (%.6g ms → %.6g ms): the table is not monotone there",
		e.Model, e.Removal, e.Arch, e.BeforeMS, e.AfterMS)
}
