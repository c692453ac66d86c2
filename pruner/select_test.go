package pruner

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// linearModel is a cost model with exactly additive latencies:
// EMB·cEMB + Σ_blocks (heads·(QK+V)·cAttn + MLP·cMLP), ms.
type linearModel struct{ cEMB, cAttn, cMLP float64 }

func (m linearModel) BlockMS(emb, tokens int, b arch.Block) (float64, error) {
	return float64(b.Heads*(b.QK+b.V))*m.cAttn + float64(b.MLP)*m.cMLP, nil
}

func (m linearModel) Latency(s arch.Spec) (costmodel.Prediction, error) {
	p := costmodel.Prediction{RestMS: float64(s.EMB) * m.cEMB, Rest: true}
	p.TotalMS = p.RestMS
	for _, b := range s.Blocks {
		v, _ := m.BlockMS(s.EMB, s.Tokens(), b)
		p.BlocksMS = append(p.BlocksMS, v)
		p.TotalMS += v
	}
	return p, nil
}

func (m linearModel) Marginal(s arch.Spec, r costmodel.Removal) (float64, error) {
	ns, err := r.Apply(s)
	if err != nil {
		return 0, err
	}
	a, _ := m.Latency(s)
	b, _ := m.Latency(ns)
	return a.TotalMS - b.TotalMS, nil
}

func (m linearModel) Speedup(s, ref arch.Spec) (float64, error) {
	a, _ := m.Latency(s)
	b, _ := m.Latency(ref)
	return b.TotalMS / a.TotalMS, nil
}

func TestScaledGroupSizes(t *testing.T) {
	b, _ := arch.Preset("deit-b")
	if g := ScaledGroupSizes(b); g != NViTGroupSizes {
		t.Errorf("DeiT-B: %+v, want NViT's %+v", g, NViTGroupSizes)
	}
	small := arch.Spec{Image: 28, Patch: 7, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 64,
		Blocks: arch.Uniform(4, arch.Block{Heads: 4, QK: 16, V: 16, MLP: 128})}
	if g, want := ScaledGroupSizes(small), (GroupSizes{EMB: 1, Heads: 1, QK: 2, V: 2, MLP: 1}); g != want {
		t.Errorf("small: %+v, want %+v", g, want)
	}
}

// salFor gives every unit of s a distinct saliency from fn.
func salFor(s arch.Spec, fn func(d arch.Dimension, b, i int) float64) *PerUnit {
	p := NewPerUnit(s)
	p.each(func(d arch.Dimension, b int, v []float64) {
		for i := range v {
			v[i] = fn(d, b, i)
		}
	})
	return p
}

var selSpec = arch.Spec{Image: 8, Patch: 4, Channels: 1, Classes: 4, ExtraTokens: 1, EMB: 16,
	Blocks: arch.Uniform(3, arch.Block{Heads: 4, QK: 8, V: 8, MLP: 32})}

func TestSelectEtaZeroFollowsSaliency(t *testing.T) {
	m := linearModel{cEMB: 0.01, cAttn: 0.001, cMLP: 0.002}
	sal := salFor(selSpec, func(d arch.Dimension, b, i int) float64 { return math.Sin(float64(17*i+5*b+len(d))) + 2 })
	dense, _ := m.Latency(selSpec)
	target := 0.7 * dense.TotalMS
	sizes := GroupSizes{EMB: 2, Heads: 1, QK: 2, V: 2, MLP: 4}
	got, err := Select(selSpec, sal, sizes, Regularizer{Model: m}, SelectGreedy, target)
	if err != nil {
		t.Fatal(err)
	}
	if got.PredictedMS > target {
		t.Fatalf("predicted %g above target %g", got.PredictedMS, target)
	}
	// η = 0: every group taken is no more salient than any group of the same
	// kind left at the front of its layer.
	taken := 0.0
	for _, g := range got.Groups {
		taken = max(taken, g.Saliency)
	}
	for _, l := range makeLayers(sal, sizes) {
		n := 0
		for _, g := range got.Groups {
			if g.Dim == l.dim && g.Block == l.block {
				n++
			}
		}
		if n < len(l.groups) && removable(got.Spec, l.groups[n]) && l.groups[n].Saliency < taken-1e-12 {
			// A less salient group was left while a more salient one went.
			t.Errorf("%s[b%d]: group of saliency %g left, but one of %g removed", l.dim, l.block, l.groups[n].Saliency, taken)
		}
	}
}

func TestSelectLatencyAware(t *testing.T) {
	// MLP neurons are slightly less salient than EMB channels but save
	// almost no latency; EMB channels save a lot.
	m := linearModel{cEMB: 0.05, cAttn: 0.0001, cMLP: 0.0001}
	sal := salFor(selSpec, func(d arch.Dimension, b, i int) float64 {
		switch d {
		case arch.DimMLP:
			return 1
		case arch.DimEMB:
			return 1.2
		}
		return 50
	})
	dense, _ := m.Latency(selSpec)
	target := 0.8 * dense.TotalMS
	sizes := GroupSizes{EMB: 1, Heads: 1, QK: 1, V: 1, MLP: 1}
	count := func(eta float64) (emb, mlp int) {
		got, err := Select(selSpec, sal, sizes, Regularizer{Model: m, Eta: eta}, SelectGreedy, target)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got.Groups {
			switch g.Dim {
			case arch.DimEMB:
				emb++
			case arch.DimMLP:
				mlp++
			}
		}
		return emb, mlp
	}
	blindEMB, blindMLP := count(0)
	awareEMB, awareMLP := count(1)
	t.Logf("η=0: %d EMB, %d MLP groups; η=1: %d EMB, %d MLP", blindEMB, blindMLP, awareEMB, awareMLP)
	if blindMLP == 0 || awareMLP >= blindMLP || awareEMB == 0 {
		t.Errorf("the latency term should trade MLP neurons (cheap, slightly less salient) for EMB channels (expensive)")
	}
}

// TestKnapsackRemovesLessSaliency: with exactly additive latencies, HALP's
// knapsack reaches the target removing no more saliency than the η = 0
// greedy ranking (which ignores what each group saves).
func TestKnapsackRemovesLessSaliency(t *testing.T) {
	m := linearModel{cEMB: 0.001, cAttn: 0.003, cMLP: 0.002}
	sal := salFor(selSpec, func(d arch.Dimension, b, i int) float64 {
		if d == arch.DimEMB {
			return 1000 // keep EMB out: everything else is additive
		}
		return 1 + math.Abs(math.Cos(float64(7*i+3*b+len(d)*11)))
	})
	dense, _ := m.Latency(selSpec)
	target := 0.6 * dense.TotalMS
	sizes := GroupSizes{EMB: 4, Heads: 1, QK: 2, V: 2, MLP: 4}
	removed := func(method Selection) float64 {
		got, err := Select(selSpec, sal, sizes, Regularizer{Model: m}, method, target)
		if err != nil {
			t.Fatal(err)
		}
		if got.PredictedMS > target {
			t.Fatalf("%s: predicted %g above target %g", method, got.PredictedMS, target)
		}
		var s float64
		for _, g := range got.Groups {
			s += g.Saliency
		}
		return s
	}
	greedy, knap := removed(SelectGreedy), removed(SelectKnapsack)
	t.Logf("saliency removed: greedy %.3f, knapsack %.3f", greedy, knap)
	if knap > greedy+1e-9 {
		t.Errorf("knapsack removed %g, more than greedy's %g", knap, greedy)
	}
}

func TestSelectUnreachable(t *testing.T) {
	m := linearModel{cEMB: 1, cAttn: 0.001, cMLP: 0.001}
	sal := salFor(selSpec, func(arch.Dimension, int, int) float64 { return 1 })
	_, err := Select(selSpec, sal, GroupSizes{1, 1, 1, 1, 1}, Regularizer{Model: m}, SelectGreedy, 0.5)
	if err == nil {
		t.Fatal("an unreachable target was met")
	}
	t.Log(err)
}

// fittedModel fits nvitprof's hw cost model to a synthetic table whose
// latencies follow the MAC counts, on blobSpec's geometry.
func fittedModel(t *testing.T) *costmodel.Model {
	t.Helper()
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "cpu", DeviceKind: "cpu", Runtime: "gomlx", Backend: "go",
		DType: "float32", Batch: 4, Tokens: blobSpec.Tokens(), Image: 8, Patch: 4, Channels: 1, Classes: 4,
		Method: tablefmt.Method{Name: "differential", Depths: []int{1, 3}, Warmup: 1, Samples: 5, NoiseThreshold: 0.05},
		Time:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var rows []tablefmt.Row
	add := func(r tablefmt.Row) {
		r, err := h.WithCounts(r)
		if err != nil {
			t.Fatal(err)
		}
		r.MedianMS = 0.01 + float64(r.MACs)*1e-6
		r.Samples = 5
		rows = append(rows, r)
	}
	for _, e := range []int{4, 8} {
		for _, hd := range []int{1, 2} {
			for _, qk := range []int{1, 2, 4} {
				for _, v := range []int{1, 2, 4} {
					add(tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: hd, QK: qk, V: v})
				}
			}
		}
		for _, mlp := range []int{4, 8, 12} {
			add(tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: mlp})
		}
		add(tablefmt.Row{Kind: tablefmt.KindRest, EMB: e})
	}
	m, err := costmodel.Fit(tablefmt.Table{Header: h, Rows: rows}, costmodel.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSelectWithFittedModel(t *testing.T) {
	m := fittedModel(t)
	sal := salFor(blobSpec, func(d arch.Dimension, b, i int) float64 { return float64(i+1) * (1 + float64(b)) })
	dense, err := m.Latency(blobSpec)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []Selection{SelectGreedy, SelectKnapsack} {
		got, err := Select(blobSpec, sal, ScaledGroupSizes(blobSpec), Regularizer{Model: m, Eta: 1}, method, 0.6*dense.TotalMS)
		if err != nil {
			t.Fatal(err)
		}
		if got.PredictedMS > 0.6*dense.TotalMS || len(got.Groups) == 0 {
			t.Errorf("%s: %s predicted %.4g ms, target %.4g", method, formatDim(got.Spec), got.PredictedMS, 0.6*dense.TotalMS)
		}
		k, err := KeepAll(blobSpec).without(got.Groups).Spec(blobSpec)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(k.Blocks, got.Spec.Blocks) || k.EMB != got.Spec.EMB {
			t.Errorf("%s: keep lists give %s, selection %s", method, formatDim(k), formatDim(got.Spec))
		}
	}
}

// floorModel refuses MLP widths 1–3 (but allows 0), like a cost model
// whose grid starts higher.
type floorModel struct{ linearModel }

func (m floorModel) Latency(s arch.Spec) (costmodel.Prediction, error) {
	for _, b := range s.Blocks {
		if b.MLP > 0 && b.MLP < 4 {
			return costmodel.Prediction{}, errors.New("mlp below 4 is outside the table")
		}
	}
	return m.linearModel.Latency(s)
}

func (m floorModel) Marginal(s arch.Spec, r costmodel.Removal) (float64, error) {
	ns, err := r.Apply(s)
	if err != nil {
		return 0, err
	}
	a, err := m.Latency(s)
	if err != nil {
		return 0, err
	}
	b, err := m.Latency(ns)
	if err != nil {
		return 0, err
	}
	return a.TotalMS - b.TotalMS, nil
}

// TestSelectJumpsOverRefusedWidths is a hand-computed case: MLP widths 1–3
// lie below the cost model's range, but a block without an MLP does not.
// The dense model (EMB 16, three blocks of 4 heads of 8+8, MLP 32) is
// predicted at 0.16 + 3·(0.064 + 0.32) = 1.312 ms; the target is 0.4 ms.
// MLP neurons are nearly useless, so both selections cut the
// MLPs to the floor of 4 (0.472 ms) and then need two blocks' last four
// neurons at once (0.04 ms each): MLP 0, 0, 4 in some order, never 1–3.
func TestSelectJumpsOverRefusedWidths(t *testing.T) {
	m := floorModel{linearModel{cEMB: 0.01, cAttn: 0.001, cMLP: 0.01}}
	sal := salFor(selSpec, func(d arch.Dimension, b, i int) float64 {
		if d == arch.DimMLP {
			return 0.001
		}
		return 1 + float64(i)
	})
	for _, method := range []Selection{SelectGreedy, SelectKnapsack} {
		got, err := Select(selSpec, sal, GroupSizes{1, 1, 1, 1, 1}, Regularizer{Model: m}, method, 0.4)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var mlp []int
		for _, b := range got.Spec.Blocks {
			mlp = append(mlp, b.MLP)
		}
		slices.Sort(mlp)
		if !slices.Equal(mlp, []int{0, 0, 4}) || got.Spec.EMB != selSpec.EMB {
			t.Errorf("%s: %s, want MLP 0, 0, 4 in some order and EMB 16", method, formatDim(got.Spec))
		}
		if math.Abs(got.PredictedMS-0.392) > 1e-9 {
			t.Errorf("%s: predicted %.6g ms, want 0.392", method, got.PredictedMS)
		}
		k, err := KeepAll(selSpec).without(got.Groups).Spec(selSpec)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(k.Blocks, got.Spec.Blocks) {
			t.Errorf("%s: keep lists give %s, selection %s", method, formatDim(k), formatDim(got.Spec))
		}
	}
}

// TestSelectRatioRemovesUselessUnitsFirst is a hand-computed case: MLP
// neurons are useless (saliency ~0) and save 0.001 ms each, EMB channels have
// saliency 1 and save 0.05 ms each, everything else is precious. To cut
// 0.2 ms, NViT's additive score (η = 1) takes four EMB channels (saliency 4);
// the ratio takes all 96 MLP neurons (0.096 ms) and then three EMB channels
// (saliency 3).
func TestSelectRatioRemovesUselessUnitsFirst(t *testing.T) {
	m := linearModel{cEMB: 0.05, cAttn: 0.0001, cMLP: 0.001}
	sal := salFor(selSpec, func(d arch.Dimension, b, i int) float64 {
		switch d {
		case arch.DimMLP:
			return 1e-9
		case arch.DimEMB:
			return 1
		}
		return 50
	})
	dense, _ := m.Latency(selSpec)
	target := dense.TotalMS - 0.2
	sizes := GroupSizes{EMB: 1, Heads: 1, QK: 1, V: 1, MLP: 1}
	run := func(method Selection) (emb, mlp int, removed float64) {
		got, err := Select(selSpec, sal, sizes, Regularizer{Model: m, Eta: 1}, method, target)
		if err != nil {
			t.Fatal(err)
		}
		if got.PredictedMS > target+1e-12 {
			t.Fatalf("%s: predicted %g above target %g", method, got.PredictedMS, target)
		}
		for _, g := range got.Groups {
			removed += g.Saliency
			switch g.Dim {
			case arch.DimEMB:
				emb++
			case arch.DimMLP:
				mlp++
			}
		}
		return emb, mlp, removed
	}
	if emb, mlp, s := run(SelectGreedy); emb != 4 || mlp != 0 || math.Abs(s-4) > 1e-6 {
		t.Errorf("greedy: %d EMB, %d MLP groups, saliency %g; want 4, 0, 4", emb, mlp, s)
	}
	if emb, mlp, s := run(SelectRatio); emb != 3 || mlp != 96 || math.Abs(s-3) > 1e-6 {
		t.Errorf("ratio: %d EMB, %d MLP groups, saliency %g; want 3, 96, 3", emb, mlp, s)
	}
}
