package arch

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// pruned is a small two-block model over NViT's geometry.
func pruned(name string, emb int, blocks ...Block) Spec {
	return NViTGeometry().Model(name, emb, blocks)
}

func TestNewTrendsRefusesWhatCannotBeCompared(t *testing.T) {
	a := pruned("a", 64, Block{2, 16, 16, 128}, Block{4, 16, 16, 256})
	b := pruned("b", 96, Block{2, 16, 16, 192}, Block{4, 24, 16, 384})
	deep := pruned("deep", 64, Block{2, 16, 16, 128}, Block{4, 16, 16, 256}, Block{2, 8, 16, 64})
	other := b
	other.Name, other.ExtraTokens = "cls-only", 1
	dense := pruned("dense", 64, Block{4, 16, 16, 256}, Block{4, 16, 16, 256})
	for _, tc := range []struct {
		name   string
		models []Spec
		dense  *Spec
		want   error
		says   string
	}{
		{"none", nil, nil, ErrNoModels, "no architecture"},
		{"depths", []Spec{a, deep}, nil, ErrMixedDepth, "deep has 3 blocks, a has 2"},
		{"geometries", []Spec{a, other}, nil, ErrMixedGeometry, "cls-only has"},
		{"dense depth", []Spec{deep}, &dense, ErrMixedDepth, "dense reference dense has 2 blocks, the models 3"},
		{"unpruned", []Spec{a, dense}, &dense, ErrUnpruned, "dense has every dimension of dense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTrends(tc.models, tc.dense)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line wrapping %v saying %q", err, tc.want, tc.says)
			}
		})
	}
	if _, err := NewTrends([]Spec{a, b}, &dense); err != nil {
		t.Errorf("compatible models refused: %v", err)
	}
}

func TestTrendPoints(t *testing.T) {
	a := pruned("", 64, Block{2, 16, 16, 128}, Block{0, 0, 0, 256})
	dense := pruned("dense", 128, Block{4, 32, 32, 512}, Block{4, 32, 32, 512})
	tr, err := NewTrends([]Spec{a}, &dense)
	if err != nil {
		t.Fatal(err)
	}
	pts := tr.Points()
	if len(pts) != 8 || pts[0].Model != "model 1" {
		t.Fatalf("points %+v", pts)
	}
	// Block 1, QK: 16 of 32 kept, 16/64 of EMB. Block 2 has no heads: its QK is undefined.
	qk := pts[1]
	if qk.Dim != DimQK || qk.Value != 16 || qk.Kept != 0.5 || qk.PerEMB != 0.25 || !qk.Defined || qk.DenseEMB != 128 {
		t.Errorf("block 1 QK: %+v", qk)
	}
	if p := pts[5]; p.Dim != DimQK || p.Defined {
		t.Errorf("block 2 QK without heads: %+v", p)
	}
	if p := pts[7]; p.Dim != DimMLP || p.Kept != 0.5 || p.PerEMB != 4 {
		t.Errorf("block 2 MLP: %+v", p)
	}
	tr, _ = NewTrends([]Spec{a}, nil)
	if p := tr.Points()[0]; !math.IsNaN(p.Kept) || p.Dense != 0 {
		t.Errorf("without a dense reference: %+v", p)
	}
}

func TestWriteTrendsCSV(t *testing.T) {
	a := pruned("a", 100, Block{2, 16, 16, 300}, Block{0, 0, 0, 0})
	dense := pruned("dense", 200, Block{4, 32, 32, 800}, Block{4, 32, 32, 800})
	tr, err := NewTrends([]Spec{a}, &dense)
	if err != nil {
		t.Fatal(err)
	}
	// Rule: ε 1 then 2, heads = ε·EMB/50, QK = ε·EMB/6 (×8, down), V 16, MLP = 3·ε·EMB:
	// at EMB 100 block 1 is 2 heads, QK 16, MLP 300; block 2 is 4 heads, QK 32, MLP 600.
	fit := &RuleFit{Rule: Rule{EMB: 100, Epsilon: []float64{1, 2}, HeadDivisor: 50, QKDivisor: 6, V: 16}}
	var b strings.Builder
	if err := WriteTrendsCSV(&b, tr, fit); err != nil {
		t.Fatal(err)
	}
	want := `model,block,dimension,value,emb,dense,dense_emb,kept,per_emb,rule,residual
a,1,heads,2,100,4,200,0.5,0.02,2,0
a,1,qk,16,100,32,200,0.5,0.16,16,0
a,1,v,16,100,32,200,0.5,0.16,16,0
a,1,mlp,300,100,800,200,0.375,3,300,0
a,2,heads,0,100,4,200,0,0,4,
a,2,qk,0,100,32,200,0,0,32,
a,2,v,0,100,32,200,0,0,16,
a,2,mlp,0,100,800,200,0,0,600,
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
