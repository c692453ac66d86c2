package costmodel

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// mlpTable is a table of mlp rows over emb × mlp whose latency is f.
func mlpTable(embs, mlps []int, f func(e, m float64) float64) tablefmt.Table {
	t := tablefmt.Table{Header: testHeader()}
	for _, e := range embs {
		for _, m := range mlps {
			t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: f(float64(e), float64(m))})
		}
	}
	return t
}

func mustFit(t *testing.T, tab tablefmt.Table, k ModelKind) *Model {
	t.Helper()
	m, err := Fit(tab, FitOptions{Kind: k})
	if err != nil {
		t.Fatalf("fit %s: %v", k, err)
	}
	return m
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// A multilinear function of (emb, mlp) is reproduced exactly between grid
// points by multilinear interpolation, and the table is monotone, so both
// kinds must return it everywhere inside the grid.
func TestInterpolationReproducesMultilinear(t *testing.T) {
	f := func(e, m float64) float64 { return 0.1 + 0.001*e + 0.0002*m + 1e-6*e*m }
	tab := mlpTable([]int{64, 128, 256}, []int{32, 96, 160, 256}, f)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range ModelKinds() {
		m := mustFit(t, tab, k)
		c := m.comps[tablefmt.KindMLP]
		for range 500 {
			e, mm := 64+rng.IntN(193), 32+rng.IntN(225)
			got, err := c.at([]int{e, mm})
			if err != nil {
				t.Fatal(err)
			}
			if want := f(float64(e), float64(mm)); !near(got, want, 1e-12) {
				t.Fatalf("%s at emb %d mlp %d: %v, want %v", k, e, mm, got, want)
			}
		}
	}
}

// NViT's zero plane: below the smallest EMB the latency falls linearly to 0
// at EMB 0 (hand-computed: at half the EMB, half the latency); above the
// grid it refuses.
func TestNViTInterpZeroPlaneAndRefusal(t *testing.T) {
	tab := mlpTable([]int{256, 512}, []int{128, 256}, func(e, m float64) float64 { return 2 + e/256 + m/128 })
	m := mustFit(t, tab, ModelNViTInterp)
	got, err := m.comps[tablefmt.KindMLP].at([]int{128, 128})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.5 * (2 + 1 + 1); !near(got, want, 1e-12) {
		t.Errorf("emb 128: %v, want %v", got, want)
	}
	if _, err := m.comps[tablefmt.KindMLP].at([]int{600, 128}); err == nil || !strings.Contains(err.Error(), "refuses") {
		t.Errorf("emb 600: err %v, want a refusal", err)
	}
	if _, err := m.comps[tablefmt.KindMLP].at([]int{256, 300}); err == nil || !strings.Contains(err.Error(), "EMB and MLP also down to 0") {
		t.Errorf("mlp 300 above the grid: err %v, want a refusal", err)
	}
}

// Below the smallest MLP width, nvit-interp falls linearly toward the block
// without MLP, as NViT's interpolator does between MLP_1 and MLP_128
// (hand-computed). On a decomposed table the MLP component goes to 0 at
// width 0: a block of MLP 32 with the smallest width measured 128 is its
// attention plus a quarter of MLP 128's latency.
func TestNViTInterpBelowSmallestMLP(t *testing.T) {
	tab := tablefmt.Table{Header: testHeader(), Rows: []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 256, Heads: 4, QK: 64, V: 64, MedianMS: 3},
		{Kind: tablefmt.KindAttn, EMB: 512, Heads: 4, QK: 64, V: 64, MedianMS: 5},
		{Kind: tablefmt.KindMLP, EMB: 256, MLP: 128, MedianMS: 2},
		{Kind: tablefmt.KindMLP, EMB: 256, MLP: 256, MedianMS: 3},
		{Kind: tablefmt.KindMLP, EMB: 512, MLP: 128, MedianMS: 4},
		{Kind: tablefmt.KindMLP, EMB: 512, MLP: 256, MedianMS: 6},
	}}
	m := mustFit(t, tab, ModelNViTInterp)
	b := func(mlp int) arch.Block { return arch.Block{Heads: 4, QK: 64, V: 64, MLP: mlp} }
	for _, tc := range []struct {
		emb, mlp int
		want     float64
	}{
		{256, 32, 3 + 2*32.0/128},        // 3.5
		{256, 100, 3 + 2*100.0/128},      // 4.5625
		{384, 64, (3+5)/2.0 + (2+4)/4.0}, // EMB halfway, MLP half of 128: 4 + 1.5
		{256, 0, 3},                      // no MLP: the attention
		{128, 64, 0.5*3 + 0.5*0.5*2},     // below both: EMB's zero plane too, 1.5 + 0.5
	} {
		got, err := m.BlockMS(tc.emb, 5, b(tc.mlp))
		if err != nil || !near(got, tc.want, 1e-12) {
			t.Errorf("emb %d mlp %d: %v (%v), want %v", tc.emb, tc.mlp, got, err, tc.want)
		}
	}
}

// The staircase the H100 showed (DESIGN.md): MLP 3056 / 3064 / 3072 / 3080
// read 0.324 / 0.326 / 0.313 / 0.343 ms. The hw model keeps the measured
// steps that no larger configuration undercuts and lowers the others to the
// fastest larger one: 0.313, 0.313, 0.313, 0.343 (by hand). NViT's
// interpolation keeps the inversions.
func TestHWEnvelopeOnStaircase(t *testing.T) {
	ms := map[int]float64{3056: 0.324, 3064: 0.326, 3072: 0.313, 3080: 0.343}
	tab := tablefmt.Table{Header: testHeader()}
	for _, e := range []int{768} {
		for mlp, v := range ms {
			tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: mlp, MedianMS: v})
		}
	}
	want := map[ModelKind]map[int]float64{
		ModelHW:         {3056: 0.313, 3064: 0.313, 3072: 0.313, 3080: 0.343},
		ModelNViTInterp: ms,
	}
	for k, w := range want {
		m := mustFit(t, tab, k)
		for mlp, v := range w {
			got, err := m.comps[tablefmt.KindMLP].at([]int{768, mlp})
			if err != nil {
				t.Fatal(err)
			}
			if got != v {
				t.Errorf("%s mlp %d: %v, want %v", k, mlp, got, v)
			}
		}
	}
}

// trueLatency is a hardware-like latency of a block: a constant per
// sub-block plus compute and memory terms from the exact counts, with
// coefficients chosen here (not fitted).
func trueLatency(h tablefmt.Header, emb int, b arch.Block) float64 {
	a := arch.AttentionCounts(emb, h.Tokens, b)
	m := arch.MLPCounts(emb, h.Tokens, b.MLP)
	v := 2e-9*float64(a.MACs+m.MACs) + 1e-8*float64(a.Activations+m.Activations) + 3e-9*float64(a.Params+m.Params)
	if b.Heads > 0 {
		v += 0.02
	}
	if b.MLP > 0 {
		v += 0.01
	}
	return v
}

func blockTable(rng *rand.Rand, noise float64) tablefmt.Table {
	h := testHeader()
	h.Tokens, h.Batch = 17, 1
	tab := tablefmt.Table{Header: h}
	for _, e := range []int{64, 96, 128} {
		for _, hd := range []int{1, 2, 4} {
			for _, qk := range []int{8, 16, 32} {
				for _, v := range []int{8, 16, 32} {
					for _, m := range []int{0, 64, 128, 256} {
						b := arch.Block{Heads: hd, QK: qk, V: v, MLP: m}
						ms := trueLatency(h, e, b)
						if rng != nil {
							ms *= 1 + noise*(2*rng.Float64()-1)
						}
						tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindBlock, EMB: e, Heads: hd, QK: qk, V: v, MLP: m, MedianMS: ms})
					}
				}
			}
		}
	}
	return tab
}

// With a table that follows the trend exactly, the hw model extrapolates
// below and above the grid to the true latency (to the interpolation
// between its quarter-octave virtual nodes); NViT's zero plane does not.
func TestHWExtrapolatesTheTrend(t *testing.T) {
	tab := blockTable(nil, 0)
	h := tab.Header
	hw := mustFit(t, tab, ModelHW)
	nv := mustFit(t, tab, ModelNViTInterp)
	for _, q := range []struct {
		emb int
		b   arch.Block
	}{
		{48, arch.Block{Heads: 2, QK: 16, V: 16, MLP: 128}},
		{20, arch.Block{Heads: 1, QK: 8, V: 8, MLP: 64}},
		{200, arch.Block{Heads: 6, QK: 48, V: 40, MLP: 400}},
		{96, arch.Block{Heads: 0, MLP: 128}},
	} {
		want := trueLatency(h, q.emb, q.b)
		got, err := hw.BlockMS(q.emb, h.Tokens, q.b)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, want, 0.01) {
			t.Errorf("hw emb %d %+v: %v, want %v", q.emb, q.b, got, want)
		}
	}
	want := trueLatency(h, 48, arch.Block{Heads: 2, QK: 16, V: 16, MLP: 128})
	got, err := nv.BlockMS(48, h.Tokens, arch.Block{Heads: 2, QK: 16, V: 16, MLP: 128})
	if err != nil {
		t.Fatal(err)
	}
	if near(got, want, 0.05) {
		t.Errorf("nvit-interp at emb 48 is %v, close to the truth %v: the test no longer shows the zero plane", got, want)
	}
	if _, err := hw.BlockMS(8, h.Tokens, arch.Block{Heads: 1, QK: 8, V: 8, MLP: 64}); err == nil || !strings.Contains(err.Error(), "quarter") {
		t.Errorf("emb 8, far below the grid: err %v, want a refusal stating the rule", err)
	}
	if _, err := hw.BlockMS(96, h.Tokens+1, arch.Block{Heads: 1, QK: 8, V: 8}); err == nil || !strings.Contains(err.Error(), "tokens") {
		t.Errorf("other tokens: err %v", err)
	}
}

// Below a quarter of the smallest MLP width measured, the hw model's MLP
// falls linearly to 0 at width 0 (the sub-block absent), as a block
// component's does toward the block without MLP: with the smallest width
// 64, the last virtual node is 16, and width 8 costs half of width 16,
// width 4 a quarter. Above twice the largest width it refuses.
func TestHWBelowSmallestMLP(t *testing.T) {
	tab := mlpTable([]int{64, 128}, []int{64, 128, 256}, func(e, m float64) float64 { return 0.1 + 0.001*e + 0.002*m })
	m := mustFit(t, tab, ModelHW)
	c := m.comps[tablefmt.KindMLP]
	at := func(mlp int) float64 {
		t.Helper()
		v, err := c.at([]int{96, mlp})
		if err != nil {
			t.Fatalf("mlp %d: %v", mlp, err)
		}
		return v
	}
	v16 := at(16)
	if v16 <= 0 {
		t.Fatalf("mlp 16: %v, want a positive latency", v16)
	}
	for _, w := range []int{8, 4, 1} {
		if got, want := at(w), v16*float64(w)/16; !near(got, want, 1e-12) {
			t.Errorf("mlp %d: %v, want %v (%d/16 of mlp 16's %v)", w, got, want, w, v16)
		}
	}
	if _, err := c.at([]int{96, 513}); err == nil || !strings.Contains(err.Error(), "up to twice its largest") {
		t.Errorf("mlp 513, above twice the grid: err %v, want a refusal stating the rule", err)
	}
}

// The fitted trend recovers coefficients chosen by hand from exact data.
func TestFitTrendRecoversCoefficients(t *testing.T) {
	h := testHeader()
	want := []float64{0.05, 3e-7, 0, 2e-6}
	var xs [][]int
	var ys []float64
	for _, e := range []int{32, 64, 100} {
		for _, m := range []int{16, 50, 128, 300} {
			x := []int{e, m}
			f := trendRow(tablefmt.KindMLP, h, x)
			y := 0.0
			for i := range want {
				y += want[i] * f[i]
			}
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	got, err := fitTrend(tablefmt.KindMLP, h, xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9*math.Max(want[i], 1e-6) {
			t.Errorf("coef %d (%s): %g, want %g", i, trendFeatures(tablefmt.KindMLP, h)[i], got[i], want[i])
		}
	}
}

// randomSpec draws a spec over and around blockTable's grid.
func randomSpec(rng *rand.Rand, h tablefmt.Header, depth int) arch.Spec {
	s := arch.Spec{Image: h.Image, Patch: h.Patch, Channels: h.Channels, Classes: h.Classes, EMB: 16 + rng.IntN(240)}
	s.ExtraTokens = h.Tokens - s.Patches()
	for range depth {
		b := arch.Block{Heads: rng.IntN(9), QK: 1 + rng.IntN(64), V: 1 + rng.IntN(64), MLP: rng.IntN(500)}
		if b.Heads == 0 {
			b.QK, b.V = 0, 0
		}
		s.Blocks = append(s.Blocks, b)
	}
	return s
}

// Property: on a noisy table (±4%), the hw model never predicts that
// removing units makes a block or a model slower, along any of the five
// dimensions, inside or outside the grid.
func TestHWMonotoneProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tab := blockTable(rng, 0.04)
	h := tab.Header
	h.Image, h.Patch = 64, 16 // 16 patches + 1 cls = 17 tokens
	tab.Header = h
	m := mustFit(t, tab, ModelHW)
	checked := 0
	for range 3000 {
		s := randomSpec(rng, h, 2)
		if _, err := m.Latency(s); err != nil {
			continue // outside the model's range: refused, not clamped
		}
		d := arch.Dimensions()[rng.IntN(5)]
		r := Removal{Dim: d, Block: rng.IntN(2), K: 1 + rng.IntN(40)}
		if _, err := r.Apply(s); err != nil {
			continue
		}
		saved, err := m.Marginal(s, r)
		var ie *InversionError
		if errors.As(err, &ie) {
			t.Fatalf("%v", err)
		}
		if err != nil {
			continue // the smaller model is below the range
		}
		if saved < 0 {
			t.Fatalf("removing %s from %+v saves %v < 0", r, s, saved)
		}
		checked++
	}
	if checked < 1000 {
		t.Errorf("only %d removals checked", checked)
	}
}

func TestSpearmanAndMetricsByHand(t *testing.T) {
	// d = [-1, 1, -1, 1, 0]: ρ = 1 − 6·4 / (5·24) = 0.8.
	if got := Spearman([]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}); !near(got, 0.8, 1e-12) {
		t.Errorf("Spearman = %v, want 0.8", got)
	}
	// Ties: ranks of y are 1, 2.5, 2.5, 4; Pearson with 1..4 = 4.5/sqrt(5·4.5) = 0.9486833.
	if got := Spearman([]float64{1, 2, 3, 4}, []float64{1, 2, 2, 3}); !near(got, 0.9486832980505138, 1e-12) {
		t.Errorf("Spearman with ties = %v", got)
	}
	m := ComputeMetrics([]float64{1.04, 0.9, 2}, []float64{1, 1, 2})
	if !near(float64(m.MAPE), 14.0/3, 1e-9) || !near(float64(m.RMSPE), math.Sqrt(116.0/3), 1e-9) ||
		!near(float64(m.Within5), 200.0/3, 1e-9) || float64(m.Within10) != 100 || !near(float64(m.MaxAPE), 10, 1e-9) ||
		!near(float64(m.MedianAPE), 4, 1e-9) { // |errors| 4, 10, 0 %
		t.Errorf("metrics %+v", m)
	}
	// An even count: the median is the mean of the middle two, 3%.
	if m := ComputeMetrics([]float64{1.04, 0.9, 2, 1.02}, []float64{1, 1, 2, 1}); !near(float64(m.MedianAPE), 3, 1e-9) {
		t.Errorf("median of 4, 10, 0, 2 %%: %v", m.MedianAPE)
	}
}

func TestLatencyRefusesOtherGeometry(t *testing.T) {
	l, err := tablefmt.ReadLUT(strings.NewReader(smallPythonLUT), "py.json")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := l.Table(tablefmt.NViTV100Header())
	if err != nil {
		t.Fatal(err)
	}
	m := mustFit(t, tab, ModelNViTInterp)
	b, _ := arch.Preset("deit-b")
	if _, err := m.Latency(b); err == nil || !strings.Contains(err.Error(), "distilled") {
		t.Errorf("deit-b (197 tokens) on a 198-token table: err %v, want a refusal suggesting a distilled preset", err)
	}
	bd, _ := arch.Preset("deit-b-distilled")
	p, err := m.Latency(bd)
	if err != nil {
		t.Fatal(err)
	}
	// Every block is on the table: 12 × 12.3 ms; no rest rows.
	if !near(p.TotalMS, 12*12.3, 1e-12) || p.Rest || len(p.Warnings) == 0 {
		t.Errorf("deit-b-distilled: %+v", p)
	}
}

func TestRemovalApply(t *testing.T) {
	s, _ := arch.Preset("deit-s")
	for _, tc := range []struct {
		r    Removal
		want string // error substring, or "" for success
	}{
		{Removal{Dim: arch.DimEMB, K: 384}, "has 384"},
		{Removal{Dim: arch.DimHeads, Block: 12, K: 1}, "12 blocks"},
		{Removal{Dim: arch.DimQK, Block: 0, K: 64}, "remove the heads"},
		{Removal{Dim: arch.DimMLP, Block: 0, K: 2000}, "has 1536"},
		{Removal{Dim: "depth", Block: 0, K: 1}, "unknown dimension"},
		{Removal{Dim: arch.DimHeads, Block: 3, K: 6}, ""},
		{Removal{Dim: arch.DimV, Block: 3, K: 8}, ""},
	} {
		out, err := tc.r.Apply(s)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.r, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q (got %+v)", tc.r, err, tc.want, out.Blocks)
		}
	}
	out, _ := Removal{Dim: arch.DimHeads, Block: 3, K: 6}.Apply(s)
	if out.Blocks[3] != (arch.Block{MLP: 1536}) || s.Blocks[3].Heads != 6 {
		t.Errorf("removing every head: %+v (original %+v)", out.Blocks[3], s.Blocks[3])
	}
}

// A table with attn rows and block rows but no mlp rows predicts every
// block from the block component. Before, a block with MLP came from the
// block component (1 ms) and the same block without MLP from the attn
// component (5 ms, measured apart): removing the MLP "slowed" it down.
// Now both come from the block rows, 1 ms and 0.5 ms: 0.5 ms saved.
func TestPartlyDecomposedTableUsesBlockComponent(t *testing.T) {
	h := testHeader() // 32² image, 16² patches, 5 tokens
	tab := tablefmt.Table{Header: h, Rows: []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 64, Heads: 2, QK: 16, V: 16, MedianMS: 5},
		{Kind: tablefmt.KindBlock, EMB: 64, Heads: 2, QK: 16, V: 16, MLP: 128, MedianMS: 1},
		{Kind: tablefmt.KindBlock, EMB: 64, Heads: 2, QK: 16, V: 16, MLP: 0, MedianMS: 0.5},
	}}
	s := arch.Spec{Name: "one", Image: h.Image, Patch: h.Patch, Channels: h.Channels, Classes: h.Classes, EMB: 64,
		Blocks: []arch.Block{{Heads: 2, QK: 16, V: 16, MLP: 128}}}
	s.ExtraTokens = h.Tokens - s.Patches()
	r := Removal{Dim: arch.DimMLP, Block: 0, K: 128}
	for _, k := range ModelKinds() {
		m := mustFit(t, tab, k)
		for _, tc := range []struct {
			b    arch.Block
			want float64
		}{
			{arch.Block{Heads: 2, QK: 16, V: 16, MLP: 128}, 1},
			{arch.Block{Heads: 2, QK: 16, V: 16}, 0.5},
		} {
			got, err := m.BlockMS(64, h.Tokens, tc.b)
			if err != nil || !near(got, tc.want, 1e-12) {
				t.Errorf("%s %+v: %v (%v), want %v ms from the block rows", k, tc.b, got, err, tc.want)
			}
		}
		saved, err := m.Marginal(s, r)
		if err != nil || !near(saved, 0.5, 1e-12) {
			t.Errorf("%s: removing %s saves %v (%v), want 0.5 ms", k, r, saved, err)
		}
	}
}
