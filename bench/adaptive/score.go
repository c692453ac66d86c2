package main

import (
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// accuracy is how well a model predicts a set of configurations: the share
// within ±5% and ±10% (a refused prediction counts as outside), the
// median and largest error.
type accuracy struct {
	N             int
	W5, W10       float64 // percent
	Median, Worst float64 // percent
}

// point is one strategy at one number of measured configurations.
type point struct {
	measured int
	all      accuracy // on every configuration evaluated
	heldOut  accuracy // on those not measured
}

// evaluated are the rows of t a sampling strategy is judged on: blocks in a
// table of whole blocks, attention and MLP sub-blocks in a decomposed one
// (the rest of the model is always measured whole; blocks and models of a
// decomposed table test additivity, not sampling).
func evaluated(t tablefmt.Table) []tablefmt.Row {
	var attn, mlp, blocks []tablefmt.Row
	for _, r := range t.Index() {
		switch r.Kind {
		case tablefmt.KindAttn:
			attn = append(attn, r)
		case tablefmt.KindMLP:
			mlp = append(mlp, r)
		case tablefmt.KindBlock:
			blocks = append(blocks, r)
		}
	}
	out := append(attn, mlp...)
	if len(out) == 0 {
		out = blocks
	}
	slices.SortFunc(out, func(a, b tablefmt.Row) int { return compareKeys(a.Key(), b.Key()) })
	return out
}

func compareKeys(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// score predicts rows with m; measured are the keys of the rows the model
// was fitted to or validated on.
func score(m *costmodel.Model, rows []tablefmt.Row, measured map[string]bool, n int) point {
	var all, held []float64
	for _, r := range rows {
		e := math.Inf(1)
		if p, err := m.RowMS(r); err == nil && r.MedianMS > 0 {
			e = 100 * math.Abs(p-r.MedianMS) / r.MedianMS
		}
		all = append(all, e)
		if !measured[r.Key()] {
			held = append(held, e)
		}
	}
	return point{measured: n, all: summarise(all), heldOut: summarise(held)}
}

func summarise(errs []float64) accuracy {
	a := accuracy{N: len(errs)}
	if len(errs) == 0 {
		return a
	}
	slices.Sort(errs)
	var w5, w10 int
	for _, e := range errs {
		if e <= 5+1e-9 {
			w5++
		}
		if e <= 10+1e-9 {
			w10++
		}
	}
	n := float64(len(errs))
	a.W5, a.W10 = 100*float64(w5)/n, 100*float64(w10)/n
	a.Median, a.Worst = errs[len(errs)/2], errs[len(errs)-1]
	return a
}
