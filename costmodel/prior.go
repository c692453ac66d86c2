package costmodel

import (
	"errors"
	"math"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/gonum/mat"
)

// FitPrior fits a model to t that starts from another table's model: the
// latency of every configuration of grid (a sweep's configurations: attn,
// mlp, block and rest rows; others are ignored) is the prior's prediction
// times a correction, exp(β₀ + Σ βᵢ·ln xᵢ) over the configuration's
// dimensions, fitted per kind of row by least squares to ln(measured /
// prior) of t's rows (as Fit sees them: without validation rows, blocks
// decomposed when t's header says so). A kind with fewer rows than the
// correction's terms gets only β₀, a kind without rows none. The measured
// rows keep their latencies; the model is fitted (Fit, opt) to them and to
// the corrected prior on the rest of grid, so it interpolates between
// corrected predictions where t has no rows. A grid of whole blocks whose
// table decomposes gets attention (its blocks without MLP) and MLP (its
// widths at every EMB) configurations instead. Configurations the prior
// does not predict (a prior without rest rows, widths beyond its range) are
// left to the measured rows.
//
// The prior pays where the devices differ by a smooth factor (another
// batch, a faster GPU of the same family): a few rows fix the factor. Where
// their staircases differ it can mislead; compare with Fit on validation
// rows.
func FitPrior(t tablefmt.Table, prior *Model, grid []tablefmt.Row, opt FitOptions) (*Model, error) {
	if prior == nil {
		return nil, errors.New("costmodel: fit with a prior: no prior model")
	}
	hash, err := t.Hash()
	if err != nil {
		return nil, err
	}
	ft := fitTable(t)
	grid = priorGrid(ft, grid)
	measured := ft.Index()
	byKind := map[tablefmt.Kind][]tablefmt.Row{}
	for _, r := range measured {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	synth := tablefmt.Table{Header: ft.Header, Rows: append([]tablefmt.Row(nil), ft.Rows...)}
	synth.Header.Sampling = nil // already decomposed
	for _, k := range []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock, tablefmt.KindRest} {
		beta := priorCorrection(prior, byKind[k])
		for _, g := range grid {
			if g.Kind != k {
				continue
			}
			if _, ok := measured[g.Key()]; ok {
				continue
			}
			p, err := prior.RowMS(g)
			if err != nil {
				continue // the prior cannot say (no rest rows, out of its range): the measured rows will
			}
			g.MedianMS, g.Note = p*math.Exp(correctionAt(beta, g)), "prior × correction"
			synth.Rows = append(synth.Rows, g)
		}
	}
	m, err := Fit(synth, opt)
	if err != nil {
		return nil, err
	}
	m.source = Source{Path: opt.Path, Format: opt.Format, Rows: len(ft.Rows), SHA256: hash, Summary: t.Header.Summary(), Header: t.Header}
	return m, nil
}

// priorGrid is grid in the kinds ft fits: a grid of whole blocks, where ft
// has attention and MLP rows instead, becomes its attention configurations
// (blocks without MLP) and MLP widths per EMB.
func priorGrid(ft tablefmt.Table, grid []tablefmt.Row) []tablefmt.Row {
	hasSub := false
	for _, r := range ft.Rows {
		if r.Kind == tablefmt.KindAttn || r.Kind == tablefmt.KindMLP {
			hasSub = true
			break
		}
	}
	if !hasSub {
		return grid
	}
	var out []tablefmt.Row
	seen := map[string]bool{}
	add := func(r tablefmt.Row) {
		if !seen[r.Key()] {
			seen[r.Key()] = true
			out = append(out, r)
		}
	}
	for _, g := range grid {
		switch {
		case g.Kind != tablefmt.KindBlock:
			add(g)
		case g.Heads > 0 && g.MLP == 0:
			add(tablefmt.Row{Kind: tablefmt.KindAttn, EMB: g.EMB, Heads: g.Heads, QK: g.QK, V: g.V})
		case g.MLP > 0:
			add(tablefmt.Row{Kind: tablefmt.KindMLP, EMB: g.EMB, MLP: g.MLP})
		}
	}
	return out
}

// correctionTerms are the logarithms of a row's dimensions the correction
// of its kind is linear in.
func correctionTerms(r tablefmt.Row) []float64 {
	var dims []int
	switch r.Kind {
	case tablefmt.KindAttn:
		dims = []int{r.EMB, r.Heads, r.QK, r.V}
	case tablefmt.KindMLP:
		dims = []int{r.EMB, r.MLP}
	case tablefmt.KindBlock:
		dims = []int{r.EMB, r.Heads + 1, r.QK + 1, r.V + 1, r.MLP + 1}
	default:
		dims = []int{r.EMB}
	}
	out := make([]float64, len(dims))
	for i, d := range dims {
		out[i] = math.Log(float64(max(d, 1)))
	}
	return out
}

// priorCorrection fits the correction of one kind: β over (1, terms), nil
// without rows.
func priorCorrection(prior *Model, rows []tablefmt.Row) []float64 {
	var xs [][]float64
	var ys []float64
	for _, r := range rows {
		p, err := prior.RowMS(r)
		if err != nil || p <= 0 || r.MedianMS <= 0 {
			continue
		}
		xs = append(xs, append([]float64{1}, correctionTerms(r)...))
		ys = append(ys, math.Log(r.MedianMS/p))
	}
	if len(xs) == 0 {
		return nil
	}
	cols := len(xs[0])
	if len(xs) < 2*cols {
		cols = 1 // too few rows for slopes: a constant factor
	}
	X := mat.NewDense(len(xs), cols, nil)
	for i, x := range xs {
		for j := range cols {
			X.Set(i, j, x[j])
		}
	}
	var beta mat.VecDense
	if err := beta.SolveVec(X, mat.NewVecDense(len(ys), ys)); err != nil {
		return []float64{meanOf(ys)}
	}
	return beta.RawVector().Data
}

// correctionAt is the log correction β at r.
func correctionAt(beta []float64, r tablefmt.Row) float64 {
	if len(beta) == 0 {
		return 0
	}
	x := append([]float64{1}, correctionTerms(r)...)
	s := 0.0
	for i, b := range beta {
		s += b * x[i]
	}
	return s
}
