package costmodel

import (
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
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
	other := b
	other.Header.Batch = 4
	if _, err := Agreement(a, other); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("replicate of another batch: %v", err)
	}
}
