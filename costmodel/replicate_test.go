package costmodel

import (
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func TestAgreementOfReplicates(t *testing.T) {
	h := tablefmt.Header{Version: tablefmt.FormatVersion, DType: "float32", Batch: 2, Tokens: 17}
	a := tablefmt.Table{Header: h, Rows: []tablefmt.Row{
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 16, MedianMS: 1.0},
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 32, MedianMS: 2.0},
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 64, MedianMS: 4.0},
		{Kind: tablefmt.KindAttn, EMB: 8, Heads: 1, QK: 4, V: 4, MedianMS: 3.0},
	}}
	b := tablefmt.Table{Header: h, Rows: []tablefmt.Row{
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 16, MedianMS: 1.1},  // +10%
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 32, MedianMS: 1.96}, // −2%
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 64, MedianMS: 4.0},  // 0
	}}
	groups, err := Agreement(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var mlp, attn *Group
	for i := range groups {
		switch groups[i].Kind {
		case tablefmt.KindMLP:
			mlp = &groups[i]
		case tablefmt.KindAttn:
			attn = &groups[i]
		}
	}
	if mlp == nil || attn == nil {
		t.Fatalf("groups %+v", groups)
	}
	// Hand-computed: |errors| 10, 2, 0 % → MAPE 4, within ±5% 2 of 3, within ±10% all.
	if mlp.N != 3 || math.Abs(float64(mlp.MAPE)-4) > 1e-9 || math.Abs(float64(mlp.Within5)-200.0/3) > 1e-9 || float64(mlp.Within10) != 100 {
		t.Errorf("mlp agreement %+v", mlp.Metrics)
	}
	if attn.N != 0 || len(attn.Warnings) == 0 {
		t.Errorf("attn row without a replicate: %+v", attn)
	}
	// Pooled over kinds: the same three pairs, the attn row unshared.
	_, all, err := agreement(a, b)
	if err != nil || all.Kind != KindAll || all.Rows != 4 || all.N != 3 || math.Abs(float64(all.MedianAPE)-2) > 1e-9 ||
		math.Abs(float64(all.MaxAPE)-10) > 1e-9 {
		t.Errorf("pooled agreement %+v (%v)", all, err)
	}
	other := b
	other.Header.Batch = 4
	if _, err := Agreement(a, other); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("replicate of another batch: %v", err)
	}
}

// A recorded table agrees with itself exactly; its passes, measured one
// after the other on a busy machine, do not (package testtables).
func TestAgreementOfRecordedPasses(t *testing.T) {
	read := func(name string) tablefmt.Table {
		tab, bad, err := tablefmt.ReadTable(testtables.Path(t, name))
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v %v", name, err, bad)
		}
		return tab
	}
	pass1, pass2 := read("quick-cpu.pass1.jsonl"), read("quick-cpu.pass2.jsonl")
	groups, all, err := agreement(pass1, pass1)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 5 || all.N != 89 || all.MAPE != 0 || all.Within5 != 100 || all.Spearman != 1 {
		t.Errorf("a table against itself: %+v, %+v", groups, all)
	}
	if _, all, err = agreement(pass1, pass2); err != nil || all.N != 89 || all.MAPE == 0 {
		t.Errorf("two passes: %+v (%v)", all, err)
	}
	ev, err := Eval(pass1, EvalOptions{Kind: ModelNViTInterp, Replicate: &pass2, ReplicatePath: "pass2"})
	if err != nil || len(ev.Replicate) != 5 || ev.ReplicateAll == nil || ev.ReplicateAll.N != 89 || ev.ReplicatePath != "pass2" {
		t.Errorf("eval with a replicate: %+v, %v", ev, err)
	}
}
