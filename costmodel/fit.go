package costmodel

import (
	"fmt"
	"math"

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

// fitTrend fits non-negative coefficients to latencies y (ms) at points xs by
// least squares on relative error (each row weighted by 1/y), so that small
// and large configurations count alike. Non-negativity is exact: with at
// most six features every subset of them is solved by QR (gonum mat) and the
// feasible solution of least residual wins.
func fitTrend(k tablefmt.Kind, h tablefmt.Header, xs [][]int, y []float64) ([]float64, error) {
	p := len(trendFeatures(k, h))
	n := len(xs)
	if n == 0 {
		return nil, fmt.Errorf("no rows to fit the %s trend", k)
	}
	X := mat.NewDense(n, p, nil)
	Y := mat.NewVecDense(n, nil)
	scale := make([]float64, p)
	for i, x := range xs {
		w := 1 / math.Max(y[i], 1e-12)
		f := trendRow(k, h, x)
		for j, v := range f {
			X.Set(i, j, v*w)
			scale[j] = math.Max(scale[j], math.Abs(v*w))
		}
		Y.SetVec(i, 1)
	}
	for j := range p {
		if scale[j] == 0 {
			continue
		}
		for i := range n {
			X.Set(i, j, X.At(i, j)/scale[j])
		}
	}
	best, bestSSR := []float64(nil), math.Inf(1)
	for subset := 1; subset < 1<<p; subset++ {
		var cols []int
		skip := false
		for j := range p {
			if subset>>j&1 == 1 {
				if scale[j] == 0 {
					skip = true
				}
				cols = append(cols, j)
			}
		}
		if skip || len(cols) > n {
			continue
		}
		A := mat.NewDense(n, len(cols), nil)
		for i := range n {
			for c, j := range cols {
				A.Set(i, c, X.At(i, j))
			}
		}
		var sol mat.VecDense
		if err := sol.SolveVec(A, Y); err != nil {
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
		res.MulVec(A, &sol)
		res.SubVec(&res, Y)
		if ssr := mat.Dot(&res, &res); ssr < bestSSR {
			bestSSR = ssr
			best = make([]float64, p)
			for c, j := range cols {
				best[j] = sol.AtVec(c) / scale[j]
			}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no non-negative %s trend fits the %d rows", k, n)
	}
	return best, nil
}
