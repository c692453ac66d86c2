package arch

import (
	"errors"
	"fmt"
	"math"
)

// Trends are the per-block dimensions of a set of architectures of one
// depth and one input geometry, typically models pruned from one dense
// model: what NViT's analysis step reads to find how each block's heads, QK
// and V per head and MLP width are kept along the depth. NewTrends builds
// one; FitRule fits a redistribution rule to it.
type Trends struct {
	Geometry Geometry
	Depth    int
	Models   []Spec // named: "model N" where a model had no name
	// Dense is the unpruned reference, or nil. Only its dimensions are
	// used (its geometry is not compared): it gives the kept fractions.
	Dense *Spec
}

// Errors NewTrends returns, wrapped with the models they concern.
var (
	ErrNoModels      = errors.New("arch: trends: no architecture")
	ErrMixedDepth    = errors.New("arch: trends: the architectures differ in depth")
	ErrMixedGeometry = errors.New("arch: trends: the architectures differ in input geometry")
	ErrUnpruned      = errors.New("arch: trends: an architecture is the dense reference itself (unpruned)")
)

// NewTrends checks that models (at least one) share a depth and an input
// geometry, that dense (optional) has that depth, and that no model is the
// dense reference unpruned: such a model says nothing about what pruning
// keeps. Models are copied; unnamed ones are named "model N" (from 1), and
// a repeated name gets " (N)" so that every model has its own.
func NewTrends(models []Spec, dense *Spec) (*Trends, error) {
	if len(models) == 0 {
		return nil, ErrNoModels
	}
	t := &Trends{Geometry: models[0].Geometry(), Depth: models[0].Depth()}
	seen := map[string]bool{}
	for i, m := range models {
		m = m.Clone()
		if m.Name == "" {
			m.Name = fmt.Sprintf("model %d", i+1)
		}
		if seen[m.Name] {
			m.Name = fmt.Sprintf("%s (%d)", m.Name, i+1)
		}
		seen[m.Name] = true
		if err := m.Validate(); err != nil {
			return nil, err
		}
		if m.Depth() != t.Depth {
			return nil, fmt.Errorf("%w: %s has %d blocks, %s has %d", ErrMixedDepth, m.Name, m.Depth(), t.Models[0].Name, t.Depth)
		}
		if m.Geometry() != t.Geometry {
			return nil, fmt.Errorf("%w: %s has %s, %s has %s", ErrMixedGeometry, m.Name, geometryString(m.Geometry()),
				t.Models[0].Name, geometryString(t.Geometry))
		}
		t.Models = append(t.Models, m)
	}
	if dense != nil {
		d := dense.Clone()
		if d.Name == "" {
			d.Name = "dense"
		}
		if d.Depth() != t.Depth {
			return nil, fmt.Errorf("%w: the dense reference %s has %d blocks, the models %d", ErrMixedDepth, d.Name, d.Depth(), t.Depth)
		}
		if err := d.Validate(); err != nil {
			return nil, err
		}
		for _, m := range t.Models {
			if m.Dim().String() == d.Dim().String() {
				return nil, fmt.Errorf("%w: %s has every dimension of %s", ErrUnpruned, m.Name, d.Name)
			}
		}
		t.Dense = &d
	}
	return t, nil
}

func geometryString(g Geometry) string {
	return fmt.Sprintf("%d² images, %d² patches, %d channels, %d classes, %d extra tokens",
		g.Image, g.Patch, g.Channels, g.Classes, g.ExtraTokens)
}

// TrendPoint is one dimension of one block of one model.
type TrendPoint struct {
	Model string
	Block int // from 0
	Dim   Dimension
	Value int
	EMB   int // the model's
	// Dense is the dense reference's value (0 without a reference) and
	// DenseEMB its EMB.
	Dense, DenseEMB int
	// Kept is Value / Dense: the fraction of the dense value kept (NaN
	// without a reference).
	Kept float64
	// PerEMB is Value / EMB, the quantity the rule makes proportional to ε.
	PerEMB float64
	// Defined is false for QK and V of a block without heads: those widths
	// have no meaning there.
	Defined bool
}

// Points lists every model's per-block dimensions, model by model, block
// by block, in BlockDimensions order.
func (t *Trends) Points() []TrendPoint {
	var out []TrendPoint
	for _, m := range t.Models {
		for b, blk := range m.Blocks {
			for _, d := range BlockDimensions() {
				p := TrendPoint{Model: m.Name, Block: b, Dim: d, Value: blk.Get(d), EMB: m.EMB, Kept: math.NaN(),
					Defined: blk.Heads > 0 || d == DimHeads || d == DimMLP}
				p.PerEMB = float64(p.Value) / float64(m.EMB)
				if t.Dense != nil {
					p.Dense, p.DenseEMB = t.Dense.Blocks[b].Get(d), t.Dense.EMB
					if p.Dense > 0 {
						p.Kept = float64(p.Value) / float64(p.Dense)
					}
				}
				out = append(out, p)
			}
		}
	}
	return out
}

// EMBs are the models' widths, in model order.
func (t *Trends) EMBs() []int {
	out := make([]int, len(t.Models))
	for i, m := range t.Models {
		out[i] = m.EMB
	}
	return out
}
