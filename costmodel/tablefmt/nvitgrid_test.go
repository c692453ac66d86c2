package tablefmt

import "testing"

// NViT's loader walks its own axes and indexes the file by their keys: the
// warning names the axes that differ and the first key it would miss.
func TestCheckNViT(t *testing.T) {
	if err := NViTGrid().CheckNViT(); err != nil {
		t.Errorf("NViT's grid: %v", err)
	}
	shuffled := NViTGrid()
	shuffled.Heads = []int{12, 1, 9, 3, 6}
	if err := shuffled.CheckNViT(); err != nil {
		t.Errorf("NViT's grid in another order: %v", err)
	}
	quick := LUTGrid{EMB: []int{64, 96, 128}, Heads: []int{1, 2, 4}, QK: []int{8, 16, 32}, V: []int{16, 32},
		MLP: []int{0, 64, 128, 192, 256, 320, 384, 448, 512}}
	more := NViTGrid()
	more.EMB = append(more.EMB, 1024)
	noV1 := NViTGrid()
	noV1.V = noV1.V[1:]
	for _, tc := range []struct {
		name string
		g    LUTGrid
		want string
	}{
		{"quick", quick, "the grid is not NViT's: EMB 64,96,128 (NViT's 256,512,768), heads 1,2,4 (NViT's 1,3,6,9,12), " +
			"QK 8,16,32 (NViT's 1,16,32,48,64), V 16,32 (NViT's 1,16,32,48,64), MLP 0..512 by 64 (NViT's 0..3072 by 128); " +
			"NViT's loader hard-codes its axes and would stop with KeyError: 'EMB_256'"},
		{"no V 1", noV1, "the grid is not NViT's: V 16,32,48,64 (NViT's 1,16,32,48,64); " +
			"NViT's loader hard-codes its axes and would stop with KeyError: 'V_1'"},
		{"a superset", more, "the grid is not NViT's: EMB 256,512,768,1024 (NViT's 256,512,768); " +
			"NViT's loader reads only its own axes: it would load this file and ignore the entries off them"},
	} {
		err := tc.g.CheckNViT()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}
