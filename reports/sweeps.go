package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// SweepLine is latency along one dimension with every other dimension
// fixed: the measured points and, when a model is given, its prediction at
// every integer value in between (the staircase the model keeps).
type SweepLine struct {
	Label      string    // what is fixed, e.g. "EMB 768"
	X          []float64 // measured values of the dimension
	MeasuredMS []float64
	PredX      []float64 // where the model was evaluated
	PredMS     []float64
}

// DimensionSweep is one staircase figure: one dimension, a line per EMB.
type DimensionSweep struct {
	Dim   arch.Dimension
	Kind  tablefmt.Kind // the rows it comes from: attn, mlp or block
	Fixed string        // the dimensions held fixed, e.g. "heads 12, V 64"
	Lines []SweepLine
	// Model names the model whose prediction the lines are, in the
	// legend ("hw model"); default "cost model".
	Model string
}

// Sweeps extracts from t, for every dimension the table varies, the
// measured latency along it (one line per EMB, or along EMB itself) with
// the other dimensions fixed at their largest measured value, and adds the
// model's prediction when m is not nil. Attention dimensions come from attn
// rows, MLP from mlp rows, and both from block rows when the table has no
// sub-block rows (NViT's LUT). Dimensions with fewer than two measured
// values are left out.
func Sweeps(t tablefmt.Table, m costmodel.Predictor) []DimensionSweep {
	byKind := map[tablefmt.Kind][]tablefmt.Row{}
	idx := t.Index()
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := idx[k]
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	var out []DimensionSweep
	attnKind, mlpKind := tablefmt.KindAttn, tablefmt.KindMLP
	if len(byKind[attnKind]) == 0 {
		attnKind = tablefmt.KindBlock
	}
	if len(byKind[mlpKind]) == 0 {
		mlpKind = tablefmt.KindBlock
	}
	for _, d := range []arch.Dimension{arch.DimHeads, arch.DimQK, arch.DimV, arch.DimMLP, arch.DimEMB} {
		k := attnKind
		if d == arch.DimMLP || d == arch.DimEMB {
			k = mlpKind
		}
		if sw, ok := sweep(byKind[k], k, d, t.Header.Tokens, m); ok {
			out = append(out, sw)
		}
	}
	return out
}

// coord is row r's value of dimension d.
// others are the dimensions a kind of row has besides d (and EMB, which
// splits lines unless d is EMB).
func others(k tablefmt.Kind, d arch.Dimension) []arch.Dimension {
	var all []arch.Dimension
	switch k {
	case tablefmt.KindAttn:
		all = []arch.Dimension{arch.DimHeads, arch.DimQK, arch.DimV}
	case tablefmt.KindMLP:
		all = []arch.Dimension{arch.DimMLP}
	default:
		all = []arch.Dimension{arch.DimHeads, arch.DimQK, arch.DimV, arch.DimMLP}
	}
	var out []arch.Dimension
	for _, o := range all {
		if o != d {
			out = append(out, o)
		}
	}
	return out
}

func sweep(rows []tablefmt.Row, k tablefmt.Kind, d arch.Dimension, tokens int, m costmodel.Predictor) (DimensionSweep, bool) {
	if len(rows) == 0 {
		return DimensionSweep{}, false
	}
	// Fix every other dimension at its largest measured value (0, "absent",
	// is not a fixed point unless it is the only one).
	fixed := map[arch.Dimension]int{}
	for _, o := range others(k, d) {
		for _, r := range rows {
			fixed[o] = max(fixed[o], r.Get(o))
		}
	}
	// When EMB is the swept dimension the lines are one; else one per EMB.
	lines := map[int]*SweepLine{}
	var embs []int
	for _, r := range rows {
		match := true
		for o, v := range fixed {
			if r.Get(o) != v {
				match = false
				break
			}
		}
		if !match || r.Get(d) == 0 {
			continue
		}
		key := r.EMB
		if d == arch.DimEMB {
			key = 0
		}
		l := lines[key]
		if l == nil {
			l = &SweepLine{Label: fmt.Sprintf("EMB %d", r.EMB)}
			lines[key] = l
			embs = append(embs, key)
		}
		l.X = append(l.X, float64(r.Get(d)))
		l.MeasuredMS = append(l.MeasuredMS, r.MedianMS)
	}
	sort.Ints(embs)
	sw := DimensionSweep{Dim: d, Kind: k}
	var fx []string
	for _, o := range others(k, d) {
		fx = append(fx, fmt.Sprintf("%s %d", o.Name(), fixed[o]))
	}
	sw.Fixed = strings.Join(fx, ", ")
	if d == arch.DimEMB {
		if l := lines[0]; l != nil && sw.Fixed != "" {
			l.Label = sw.Fixed
		}
	}
	for _, e := range embs {
		l := lines[e]
		if len(l.X) < 2 {
			continue
		}
		sortXY(l.X, l.MeasuredMS)
		if m != nil {
			l.PredX, l.PredMS = predictLine(m, k, d, e, tokens, fixed, int(l.X[0]), int(l.X[len(l.X)-1]))
		}
		sw.Lines = append(sw.Lines, *l)
	}
	return sw, len(sw.Lines) > 0
}

// predictLine is the model's latency along d from lo to hi, at every
// integer (every step of (hi-lo)/400 over long ranges), for rows of kind k
// at EMB emb (unless d is EMB) with the other dimensions fixed. Widths the
// model refuses are left out.
func predictLine(m costmodel.Predictor, k tablefmt.Kind, d arch.Dimension, emb, tokens int, fixed map[arch.Dimension]int, lo, hi int) (xs, ms []float64) {
	step := max(1, (hi-lo)/400)
	for x := lo; x <= hi; x += step {
		b := arch.Block{Heads: fixed[arch.DimHeads], QK: fixed[arch.DimQK], V: fixed[arch.DimV], MLP: fixed[arch.DimMLP]}
		e := emb
		if d == arch.DimEMB {
			e = x
		} else {
			b.Set(d, x)
		}
		if k == tablefmt.KindAttn {
			b.MLP = 0
		}
		if k == tablefmt.KindMLP {
			b.Heads, b.QK, b.V = 0, 0, 0
		}
		v, err := m.BlockMS(e, tokens, b)
		if err != nil || math.IsNaN(v) {
			continue
		}
		xs, ms = append(xs, float64(x)), append(ms, v)
	}
	return xs, ms
}

func sortXY(x, y []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	xs, ys := append([]float64(nil), x...), append([]float64(nil), y...)
	for i, j := range idx {
		x[i], y[i] = xs[j], ys[j]
	}
}

// HeatGrid is latency over heads × QK at fixed EMB and V (and MLP for
// block rows); NaN where the table has no row.
type HeatGrid struct {
	Heads, QK []int
	MS        [][]float64 // [heads index][qk index]
	Fixed     string      // e.g. "EMB 768, V 64"
	// Kind is the rows the latencies are of: attn (the default) or block.
	Kind tablefmt.Kind
	// Predicted says the latencies are a model's, not measurements.
	Predicted bool
}

// HeadsQKGrid extracts the heads × QK grid of attention (or block) rows at
// the largest EMB, V and MLP measured. ok is false when the table does not
// vary both heads and QK.
func HeadsQKGrid(t tablefmt.Table) (HeatGrid, bool) {
	k := tablefmt.KindAttn
	rows := rowsOf(t, k)
	if len(rows) == 0 {
		k = tablefmt.KindBlock
		rows = rowsOf(t, k)
	}
	emb, v, mlp := 0, 0, 0
	for _, r := range rows {
		emb, v, mlp = max(emb, r.EMB), max(v, r.V), max(mlp, r.MLP)
	}
	hs, qs := map[int]bool{}, map[int]bool{}
	cell := map[[2]int]float64{}
	for _, r := range rows {
		if r.EMB != emb || r.V != v || r.MLP != mlp || r.Heads == 0 {
			continue
		}
		hs[r.Heads], qs[r.QK] = true, true
		cell[[2]int{r.Heads, r.QK}] = r.MedianMS
	}
	g := HeatGrid{Heads: sortedKeys(hs), QK: sortedKeys(qs), Fixed: fmt.Sprintf("EMB %d, V %d", emb, v), Kind: k}
	if k == tablefmt.KindBlock {
		g.Fixed += fmt.Sprintf(", MLP %d", mlp)
	}
	if len(g.Heads) < 2 || len(g.QK) < 2 {
		return HeatGrid{}, false
	}
	g.MS = make([][]float64, len(g.Heads))
	for i, h := range g.Heads {
		g.MS[i] = make([]float64, len(g.QK))
		for j, q := range g.QK {
			if ms, ok := cell[[2]int{h, q}]; ok {
				g.MS[i][j] = ms
			} else {
				g.MS[i][j] = math.NaN()
			}
		}
	}
	return g, true
}

func rowsOf(t tablefmt.Table, k tablefmt.Kind) []tablefmt.Row {
	var out []tablefmt.Row
	for _, r := range t.Index() {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
