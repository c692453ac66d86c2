package arch

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestRounding(t *testing.T) {
	for _, tc := range []struct {
		r    Rounding
		x    float64
		step int
		want int
	}{
		{RoundNearest, 3.84, 2, 4}, {RoundNearest, 7.68, 2, 8}, {RoundNearest, 1.76, 2, 2},
		{RoundNearest, 5.12, 2, 6}, {RoundNearest, 0.3, 2, 2}, // at least one step
		{RoundDown, 38.4, 8, 32}, {RoundDown, 19.2, 8, 16}, {RoundDown, 8.8, 8, 8},
		{RoundDown, 40, 8, 40}, {RoundDown, 3.2, 8, 8},
		{RoundUp, 38.4, 8, 40}, {RoundUp, 40, 8, 40},
	} {
		got, err := tc.r.Round(tc.x, tc.step)
		if err != nil || got != tc.want {
			t.Errorf("%s.Round(%v, %d) = %d, %v; want %d", tc.r, tc.x, tc.step, got, err, tc.want)
		}
	}
	if _, err := Rounding("sideways").Round(1, 1); err == nil {
		t.Error("unknown rounding accepted")
	}
}

func TestDefaultEpsilon(t *testing.T) {
	want12 := []float64{1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 1} // blocks 4–9 of 12, counting from 1
	if got := DefaultEpsilon(12); !reflect.DeepEqual(got, want12) {
		t.Errorf("DefaultEpsilon(12) = %v, want %v", got, want12)
	}
	if got := DefaultEpsilon(4); !reflect.DeepEqual(got, []float64{1, 2, 2, 1}) {
		t.Errorf("DefaultEpsilon(4) = %v", got)
	}
}

// The rule as the paper writes it, worked by hand for a few widths:
// H = ε·EMB/100 to the nearest even, QK = ε·EMB/20 down to a multiple of 8,
// V = 64, MLP = 3·ε·EMB.
func TestRuleAsWritten(t *testing.T) {
	for _, tc := range []struct {
		emb           int
		outer, middle Block // ε = 1 and ε = 2
	}{
		{384, Block{4, 16, 64, 1152}, Block{8, 32, 64, 2304}},  // 3.84→4, 19.2→16 | 7.68→8, 38.4→32
		{176, Block{2, 8, 64, 528}, Block{4, 16, 64, 1056}},    // 1.76→2, 8.8→8 | 3.52→4, 17.6→16
		{512, Block{6, 24, 64, 1536}, Block{10, 48, 64, 3072}}, // 5.12→6, 25.6→24 | 10.24→10, 51.2→48
		{768, Block{8, 32, 64, 2304}, Block{16, 72, 64, 4608}}, // 7.68→8, 38.4→32 | 15.36→16, 76.8→72
		{64, Block{2, 8, 64, 192}, Block{2, 8, 64, 384}},       // floors of one step
	} {
		s, err := DefaultRule(tc.emb).Spec()
		if err != nil {
			t.Fatal(err)
		}
		if s.EMB != tc.emb || len(s.Blocks) != 12 || s.ExtraTokens != 2 || s.Tokens() != 198 {
			t.Fatalf("EMB %d: spec %+v", tc.emb, s)
		}
		for i, b := range s.Blocks {
			want := tc.outer
			if i >= 3 && i <= 8 {
				want = tc.middle
			}
			if b != want {
				t.Errorf("EMB %d block %d: %+v, want %+v", tc.emb, i, b, want)
			}
		}
	}
}

func TestRuleParameters(t *testing.T) {
	r := Rule{EMB: 256, Depth: 4, Epsilon: []float64{1, 1.5, 1.5, 1}, HeadDivisor: 64, HeadStep: 1,
		QKDivisor: 8, QKStep: 16, QKRound: RoundUp, V: 32, MLPFactor: 4, MLPStep: 64, MLPRound: RoundDown,
		Geometry: Geometry{Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1}, Name: "custom"}
	s, err := r.Spec()
	if err != nil {
		t.Fatal(err)
	}
	// ε=1: heads 4, QK 32, MLP 1024; ε=1.5: heads 6, QK 48, MLP 1536.
	want := []Block{{4, 32, 32, 1024}, {6, 48, 32, 1536}, {6, 48, 32, 1536}, {4, 32, 32, 1024}}
	if !reflect.DeepEqual(s.Blocks, want) || s.Tokens() != 65 || s.Name != "custom" {
		t.Errorf("got %+v (tokens %d)", s, s.Tokens())
	}
	for _, bad := range []Rule{{EMB: 0}, {EMB: 64, Epsilon: []float64{1, 1}, Depth: 3}, {EMB: 64, Epsilon: []float64{1, -1}},
		{EMB: 64, QKRound: "sideways"}, {EMB: 64, HeadDivisor: -1}} {
		if _, err := bad.Spec(); err == nil {
			t.Errorf("rule %+v accepted", bad)
		}
	}
}

// ReViT: the released models follow the rule in blocks 2–11 (counting from
// 1) and give the first and last block 10 heads.
func TestReViTPresetsAgainstRule(t *testing.T) {
	for _, tc := range []struct {
		preset string
		emb    int
		qkEnd  int
	}{{"revit-s", 384, 32}, {"revit-t", 176, 16}} {
		s, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := DefaultRule(tc.emb).Spec()
		if s.EMB != tc.emb || !s.Distilled() || s.Depth() != 12 {
			t.Fatalf("%s: %+v", tc.preset, s)
		}
		for i := 1; i <= 10; i++ {
			if s.Blocks[i] != r.Blocks[i] {
				t.Errorf("%s block %d: %+v, rule %+v", tc.preset, i, s.Blocks[i], r.Blocks[i])
			}
		}
		for _, i := range []int{0, 11} {
			if b := s.Blocks[i]; b.Heads != 10 || b.QK != tc.qkEnd || b.V != 64 || b.MLP != 3*tc.emb {
				t.Errorf("%s block %d: %+v", tc.preset, i, b)
			}
		}
	}
}

// ReViT-S's parameters derived module by module (timm layout) and its MACs
// by hand; the paper prints 23M and 4.7G.
func TestReViTSCountsByHand(t *testing.T) {
	const e, tk = 384, 198
	heads := []int{10, 4, 4, 8, 8, 8, 8, 8, 8, 4, 4, 10}
	qk := []int{32, 16, 16, 32, 32, 32, 32, 32, 32, 16, 16, 32}
	mlp := []int{1152, 1152, 1152, 2304, 2304, 2304, 2304, 2304, 2304, 1152, 1152, 1152}
	params := 3*16*16*e + e + 2*e + tk*e + 2*e + 2*(e*1000+1000) // patch, cls+dist, pos, norm, two heads
	macs := 196*3*16*16*e + 2*e*1000
	for i := range heads {
		h, q, m := heads[i], qk[i], mlp[i]
		qkvOut := h * (q + q + 64)
		params += 2*e + e*qkvOut + qkvOut + h*64*e + e + 2*e + e*m + m + m*e + e
		macs += tk*e*qkvOut + h*tk*tk*q + h*tk*tk*64 + tk*h*64*e + 2*tk*e*m
	}
	s, _ := Preset("revit-s")
	if s.Params() != int64(params) || s.MACs() != int64(macs) {
		t.Errorf("revit-s: %d params, %d MACs; by hand %d, %d", s.Params(), s.MACs(), params, macs)
	}
	if p, m := float64(params)/1e6, float64(macs)/1e9; math.Abs(p-23) > 0.5 || math.Abs(m-4.7) > 0.05 {
		t.Errorf("revit-s: %.2fM params, %.2fG MACs; paper 23M, 4.7G", p, m)
	}
}

// staircase is a latency with steps: each MLP costs ⌈mlp/256⌉, each QK
// ⌈qk/32⌉, heads and EMB strictly (so they never move).
func staircase(s Spec) (float64, error) {
	l := float64(s.EMB)
	for _, b := range s.Blocks {
		l += float64(b.Heads) + math.Ceil(float64(b.QK)/32) + math.Ceil(float64(b.MLP)/256) + float64(b.V)/1000
	}
	return l, nil
}

func TestSnapRidesTheStaircase(t *testing.T) {
	s := Spec{Name: "x", Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: 64,
		Blocks: []Block{{Heads: 2, QK: 8, V: 16, MLP: 300}, {Heads: 2, QK: 40, V: 16, MLP: 0}}}
	res, err := Snap(context.Background(), s, staircase, SnapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Block 0: QK 8 → up to 12 allowed by MaxGrow 0.5 (one step: 16) and
	// ⌈16/32⌉ = 1 = ⌈8/32⌉; MLP 300 → 512 would cost the same but the
	// search stops at 450 → 448. Block 1: QK 40 → 60 → 56 (⌈56/32⌉ = 2);
	// MLP 0 stays removed.
	want := []Block{{Heads: 2, QK: 16, V: 16, MLP: 448}, {Heads: 2, QK: 56, V: 16, MLP: 0}}
	if !reflect.DeepEqual(res.Spec.Blocks, want) || res.Spec.EMB != 64 {
		t.Errorf("snapped %+v, want %+v", res.Spec.Blocks, want)
	}
	if res.LatencyAfter != res.LatencyBefore || len(res.Moves) != 3 {
		t.Errorf("latency %v → %v, moves %+v", res.LatencyBefore, res.LatencyAfter, res.Moves)
	}
	if res.ParamsAfter <= res.ParamsBefore || res.ParamsGain() <= 0 || !strings.Contains(res.String(), "3 moves") {
		t.Errorf("gain not reported: %s", res)
	}
	if !reflect.DeepEqual(s.Blocks[0], Block{Heads: 2, QK: 8, V: 16, MLP: 300}) {
		t.Error("Snap modified its input")
	}
	// A strictly increasing latency leaves the model as it is.
	strict := func(s Spec) (float64, error) { return float64(s.MACs()), nil }
	res, err = Snap(context.Background(), s, strict, SnapOptions{})
	if err != nil || len(res.Moves) != 0 || !reflect.DeepEqual(res.Spec, s) {
		t.Errorf("strict latency: moves %+v, err %v", res.Moves, err)
	}
}

func TestFamilySpansBudgets(t *testing.T) {
	ref, _ := Preset("deit-b-distilled")
	lat := func(s Spec) (float64, error) { return float64(s.MACs()) / 1e9, nil }
	budgets := []float64{0.2, 0.4, 0.6, 0.8, 1.0}
	fam, err := Family(context.Background(), lat, FamilyOptions{Rule: Rule{}, Ref: ref, Budgets: budgets})
	if err != nil {
		t.Fatal(err)
	}
	refL, _ := lat(ref)
	for i, v := range fam {
		if v.Budget != budgets[i] || v.Latency > v.TargetMS || v.TargetMS != budgets[i]*refL {
			t.Errorf("variant %d: %+v", i, v)
		}
		// The next width the family tried must exceed the budget.
		next, _ := DefaultRule(v.RuleEMB + 16).Spec()
		if l, _ := lat(next); l <= v.TargetMS {
			t.Errorf("budget %v: EMB %d chosen but EMB %d fits (%v ≤ %v)", v.Budget, v.RuleEMB, v.RuleEMB+16, l, v.TargetMS)
		}
		if i > 0 && v.RuleEMB < fam[i-1].RuleEMB {
			t.Errorf("widths not increasing with the budget")
		}
	}
	if fam[0].Latency > 0.2*refL || fam[len(fam)-1].Latency < 0.9*refL {
		t.Errorf("family spans %v..%v of %v", fam[0].Latency, fam[len(fam)-1].Latency, refL)
	}
	if _, err := Family(context.Background(), lat, FamilyOptions{Ref: ref, Budgets: []float64{0.001}}); err == nil ||
		!strings.Contains(err.Error(), "below the fastest") {
		t.Errorf("tiny budget: %v", err)
	}
}
