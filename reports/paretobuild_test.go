package reports

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// macLatency is a toy latency function: 1 ms per GMAC, refusing EMB above
// 400 (as a cost model refuses widths beyond its table).
func macLatency(s arch.Spec) (float64, error) {
	if s.EMB > 400 {
		return 0, fmt.Errorf("EMB %d is too wide", s.EMB)
	}
	return float64(s.MACs()) / 1e9, nil
}

func TestBuildPareto(t *testing.T) {
	h := smallHeader()
	deit192 := DeiTFamily(h)[0]
	deit192.Name = "measured-deit" // a table's model row of DeiT's shape
	in := ParetoInput{
		Header:  h,
		Latency: macLatency,
		Models: []TableModel{
			{Spec: deit192, LatencyMS: 5},
			{Spec: mini("mini-128", 128, 4), LatencyMS: 30},
		},
		Variants:     []arch.Variant{{Spec: mini("v-64", 64, 4)}, {Spec: mini("v-96", 96, 4)}},
		VariantGroup: "generated (v)",
		User:         []NamedArch{{Name: "u.json", Spec: mini("u", 32, 2)}},
		Accuracy: []Accuracy{
			{Name: "mini-128", Spec: mini("mini-128", 128, 4), Top1: 72, Source: "acc.csv"},
			{Name: "other", Spec: mini("other", 48, 2), Top1: 60, Source: "acc.csv"},
		},
		Metric: MetricAccuracy,
	}
	fig, warns, err := BuildPareto(in)
	if err != nil {
		t.Fatal(err)
	}
	type pt struct {
		name, group     string
		measured, label bool
		ms, acc         float64
	}
	mac := func(s arch.Spec) float64 { return float64(s.MACs()) / 1e9 }
	want := []pt{
		// The DeiT family: 192 measured by the table's row of its shape,
		// 384 predicted, 768 refused (a warning).
		{"deit-192-shaped", "DeiT", true, true, 5, math.NaN()},
		{"deit-384-shaped", "DeiT", false, true, mac(DeiTFamily(h)[1]), math.NaN()},
		{"mini-128", "table models", true, true, 30, 72},
		{"v-64", "generated (v)", false, false, mac(mini("", 64, 4)), math.NaN()},
		{"v-96", "generated (v)", false, false, mac(mini("", 96, 4)), math.NaN()},
		{"u", "user", false, true, mac(mini("", 32, 2)), math.NaN()},
		{"other", "user", false, true, mac(mini("", 48, 2)), 60},
	}
	if len(fig.Points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(fig.Points), len(want), fig.Points)
	}
	for i, w := range want {
		p := fig.Points[i]
		accOK := p.Accuracy == w.acc || (math.IsNaN(p.Accuracy) && math.IsNaN(w.acc))
		if p.Name != w.name || p.Group != w.group || p.Measured != w.measured || p.Label != w.label || p.LatencyMS != w.ms || !accOK {
			t.Errorf("point %d: %+v, want %+v", i, p, w)
		}
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "deit-768-shaped (EMB 768 is too wide)") {
		t.Errorf("warnings %q", warns)
	}
	if fig.LatencyLabel != "Latency (ms, batch 8)" || fig.Metric != MetricAccuracy || fig.Caption != "test · batch 8 · 65 tokens" || fig.Note != "" {
		t.Errorf("figure %q %q caption %q note %q", fig.LatencyLabel, fig.Metric, fig.Caption, fig.Note)
	}
	// Accuracy front: "other" (faster, 60%) and mini-128 (72%).
	var front []string
	for _, p := range fig.FrontPoints() {
		front = append(front, p.Name)
	}
	if strings.Join(front, ",") != "other,mini-128" {
		t.Errorf("front %v", front)
	}
}

func TestBuildParetoRefusals(t *testing.T) {
	h := smallHeader()
	wide := mini("wide", 512, 2)
	_, _, err := BuildPareto(ParetoInput{Header: h, Latency: macLatency, User: []NamedArch{{Name: "w.json", Spec: wide}}})
	var pe *PointError
	if !errors.As(err, &pe) || pe.Name != "w.json" || err.Error() != "w.json: EMB 512 is too wide" {
		t.Errorf("user point refused: %v", err)
	}
	_, _, err = BuildPareto(ParetoInput{Header: h, Latency: macLatency, Variants: []arch.Variant{{Spec: wide}}})
	if err == nil || errors.As(err, &pe) {
		t.Errorf("variant refused: %v", err)
	}
	_, _, err = BuildPareto(ParetoInput{Header: h, Latency: macLatency, Accuracy: []Accuracy{{Name: "w", Spec: wide, Top1: 1, Source: "acc.csv"}}})
	if err == nil || err.Error() != "acc.csv: w: EMB 512 is too wide" {
		t.Errorf("accuracy point refused: %v", err)
	}
	// Defaults: params, "generated".
	fig, _, err := BuildPareto(ParetoInput{Header: h, Latency: macLatency, Variants: []arch.Variant{{Spec: mini("v", 64, 2)}}})
	if err != nil || fig.Metric != MetricParams || fig.Points[len(fig.Points)-1].Group != "generated" {
		t.Errorf("defaults: %v %+v", err, fig)
	}
}

// Budgets that give the same architecture give one point, labelled with
// all of them; an accuracy named after either variant joins it.
func TestBuildParetoMergesIdenticalVariants(t *testing.T) {
	v := func(name string, budget float64, emb int) arch.Variant {
		return arch.Variant{Spec: mini(name, emb, 2), Budget: budget, Reference: "ref"}
	}
	fam := []arch.Variant{v("v-0.40x", 0.4, 64), v("v-0.50x", 0.5, 64), v("v-0.60x", 0.6, 96), v("v-0.70x", 0.7, 96), v("v-0.80x", 0.8, 96), v("v-1.00x", 1, 128)}
	fig, _, err := BuildPareto(ParetoInput{Header: smallHeader(), Latency: macLatency, Variants: fam,
		Accuracy: []Accuracy{{Name: "v-0.70x", Spec: mini("v-0.70x", 96, 2), Top1: 70, Source: "acc.csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range fig.Points {
		if p.Group == "generated" {
			got = append(got, fmt.Sprintf("%s=%s %q %v", p.Name, strings.Join(p.Aliases, "="), p.Text, p.Accuracy))
		}
	}
	want := []string{`v-0.40x=v-0.50x "0.4×, 0.5×" NaN`, `v-0.60x=v-0.70x=v-0.80x "0.6×, 0.7×, 0.8×" 70`, `v-1.00x= "1×" NaN`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("variants\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fig.Note != "variants labelled with their latency budget (× ref)" {
		t.Errorf("note %q", fig.Note)
	}
}
