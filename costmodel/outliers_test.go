package costmodel

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// smoothMLP is a smooth latency over emb × mlp: 1 ms plus 1 ms per 4096
// units of emb·mlp, so that (64, 512) is 9 ms by hand.
func smoothMLP(e, m float64) float64 { return 1 + e*m/4096 }

var (
	outlierEMBs = []int{64, 96, 128, 160}
	outlierMLPs = []int{64, 128, 192, 256, 320, 384, 448, 512}
)

// setMS sets the latency (and optionally the passes) of the mlp row at
// (emb, mlp) of tab.
func setMS(t *testing.T, tab tablefmt.Table, emb, mlp int, ms float64, passes ...float64) {
	t.Helper()
	for i, r := range tab.Rows {
		if r.Kind == tablefmt.KindMLP && r.EMB == emb && r.MLP == mlp {
			tab.Rows[i].MedianMS, tab.Rows[i].PassesMS = ms, passes
			return
		}
	}
	t.Fatalf("no mlp row at emb %d mlp %d", emb, mlp)
}

func mlpAt(t *testing.T, m *Model, emb, mlp int) float64 {
	t.Helper()
	v, err := m.comps[tablefmt.KindMLP].at([]int{emb, mlp})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// One low reading on a smooth table — (64, 512) read 6 ms instead of 9 —
// would cap the envelope at 6 ms from MLP 320 (6 ms by hand) to 512: a
// plateau. The model overrides it, says so, and predicts the line as
// measured. One high reading (96, 256: 10.5 ms instead of 7) is overridden
// as well, where the envelope would have left a bump.
func TestOutlierReadingsAreOverridden(t *testing.T) {
	tab := mlpTable(outlierEMBs, outlierMLPs, smoothMLP)
	setMS(t, tab, 64, 512, 6)
	setMS(t, tab, 96, 256, 10.5)
	m := mustFit(t, tab, ModelHW)
	out := m.Outliers()
	if len(out) != 2 || out[0].Key != "mlp emb=64 mlp=512" || out[0].MeasuredMS != 6 ||
		out[1].Key != "mlp emb=96 mlp=256" || out[1].MeasuredMS != 10.5 {
		t.Fatalf("outliers %+v, want (64, 512) at 6 ms and (96, 256) at 10.5 ms", out)
	}
	for i, want := range []float64{9, 7} {
		if !near(out[i].UsedMS, want, 0.03) {
			t.Errorf("%s: used %v ms, want the smooth %v ms within 3%%", out[i].Key, out[i].UsedMS, want)
		}
	}
	for _, mlp := range []int{320, 384, 448} {
		if got, want := mlpAt(t, m, 64, mlp), smoothMLP(64, float64(mlp)); !near(got, want, 1e-12) {
			t.Errorf("emb 64 mlp %d: %v ms, want the measured %v (no plateau)", mlp, got, want)
		}
	}
	if got := mlpAt(t, m, 96, 256); !near(got, 7, 0.03) {
		t.Errorf("emb 96 mlp 256: %v ms, want about 7 (no bump)", got)
	}
	if nv := mustFit(t, tab, ModelNViTInterp); len(nv.Outliers()) != 0 {
		t.Errorf("nvit-interp overrides %+v; it keeps the table as NViT does", nv.Outliers())
	}
}

// Real steps survive, however tall: a staircase shared by every EMB (MLP
// 320 and up 30% slower), and a step on one line only that three
// neighbouring readings share (EMB 96, MLP 384 and up). One reading alone
// at the end of that line is an outlier.
func TestOutlierRuleKeepsSteps(t *testing.T) {
	for _, tc := range []struct {
		name    string
		step    func(e, m int) bool
		outlier string
	}{
		{"staircase at every EMB", func(e, m int) bool { return m >= 320 }, ""},
		{"three readings on one line", func(e, m int) bool { return e == 96 && m >= 384 }, ""},
		{"one reading", func(e, m int) bool { return e == 96 && m == 512 }, "mlp emb=96 mlp=512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := func(e, m int) float64 {
				v := smoothMLP(float64(e), float64(m))
				if tc.step(e, m) {
					v *= 1.3
				}
				return v
			}
			tab := mlpTable(outlierEMBs, outlierMLPs, func(e, m float64) float64 { return ms(int(e), int(m)) })
			m := mustFit(t, tab, ModelHW)
			var keys []string
			for _, o := range m.Outliers() {
				keys = append(keys, o.Key)
			}
			if got := strings.Join(keys, ", "); got != tc.outlier {
				t.Fatalf("outliers %q, want %q", got, tc.outlier)
			}
			for _, e := range outlierEMBs {
				for _, mlp := range outlierMLPs {
					if tc.outlier != "" && e == 96 && mlp == 512 {
						continue
					}
					if got := mlpAt(t, m, e, mlp); !near(got, ms(e, mlp), 1e-12) {
						t.Errorf("emb %d mlp %d: %v ms, want the measured %v", e, mlp, got, ms(e, mlp))
					}
				}
			}
		})
	}
}

// A low reading that every pass reproduced is real and kept (the envelope
// then caps the smaller configurations at it, as measured); one that a pass
// contradicts is overridden.
func TestOutlierConfirmedByPasses(t *testing.T) {
	tab := mlpTable(outlierEMBs, outlierMLPs, smoothMLP)
	setMS(t, tab, 64, 512, 6, 6.1, 5.9)
	m := mustFit(t, tab, ModelHW)
	if out := m.Outliers(); len(out) != 0 {
		t.Errorf("confirmed by both passes, yet overridden: %+v", out)
	}
	if got := mlpAt(t, m, 64, 448); got != 6 {
		t.Errorf("emb 64 mlp 448: %v ms, want 6 (the confirmed reading caps it)", got)
	}
	setMS(t, tab, 64, 512, 6, 6.1, 9.05)
	m = mustFit(t, tab, ModelHW)
	if out := m.Outliers(); len(out) != 1 || out[0].Key != "mlp emb=64 mlp=512" {
		t.Errorf("one pass read 9.05 ms: outliers %+v, want (64, 512)", out)
	}
}

// Property: with wild readings planted in a noisy table (±4%), the hw model
// lists exactly the planted ones and never predicts that removing units
// makes a model slower.
func TestOutliersMonotoneProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	tab := blockTable(rng, 0.04)
	tab.Header.Image, tab.Header.Patch = 64, 16 // 16 patches + 1 cls = 17 tokens
	planted := map[string]float64{
		"block emb=64 heads=2 qk=16 v=8 mlp=128":  0.5,
		"block emb=96 heads=4 qk=32 v=32 mlp=256": 0.4,
		"block emb=128 heads=1 qk=8 v=16 mlp=64":  1.8,
		"block emb=96 heads=2 qk=8 v=32 mlp=0":    0.6,
	}
	for i, r := range tab.Rows {
		if f, ok := planted[r.Key()]; ok {
			tab.Rows[i].MedianMS *= f
		}
	}
	m := mustFit(t, tab, ModelHW)
	got := map[string]bool{}
	for _, o := range m.Outliers() {
		got[o.Key] = true
	}
	for k := range planted {
		if !got[k] {
			t.Errorf("planted %s not listed", k)
		}
	}
	if len(got) != len(planted) {
		t.Errorf("outliers %v, want the %d planted", m.Outliers(), len(planted))
	}
	checked := 0
	for range 2000 {
		s := randomSpec(rng, tab.Header, 2)
		r := Removal{Dim: arch.Dimensions()[rng.IntN(5)], Block: rng.IntN(2), K: 1 + rng.IntN(40)}
		if _, err := r.Apply(s); err != nil {
			continue
		}
		saved, err := m.Marginal(s, r)
		var ie *InversionError
		if errors.As(err, &ie) || (err == nil && saved < 0) {
			t.Fatalf("removing %s from %+v: saves %v (%v)", r, s, saved, err)
		}
		if err == nil {
			checked++
		}
	}
	if checked < 500 {
		t.Errorf("only %d removals checked", checked)
	}
}

// A model file keeps the outliers: Load gives the same list and the same
// predictions, and refuses outliers on a node no row measured.
func TestOutliersRoundTrip(t *testing.T) {
	tab := mlpTable(outlierEMBs, outlierMLPs, smoothMLP)
	setMS(t, tab, 64, 512, 6)
	tab.Rows = slicesDeleteKey(tab.Rows, "mlp emb=128 mlp=256") // a filled node
	m := mustFit(t, tab, ModelHW)
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Load(bytes.NewReader(buf.Bytes()), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Outliers()) != fmt.Sprint(m.Outliers()) || len(m.Outliers()) != 1 {
		t.Errorf("outliers %v after load, want %v", back.Outliers(), m.Outliers())
	}
	if a, b := mlpAt(t, m, 64, 400), mlpAt(t, back, 64, 400); a != b {
		t.Errorf("emb 64 mlp 400: %v after load, want %v", b, a)
	}
	filled := 2*len(outlierMLPs) + 3 // the node (128, 256)
	bad := strings.Replace(buf.String(), `"node": 7`, fmt.Sprintf(`"node": %d`, filled), 1)
	if bad == buf.String() {
		t.Fatalf("no node 7 in the model file:\n%s", buf.String())
	}
	if _, err := Load(strings.NewReader(bad), "bad.json"); err == nil || !strings.Contains(err.Error(), "filled node") {
		t.Errorf("an outlier on a filled node: %v", err)
	}
}

// Outliers lists the readings a hw model did not believe, with what it
// used instead.
func ExampleModel_Outliers() {
	h := tablefmt.Header{Version: tablefmt.FormatVersion, DType: "float32", Batch: 2, Tokens: 5}
	tab := tablefmt.Table{Header: h}
	for _, e := range []int{64, 96, 128, 160} {
		for _, m := range []int{64, 128, 192, 256, 320, 384, 448, 512} {
			ms := 1 + float64(e*m)/4096 // smooth
			if e == 64 && m == 512 {
				ms = 6 // a reading taken in a quiet moment of a busy machine
			}
			tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: ms})
		}
	}
	m, err := Fit(tab, FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range m.Outliers() {
		fmt.Printf("%s: measured %.1f ms, used %.1f ms\n", o.Key, o.MeasuredMS, o.UsedMS)
	}
	// Output:
	// mlp emb=64 mlp=512: measured 6.0 ms, used 9.0 ms
}
