package tablefmt

import (
	"reflect"
	"testing"
)

// The rule of Blocks, by the kinds of rows a table has: attention + MLP
// when it is decomposed (its block rows unused, even where they measured
// the configuration asked for), block rows otherwise; validation rows
// never count.
func TestBlocksRule(t *testing.T) {
	attn := Row{Kind: KindAttn, EMB: 64, Heads: 2, QK: 8, V: 8, MedianMS: 3}
	mlp := Row{Kind: KindMLP, EMB: 64, MLP: 32, MedianMS: 2}
	block := Row{Kind: KindBlock, EMB: 64, Heads: 2, QK: 8, V: 8, MLP: 32, MedianMS: 7}
	noMLP := Row{Kind: KindBlock, EMB: 64, Heads: 2, QK: 8, V: 8, MedianMS: 4}
	validation := func(r Row) Row { r.Validation = true; return r }
	for _, tc := range []struct {
		name       string
		rows       []Row
		decomposed bool
		withMLP    float64 // the block (64, 2, 8, 8, 32); 0: missing
		withoutMLP float64 // the block (64, 2, 8, 8, 0)
		missing    []string
	}{
		{"decomposed", []Row{attn, mlp}, true, 5, 3, nil},
		{"decomposed, its validation block unused", []Row{attn, mlp, block, noMLP}, true, 5, 3, nil},
		{"whole blocks", []Row{block, noMLP}, false, 7, 4, nil},
		{"attn and blocks, no mlp: whole blocks", []Row{attn, block, noMLP}, false, 7, 4, nil},
		{"attn only: decomposed, no MLP", []Row{attn}, true, 0, 3, []string{"mlp emb=64 mlp=32"}},
		{"validation mlp row not used", []Row{attn, validation(mlp), block, noMLP}, false, 7, 4, nil},
		{"validation attn row not used", []Row{validation(attn), mlp, noMLP}, false, 0, 4, []string{"block emb=64 heads=2 qk=8 v=8 mlp=32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Table{Rows: tc.rows}.Blocks()
			if b.Decomposed() != tc.decomposed {
				t.Errorf("Decomposed() = %v, want %v", b.Decomposed(), tc.decomposed)
			}
			ms, missing := b.MS(64, blk(2, 8, 8, 32))
			if tc.withMLP > 0 && (ms != tc.withMLP || missing != nil) {
				t.Errorf("with MLP: %v ms, missing %v; want %v", ms, missing, tc.withMLP)
			}
			if tc.withMLP == 0 && !reflect.DeepEqual(missing, tc.missing) {
				t.Errorf("with MLP: missing %v, want %v", missing, tc.missing)
			}
			if ms, missing := b.MS(64, blk(2, 8, 8, 0)); ms != tc.withoutMLP || missing != nil {
				t.Errorf("without MLP: %v ms, missing %v; want %v", ms, missing, tc.withoutMLP)
			}
		})
	}
}
