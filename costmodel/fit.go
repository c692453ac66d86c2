package costmodel

import (
	"fmt"
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/gonum/mat"
)

// The trend of the hw model: latency as a non-negative combination of what a
// configuration costs the hardware, from package arch's exact counts of one
// execution (the header's batch). Elements, not bytes: the dtype's size is a
// constant the coefficients absorb, so a table of unknown dtype fits too.
//
//	launch       1 per sub-block present (a constant per kernel sequence)
//	dense_macs   multiply-accumulates of the projections and the MLP
//	attn_macs    multiply-accumulates of Q·Kᵀ and attention·V (heads·tokens²·(qk+v))
//	weights      parameters read once per execution
//	activations  elements of the intermediate tensors written and read

// trendFeatures names the features of a component's trend, in order.
func trendFeatures(k tablefmt.Kind, h tablefmt.Header) []string {
	switch k {
	case tablefmt.KindAttn:
		return []string{"launch", "dense_macs", "attn_macs", "weights", "activations"}
	case tablefmt.KindMLP:
		return []string{"launch", "dense_macs", "weights", "activations"}
	case tablefmt.KindBlock:
		return []string{"launch_attn", "launch_mlp", "dense_macs", "attn_macs", "weights", "activations"}
	case tablefmt.KindRest:
		if restGeometry(h) {
			return []string{"launch", "dense_macs", "weights", "activations"}
		}
		return []string{"launch", "emb_tokens"}
	}
	panic("costmodel: no trend for kind " + string(k))
}

// restGeometry reports whether h gives the model geometry rest counts need.
func restGeometry(h tablefmt.Header) bool {
	return h.Geometry().Model("", 1, []arch.Block{{}}).Validate() == nil
}

// trendRow returns the features of the configuration at the integer point x
// (see axisNames) under h.
func trendRow(k tablefmt.Kind, h tablefmt.Header, x []int) []float64 {
	t, batch := h.Tokens, float64(max(h.Batch, 1))
	attn := func(emb int, b arch.Block) (dense, prod float64, c arch.Counts) {
		c = arch.AttentionCounts(emb, t, b)
		prod = float64(b.Heads) * float64(t) * float64(t) * float64(b.QK+b.V)
		return float64(c.MACs) - prod, prod, c
	}
	switch k {
	case tablefmt.KindAttn:
		dense, prod, c := attn(x[0], arch.Block{Heads: x[1], QK: x[2], V: x[3]})
		return []float64{1, dense * batch, prod * batch, float64(c.Params), float64(c.Activations) * batch}
	case tablefmt.KindMLP:
		c := arch.MLPCounts(x[0], t, x[1])
		return []float64{1, float64(c.MACs) * batch, float64(c.Params), float64(c.Activations) * batch}
	case tablefmt.KindBlock:
		b := arch.Block{Heads: x[1], QK: x[2], V: x[3], MLP: x[4]}
		dense, prod, c := attn(x[0], b)
		m := arch.MLPCounts(x[0], t, b.MLP)
		var la, lm float64
		if b.Heads > 0 {
			la = 1
		}
		if b.MLP > 0 {
			lm = 1
		}
		return []float64{la, lm, (dense + float64(m.MACs)) * batch, prod * batch,
			float64(c.Params + m.Params), float64(c.Activations+m.Activations) * batch}
	case tablefmt.KindRest:
		if !restGeometry(h) {
			return []float64{1, float64(x[0]) * float64(t) * batch}
		}
		c := h.Geometry().Model("", x[0], nil).RestCounts()
		return []float64{1, float64(c.MACs) * batch, float64(c.Params), float64(c.Activations) * batch}
	}
	panic("costmodel: no trend for kind " + string(k))
}

// trendAt evaluates the trend with coefficients coef at x.
func trendAt(k tablefmt.Kind, h tablefmt.Header, coef []float64, x []int) float64 {
	f := trendRow(k, h, x)
	s := 0.0
	for i, c := range coef {
		s += c * f[i]
	}
	return s
}

// Robust fitting of the trend: iteratively reweighted least squares with
// Huber's weight on each row's relative residual e = trend/latency − 1.
// Rows within huberK robust scales keep weight 1, rows beyond are weighted
// huberK·s/|e|: a reading far off the trend (a quiet moment, a slowed
// shallow depth) pulls the coefficients linearly, not quadratically. The
// scale s is 1.4826 × the median |e| (the normal-consistent MAD about 0),
// at least minTrendScale; iteration stops when no coefficient moves by more
// than 1e-6 of the largest, or after maxIRLS rounds.
const (
	huberK        = 1.345 // 95% efficiency at normal errors
	minTrendScale = 1e-4  // 0.01%: below any timer's resolution
	maxIRLS       = 30
)

// fitTrend fits non-negative coefficients to latencies y (ms) at points xs by
// robust least squares on relative error (each row weighted by 1/y, so that
// small and large configurations count alike, and by Huber's weight, so that
// a few wild readings do not tilt it; see huberK). Non-negativity is exact:
// with at most six features every subset of them is solved (gonum mat) and
// the feasible solution of least weighted residual wins.
func fitTrend(k tablefmt.Kind, h tablefmt.Header, xs [][]int, y []float64) ([]float64, error) {
	p := len(trendFeatures(k, h))
	n := len(xs)
	if n == 0 {
		return nil, fmt.Errorf("no rows to fit the %s trend", k)
	}
	X := mat.NewDense(n, p, nil)
	scale := make([]float64, p)
	for i, x := range xs {
		w := 1 / math.Max(y[i], 1e-12)
		for j, v := range trendRow(k, h, x) {
			X.Set(i, j, v*w)
			scale[j] = math.Max(scale[j], math.Abs(v*w))
		}
	}
	for j := range p {
		if scale[j] == 0 {
			continue
		}
		for i := range n {
			X.Set(i, j, X.At(i, j)/scale[j])
		}
	}
	wt := make([]float64, n)
	for i := range wt {
		wt[i] = 1
	}
	var best []float64
	for range maxIRLS {
		c := nnlsSubsets(X, wt, scale)
		if c == nil {
			break
		}
		moved := best == nil || coefMoved(best, c)
		best = c
		if !moved {
			break
		}
		huberWeights(X, c, wt)
	}
	if best == nil {
		return nil, fmt.Errorf("no non-negative %s trend fits the %d rows", k, n)
	}
	for j := range p {
		if scale[j] != 0 {
			best[j] /= scale[j]
		}
	}
	return best, nil
}

// coefMoved reports whether any coefficient of b differs from a's by more
// than 1e-6 of the largest.
func coefMoved(a, b []float64) bool {
	top := 0.0
	for _, v := range b {
		top = math.Max(top, math.Abs(v))
	}
	for j := range a {
		if math.Abs(a[j]-b[j]) > 1e-6*top {
			return true
		}
	}
	return false
}

// huberWeights sets wt to Huber's weights of the relative residuals
// X·c − 1 (X is scaled to relative units: a row's target is 1).
func huberWeights(X *mat.Dense, c, wt []float64) {
	n, _ := X.Dims()
	e := make([]float64, n)
	for i := range n {
		row := X.RawRowView(i)
		t := 0.0
		for j, v := range c {
			t += v * row[j]
		}
		e[i] = math.Abs(t - 1)
	}
	s := math.Max(1.4826*median(slices.Clone(e)), minTrendScale)
	for i, a := range e {
		wt[i] = 1
		if a > huberK*s {
			wt[i] = huberK * s / a
		}
	}
}

// nnlsSubsets minimises Σ wt_i (X_i·c − 1)² over c ≥ 0 (in X's column
// units; columns with scale 0 are left out) by solving every subset of the
// columns and keeping the feasible solution of least residual, or nil.
// With more rows than columns, the weighted [X | 1] is reduced once to the
// R of its QR factorisation, [R_X | r]: for any subset S of columns,
// ‖X_S c − b‖ = ‖R_S c − r‖ (Q is orthogonal), so each subset is a
// (p+1)-row problem whatever the table's size.
func nnlsSubsets(X *mat.Dense, wt, scale []float64) []float64 {
	n, p := X.Dims()
	A := mat.NewDense(n, p+1, nil)
	for i := range n {
		s := math.Sqrt(wt[i])
		for j := range p {
			A.Set(i, j, X.At(i, j)*s)
		}
		A.Set(i, p, s)
	}
	var M mat.Matrix = A.Slice(0, n, 0, p)
	var rhs mat.Vector = A.ColView(p)
	if n > p+1 {
		var qr mat.QR
		qr.Factorize(A)
		var r mat.Dense
		qr.RTo(&r)
		M, rhs = r.Slice(0, p+1, 0, p), r.Slice(0, p+1, 0, p+1).(*mat.Dense).ColView(p)
	}
	return bestSubset(M, rhs, scale)
}

// bestSubset minimises ‖M c − rhs‖ over c ≥ 0 by least squares on every
// subset of M's columns (those with scale 0 left out), keeping the feasible
// solution of least residual, or nil.
func bestSubset(M mat.Matrix, rhs mat.Vector, scale []float64) []float64 {
	rows, p := M.Dims()
	var best []float64
	bestSSR := math.Inf(1)
	for subset := 1; subset < 1<<p; subset++ {
		var cols []int
		skip := false
		for j := range p {
			if subset>>j&1 == 1 {
				skip = skip || scale[j] == 0
				cols = append(cols, j)
			}
		}
		if skip || len(cols) > rows {
			continue
		}
		S := mat.NewDense(rows, len(cols), nil)
		for i := range rows {
			for c, j := range cols {
				S.Set(i, c, M.At(i, j))
			}
		}
		var sol mat.VecDense
		if err := sol.SolveVec(S, rhs); err != nil {
			continue
		}
		ok := true
		for c := range cols {
			if v := sol.AtVec(c); v < 0 || math.IsNaN(v) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		var res mat.VecDense
		res.MulVec(S, &sol)
		res.SubVec(&res, rhs)
		if ssr := mat.Dot(&res, &res); ssr < bestSSR {
			bestSSR = ssr
			best = make([]float64, p)
			for c, j := range cols {
				best[j] = sol.AtVec(c)
			}
		}
	}
	return best
}
