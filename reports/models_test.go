package reports

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// smallHeader is the quick preset's geometry: 32² images, 4² patches, a
// cls token (65 tokens), 10 classes, batch 8.
func smallHeader() tablefmt.Header {
	return tablefmt.Header{Version: tablefmt.FormatVersion, Device: "test", Tokens: 65, Batch: 8,
		Image: 32, Patch: 4, Channels: 3, Classes: 10}
}

// mini is a model of the small geometry: depth blocks of 4 heads.
func mini(name string, emb, depth int) arch.Spec {
	return arch.Spec{Name: name, Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: emb,
		Blocks: arch.Uniform(depth, arch.Block{Heads: 4, QK: 32, V: 32, MLP: 4 * emb})}
}

func modelRow(s arch.Spec, ms float64) tablefmt.Row {
	d := s.Dim()
	return tablefmt.Row{Kind: tablefmt.KindModel, Name: s.Name, EMB: s.EMB, Dim: &d, MedianMS: ms}
}

func names(specs []arch.Spec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

func TestTableModels(t *testing.T) {
	tab := tablefmt.Table{Header: smallHeader()}
	bad := mini("bad", 64, 2)
	bad.Blocks[1].QK = 0 // heads without QK: not a valid model
	tab.Rows = []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 64, Heads: 1, QK: 8, V: 8, MedianMS: 1},
		modelRow(mini("m-64", 64, 2), 7),
		{Kind: tablefmt.KindModel, Name: "no dims", EMB: 64, MedianMS: 3},
		modelRow(bad, 5),
		modelRow(mini("m-96", 96, 3), 9),
	}
	got := TableModels(tab)
	if len(got) != 2 || got[0].Spec.Name != "m-64" || got[0].LatencyMS != 7 || got[1].Spec.Name != "m-96" || got[1].LatencyMS != 9 {
		t.Fatalf("TableModels = %+v", got)
	}
	if s := got[1].Spec; s.Tokens() != 65 || s.Depth() != 3 || s.Classes != 10 || s.EMB != 96 {
		t.Errorf("m-96 in the table's geometry: %+v", s)
	}
	tab.Header.Patch = 0
	if got := TableModels(tab); len(got) != 0 {
		t.Errorf("a header without geometry gave models %+v", got)
	}
}

func TestDeiTFamily(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    tablefmt.Header
		want []string
	}{
		{"cls token", tablefmt.Header{Tokens: 197, Image: 224}, []string{"deit-t", "deit-s", "deit-b"}},
		{"distilled", tablefmt.NViTV100Header(), []string{"deit-t-distilled", "deit-s-distilled", "deit-b-distilled"}},
		{"tokens only", tablefmt.Header{Tokens: 198}, []string{"deit-t-distilled", "deit-s-distilled", "deit-b-distilled"}},
		{"other geometry", smallHeader(), []string{"deit-192-shaped", "deit-384-shaped", "deit-768-shaped"}},
		{"no geometry", tablefmt.Header{Tokens: 65}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DeiTFamily(tc.h)
			if !reflect.DeepEqual(names(got), tc.want) {
				t.Fatalf("DeiTFamily = %v, want %v", names(got), tc.want)
			}
			for _, s := range got {
				if s.Tokens() != tc.h.Tokens || s.Depth() != 12 {
					t.Errorf("%s: %d tokens, %d blocks", s.Name, s.Tokens(), s.Depth())
				}
			}
		})
	}
	// The shapes are DeiT's: heads = EMB / 64, MLP = 4 × EMB.
	s := DeiTFamily(smallHeader())[1]
	if s.EMB != 384 || s.Blocks[0] != (arch.Block{Heads: 6, QK: 64, V: 64, MLP: 1536}) {
		t.Errorf("deit-384-shaped: EMB %d, block %+v", s.EMB, s.Blocks[0])
	}
}

func TestReference(t *testing.T) {
	big, small := mini("big", 128, 4), mini("", 64, 4)
	unnamed := mini("", 256, 4)
	for _, tc := range []struct {
		name   string
		h      tablefmt.Header
		models []arch.Spec
		want   string
		emb    int
	}{
		{"NViT's geometry", tablefmt.NViTV100Header(), []arch.Spec{big}, "deit-b-distilled", 768},
		{"DeiT-B's", tablefmt.Header{Tokens: 197, Image: 224, Classes: 1000}, nil, "deit-b", 768},
		{"largest table model", smallHeader(), []arch.Spec{small, big}, "big", 128},
		{"unnamed table model", smallHeader(), []arch.Spec{big, unnamed}, "table model", 256},
		{"DeiT-B shape", smallHeader(), nil, "deit-b-shaped", 768},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ms []TableModel
			for _, s := range tc.models {
				ms = append(ms, TableModel{Spec: s, LatencyMS: 1})
			}
			ref, err := Reference(tc.h, ms)
			if err != nil || ref.Name != tc.want || ref.EMB != tc.emb || ref.Tokens() != tc.h.Tokens {
				t.Errorf("Reference = %s (EMB %d, %d tokens), %v; want %s (EMB %d)", ref.Name, ref.EMB, ref.Tokens(), err, tc.want, tc.emb)
			}
		})
	}
	if _, err := Reference(tablefmt.Header{Tokens: 65}, nil); !errors.Is(err, ErrNoGeometry) {
		t.Errorf("no geometry: %v", err)
	}
}
