package costmodel

import (
	"errors"
	"fmt"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Outlier is a measurement the hw model overrode: a reading that lies
// beyond all of its neighbours on the grid, relative to the trend, by more
// than the component's noise allows (see the package documentation).
type Outlier struct {
	Kind       tablefmt.Kind `json:"kind"`
	Key        string        `json:"key"`         // the row's key, as tablefmt.Row.Key
	MeasuredMS float64       `json:"measured_ms"` // the table's latency
	// UsedMS is what the model's grid holds there instead, estimated from
	// the neighbours; a prediction at the point is this or less (the
	// monotone envelope).
	UsedMS float64 `json:"used_ms"`
}

// outlier is a node of a component's base grid that the model overrode.
type outlier struct {
	node       int
	measuredMS float64
}

// Outliers lists the measurements the model overrode, by component (attn,
// mlp, block, rest) and grid order. Only hw models have any.
func (m *Model) Outliers() []Outlier {
	var out []Outlier
	for _, k := range m.Components() {
		c := m.comps[k]
		x := make([]float64, len(c.names))
		for _, o := range c.outliers {
			c.base.coords(o.node, x)
			out = append(out, Outlier{Kind: k, Key: nodeRow(k, nodeInts(x)).Key(),
				MeasuredMS: o.measuredMS, UsedMS: c.base.values[o.node]})
		}
	}
	return out
}

// nodeRow is the row of kind k at grid point x (a block without heads has
// QK and V 0, whatever the grid's placeholder).
func nodeRow(k tablefmt.Kind, x []int) tablefmt.Row {
	r := tablefmt.Row{Kind: k, EMB: x[0]}
	switch k {
	case tablefmt.KindAttn:
		r.Heads, r.QK, r.V = x[1], x[2], x[3]
	case tablefmt.KindMLP:
		r.MLP = x[1]
	case tablefmt.KindBlock:
		r.Heads, r.QK, r.V, r.MLP = x[1], x[2], x[3], x[4]
		if r.Heads == 0 {
			r.QK, r.V = 0, 0
		}
	}
	return r
}

// outlierFile is an outlier in a model file: the node (flat index of the
// component's grid) and what the table measured there; the grid's value is
// what the model used.
type outlierFile struct {
	Node       int     `json:"node"`
	MeasuredMS float64 `json:"measured_ms"`
}

func (c *component) outlierFiles() []outlierFile {
	var out []outlierFile
	for _, o := range c.outliers {
		out = append(out, outlierFile{Node: o.node, MeasuredMS: o.measuredMS})
	}
	return out
}

// setOutliers restores a model file's outliers: increasing nodes that a row
// measured, non-negative latencies, and only in a hw model.
func (c *component) setOutliers(fs []outlierFile) error {
	if len(fs) > 0 && c.modelK != ModelHW {
		return fmt.Errorf("a %s model overrides no measurement", c.modelK)
	}
	for i, f := range fs {
		switch {
		case f.Node < 0 || f.Node >= len(c.measured) || (i > 0 && f.Node <= fs[i-1].Node):
			return fmt.Errorf("outlier nodes must be increasing indices below %d", len(c.measured))
		case !c.measured[f.Node]:
			return fmt.Errorf("outlier node %d is a filled node, which no row measured", f.Node)
		case !finiteNonNeg([]float64{f.MeasuredMS}):
			return errors.New("outlier latencies must be non-negative numbers")
		}
		c.outliers = append(c.outliers, outlier{node: f.Node, measuredMS: f.MeasuredMS})
	}
	return nil
}
