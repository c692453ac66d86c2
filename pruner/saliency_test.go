package pruner

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// TestUnitSumsByHand: a 2-unit toy worked by hand. EMB 1 and one block with
// an MLP of 2 neurons, no heads; prod holds w·g per parameter. Neuron 0 owns
// fc1 column 0, fc1 bias 0 and fc2 row 0; neuron 1 the others; the single
// EMB channel owns every [emb] entry and every matrix's emb row/column.
func TestUnitSumsByHand(t *testing.T) {
	s := arch.Spec{Image: 4, Patch: 4, Channels: 1, Classes: 2, ExtraTokens: 1, EMB: 1,
		Blocks: []arch.Block{{MLP: 2}}}
	prod := map[string][]float32{}
	for _, v := range blocks.Layout(s) {
		prod[v.Path()] = make([]float32, v.Size())
	}
	prod["block_00/mlp/fc1/weights"] = []float32{1, 2}   // [emb=1, mlp=2]
	prod["block_00/mlp/fc1/biases"] = []float32{0.5, -4} // [mlp]
	prod["block_00/mlp/fc2/weights"] = []float32{3, 1}   // [mlp, emb=1]
	prod["block_00/norm2/scale"] = []float32{10}
	prod["head/weights"] = []float32{-1, -2} // [emb, classes]
	prod["head/biases"] = []float32{100, 100}
	got := unitSums(s, prod)
	// Neuron 0: 1 + 0.5 + 3 = 4.5; neuron 1: 2 − 4 + 1 = −1.
	if !slices.Equal(got.MLP[0], []float64{4.5, -1}) {
		t.Errorf("MLP sums %v, want [4.5 -1]", got.MLP[0])
	}
	// EMB: fc1 row (1+2) + fc2 column (3+1) + norm2 10 + head row (−3); the head bias is no unit's.
	if !slices.Equal(got.EMB, []float64{14}) {
		t.Errorf("EMB sum %v, want [14]", got.EMB)
	}
	// Saliency squares the sums: neuron 0 is the more salient (20.25 vs 1).
}

// synthetic is a small learnable task: 4 classes, a bright 4×4 blob in one
// quadrant of an 8×8 image plus noise.
func synthetic(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	d := &Dataset{Name: "blobs", Channels: 1, Height: 8, Width: 8, Classes: 4, Mean: []float32{0.3}, Std: []float32{0.3}}
	for range n {
		c := rng.IntN(4)
		img := make([]uint8, 64)
		for i := range img {
			img[i] = uint8(rng.IntN(120))
		}
		oy, ox := 4*(c/2), 4*(c%2)
		for y := range 4 {
			for x := range 4 {
				img[(oy+y)*8+ox+x] = uint8(100 + rng.IntN(156))
			}
		}
		d.Pixels = append(d.Pixels, img...)
		d.Labels = append(d.Labels, int32(c))
	}
	return d
}

var blobSpec = arch.Spec{Name: "blob", Image: 8, Patch: 4, Channels: 1, Classes: 4, ExtraTokens: 1, EMB: 12,
	Blocks: []arch.Block{{Heads: 4, QK: 4, V: 4, MLP: 16}, {Heads: 2, QK: 3, V: 2, MLP: 8}}}

// loss64 returns a function computing the mean cross-entropy of w on
// (images, labels) in float64, with chosen parameters scaled.
func loss64(t *testing.T, w *Weights, images, labels *tensors.Tensor) func(scale map[string][]float64) float64 {
	t.Helper()
	ctx := mlctx.New()
	layout := blocks.Layout(w.Spec)
	vars := make([]*mlctx.Variable, len(layout))
	for i, v := range layout {
		c := ctx
		for _, sc := range v.Scope {
			c = c.In(sc)
		}
		vars[i] = c.VariableWithValue(v.Name, tensors.FromFlatDataAndDimensions(make([]float64, v.Size()), v.Dims...))
	}
	spec := w.Spec
	e := mlctx.MustNewExec(backend, ctx.Reuse(), func(ctx *mlctx.Context, x, y *graph.Node) *graph.Node {
		return crossEntropy(blocks.Model(ctx, x, spec), y)
	})
	t.Cleanup(e.Finalize)
	x64 := tensors.FromFlatDataAndDimensions(func() []float64 {
		f := tensors.MustCopyFlatData[float32](images)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	}(), images.Shape().Dimensions...)
	return func(scale map[string][]float64) float64 {
		for i, v := range layout {
			src := w.Values[v.Path()]
			vals := make([]float64, len(src))
			for j, x := range src {
				vals[j] = float64(x)
				if s := scale[v.Path()]; s != nil {
					vals[j] *= s[j]
				}
			}
			vars[i].MustSetValue(tensors.FromFlatDataAndDimensions(vals, v.Dims...))
		}
		out := e.MustExec1(x64, labels)
		return tensors.ToScalar[float64](out)
	}
}

// unitScale is 1 + eps on the parameters unit (d, b, i) owns (via roles), 1 elsewhere.
func unitScale(s arch.Spec, d arch.Dimension, b, i int, eps float64) map[string][]float64 {
	out := map[string][]float64{}
	rs := roles(s)
	for _, v := range blocks.Layout(s) {
		m := make([]float64, v.Size())
		for j := range m {
			m[j] = 1
		}
		strides := make([]int, len(v.Dims))
		st := 1
		for a := len(v.Dims) - 1; a >= 0; a-- {
			strides[a] = st
			st *= v.Dims[a]
		}
		for j := range m {
			for a, r := range rs[v.Path()] {
				if r.Dim == d && (d == arch.DimEMB || r.Block == b) && (j/strides[a])%v.Dims[a] == i {
					m[j] = 1 + eps
				}
			}
		}
		out[v.Path()] = m
	}
	return out
}

// TestSaliencyDirectional checks every unit's saliency against an
// independent reference that takes no gradient: Σ_{s∈S} w_s·∂L/∂w_s is the
// derivative of L when S's parameters are scaled by (1+t), which central
// finite differences of the float64 loss give.
func TestSaliencyDirectional(t *testing.T) {
	s := blobSpec
	w := randomWeights(t, s, 11)
	data := synthetic(16, 1)
	sal, err := Saliency(context.Background(), backend, w, data, SaliencyOptions{Batches: 1, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, data.Len())
	for i := range all {
		all[i] = i
	}
	// Batch order does not matter: one batch holds every image.
	images, labels := data.Batch(all)
	L := loss64(t, w, images, labels)
	const eps = 1e-4
	var worst float64
	n := 0
	sal.each(func(d arch.Dimension, b int, v []float64) {
		for i, got := range v {
			dd := (L(unitScale(s, d, b, i, eps)) - L(unitScale(s, d, b, i, -eps))) / (2 * eps)
			want := dd * dd
			rel := math.Abs(got-want) / max(want, 1e-6)
			worst = max(worst, rel)
			n++
			if rel > 2e-3 {
				t.Errorf("%s[b%d] unit %d: saliency %.6g, (dL/dt)² %.6g", d, b, i, got, want)
			}
		}
	})
	t.Logf("%d units, worst relative error %.2g", n, worst)
}

// trainedBlob is blobSpec trained briefly on the synthetic task, trained
// once for all tests (which must not change it).
func trainedBlob(t *testing.T) (*Weights, *Dataset) {
	t.Helper()
	blob.once.Do(func() {
		blob.data = synthetic(256, 2)
		w, err := Init(backend, blobSpec, 3)
		if err != nil {
			blob.err = err
			return
		}
		blob.w, _, blob.err = Train(context.Background(), backend, w, blob.data, TrainOptions{Steps: 300, BatchSize: 32, LR: 3e-3, MinLR: 1e-4, Warmup: 10, Seed: 1})
	})
	if blob.err != nil {
		t.Fatal(blob.err)
	}
	return blob.w, blob.data
}

var blob struct {
	once sync.Once
	w    *Weights
	data *Dataset
	err  error
}

func spearman(a, b []float64) float64 {
	rank := func(x []float64) []float64 {
		idx := iota(len(x))
		sort.Slice(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
		r := make([]float64, len(x))
		for k, i := range idx {
			r[i] = float64(k)
		}
		return r
	}
	ra, rb := rank(a), rank(b)
	n := float64(len(a))
	var d2 float64
	for i := range ra {
		d2 += (ra[i] - rb[i]) * (ra[i] - rb[i])
	}
	return 1 - 6*d2/(n*(n*n-1))
}

// TestSaliencyRanksLikeRemoval: on a trained model, the saliency of the MLP
// neurons and EMB channels ranks them like the loss increase when each is
// removed (brute force: prune the unit, re-evaluate the loss on the same data).
func TestSaliencyRanksLikeRemoval(t *testing.T) {
	w, data := trainedBlob(t)
	sal, err := Saliency(context.Background(), backend, w, data, SaliencyOptions{Batches: 8, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	base, err := Evaluate(context.Background(), backend, w, data, 256)
	if err != nil {
		t.Fatal(err)
	}
	increase := func(d arch.Dimension, b, i int) float64 {
		k := KeepAll(w.Spec)
		k = k.without([]Group{{Dim: d, Block: b, Units: []int{i}}})
		small, err := Prune(w, k)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Evaluate(context.Background(), backend, small, data, 256)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Loss - base.Loss
	}
	for _, c := range []struct {
		d   arch.Dimension
		b   int
		min float64
	}{
		// Observed: MLP 0.87 and 0.90, EMB 0.55. Removing an EMB channel also
		// changes every LayerNorm's statistics, which the first-order
		// saliency does not see, so its bound is looser. Four heads (or QK,
		// V dims) give no meaningful rank statistic: logged, not checked.
		{arch.DimMLP, 0, 0.6}, {arch.DimMLP, 1, 0.6}, {arch.DimEMB, -1, 0.3},
		{arch.DimHeads, 0, -1}, {arch.DimQK, 0, -1}, {arch.DimV, 0, -1},
	} {
		v := sal.Of(c.d, max(c.b, 0))
		inc := make([]float64, len(v))
		for i := range v {
			inc[i] = increase(c.d, c.b, i)
		}
		rho := spearman(v, inc)
		t.Logf("%s[b%d]: Spearman %.2f between saliency and loss increase over %d units", c.d, c.b, rho, len(v))
		if rho < c.min {
			t.Errorf("%s: rank correlation %.2f < %.2f\nsaliency %v\nincrease %v", c.d, rho, c.min, v, inc)
		}
	}
}

// TestSaliencyEMA: the smoothing step is I ← a·I + (1−a)·I_batch, and with
// batches that hold every image (so every batch's saliency is the same) the
// bias-corrected average is that value.
func TestSaliencyEMA(t *testing.T) {
	p := &PerUnit{EMB: []float64{1, 2}, Heads: [][]float64{{4}}, QK: [][]float64{{}}, V: [][]float64{{}}, MLP: [][]float64{{8}}}
	q := &PerUnit{EMB: []float64{3, 0}, Heads: [][]float64{{0}}, QK: [][]float64{{}}, V: [][]float64{{}}, MLP: [][]float64{{10}}}
	p.blend(q, 0.75)
	if !slices.Equal(p.EMB, []float64{1.5, 1.5}) || p.Heads[0][0] != 3 || p.MLP[0][0] != 8.5 {
		t.Errorf("blend: %+v", p)
	}
	w := randomWeights(t, blobSpec, 4)
	data := synthetic(16, 5)
	one, err := Saliency(context.Background(), backend, w, data, SaliencyOptions{Batches: 1, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	three, err := Saliency(context.Background(), backend, w, data, SaliencyOptions{Batches: 3, BatchSize: 16, EMA: 0.5, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range three.EMB {
		if math.Abs(v-one.EMB[i]) > 2e-3*max(v, 1e-12) { // float32 sums in another image order
			t.Errorf("EMB %d: %g over three full batches, %g over one", i, v, one.EMB[i])
		}
	}
}

// TestSaliencyEMABiasCorrected: over three batches with a = 0.5 the
// bias-corrected EMA weighs them (1−a)·a^(3−k)/(1−a³): 1/7, 2/7 and 4/7 (a
// first-batch seed would give 1/4, 1/4, 1/2). Each batch's own saliency is
// that of a one-batch run on just its images, in the order Saliency draws
// them.
func TestSaliencyEMABiasCorrected(t *testing.T) {
	w := randomWeights(t, blobSpec, 4)
	data := synthetic(48, 6)
	const size, seed = 16, 4
	order := NewBatches(data, size, seed)
	var per []*PerUnit
	for range 3 {
		p, err := Saliency(context.Background(), backend, w, data.Subset(order.Next()), SaliencyOptions{Batches: 1, BatchSize: size})
		if err != nil {
			t.Fatal(err)
		}
		per = append(per, p)
	}
	got, err := Saliency(context.Background(), backend, w, data, SaliencyOptions{Batches: 3, BatchSize: size, EMA: 0.5, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	weights := []float64{1.0 / 7, 2.0 / 7, 4.0 / 7}
	var batchVals [][][]float64 // [batch][slice of units]
	for _, p := range per {
		var vs [][]float64
		p.each(func(_ arch.Dimension, _ int, v []float64) { vs = append(vs, v) })
		batchVals = append(batchVals, vs)
	}
	j := 0
	got.each(func(d arch.Dimension, b int, v []float64) {
		for i, g := range v {
			var want float64
			for k, wk := range weights {
				want += wk * batchVals[k][j][i]
			}
			if math.Abs(g-want) > 2e-3*want+1e-12 { // float32 sums in another image order
				t.Errorf("%s[b%d] unit %d: saliency %.6g, want %.6g (batches %.6g, %.6g, %.6g)",
					d, b, i, g, want, batchVals[0][j][i], batchVals[1][j][i], batchVals[2][j][i])
			}
		}
		j++
	})
}
