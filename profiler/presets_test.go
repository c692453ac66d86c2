package profiler

import (
	"math"
	"testing"
)

// The nvit preset is NViT's latency-table grid measured decomposed:
// 3 EMB × 5 heads × 5 QK × 5 V attention rows, 3 × 24 MLP rows, 3 rest rows.
func TestNViTPresetCoversNViTsGrid(t *testing.T) {
	p, err := LookupSweepPreset("nvit")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range p.Grid.Configs() {
		counts[string(c.Kind)]++
	}
	if counts["attn"] != 375 || counts["mlp"] != 72 || counts["rest"] != 3 || counts["model"] != 3 {
		t.Errorf("nvit preset rows by kind: %v", counts)
	}
	if p.Geometry.Tokens() != 198 {
		t.Errorf("nvit tokens %d, want 198", p.Geometry.Tokens())
	}
}

func TestPresetsAreValid(t *testing.T) {
	for _, n := range SweepPresetNames() {
		p, _ := LookupSweepPreset(n)
		if err := p.Grid.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		for _, m := range p.Grid.Models {
			if err := m.Validate(); err != nil || m.Tokens() != p.Geometry.Tokens() || m.Image != p.Geometry.Image {
				t.Errorf("%s: model %s does not fit the preset's geometry (%v)", n, m.Name, err)
			}
		}
	}
	if _, err := LookupSweepPreset("huge"); err == nil {
		t.Error("unknown preset accepted")
	}
}

func TestParseInts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "256,512", want: []int{256, 512}},
		{in: "1:4", want: []int{1, 2, 3, 4}},
		{in: "0:384:128", want: []int{0, 128, 256, 384}},
		{in: "64, 8:16:8, 64", want: []int{8, 16, 64}},
		{in: "4:1", bad: true},
		{in: "1:4:0", bad: true},
		{in: "a", bad: true},
		{in: "1,,2", bad: true},
		{in: "1:2:3:4", bad: true},
		{in: "0:1000000000", bad: true},
	} {
		got, err := ParseInts(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseInts(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseInts(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseInts(%q) = %v, want %v", tc.in, got, tc.want)
				break
			}
		}
	}
}

func TestRadicalInverse(t *testing.T) {
	for _, tc := range []struct {
		i, b int
		want float64
	}{{1, 2, 0.5}, {2, 2, 0.25}, {3, 2, 0.75}, {6, 2, 0.375}, {1, 3, 1.0 / 3}, {3, 3, 1.0 / 9}, {5, 3, 2.0/3 + 1.0/9}, {7, 7, 1.0 / 49}} {
		if got := radicalInverse(tc.i, tc.b); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("radicalInverse(%d, %d) = %v, want %v", tc.i, tc.b, got, tc.want)
		}
	}
}

// The validation blocks must check additivity across the grid, not along a
// few of its values: on NViT's grid every EMB, head count, QK and V width
// appears among the 20, and the MLP widths spread over their range.
func TestValidationBlocksVisitEveryAxisValue(t *testing.T) {
	p, err := LookupSweepPreset("nvit")
	if err != nil {
		t.Fatal(err)
	}
	g := p.Grid
	seen := map[string]map[int]bool{"emb": {}, "heads": {}, "qk": {}, "v": {}, "mlp": {}}
	keys := map[string]bool{}
	for _, r := range g.validationBlocks() {
		seen["emb"][r.EMB], seen["heads"][r.Heads], seen["qk"][r.QK], seen["v"][r.V], seen["mlp"][r.MLP] = true, true, true, true, true
		keys[r.Key()] = true
	}
	for axis, values := range map[string][]int{"emb": g.EMB, "heads": g.Heads, "qk": g.QK, "v": g.V} {
		for _, v := range values {
			if !seen[axis][v] {
				t.Errorf("%s = %d in no validation block (seen %v)", axis, v, seen[axis])
			}
		}
	}
	if len(seen["mlp"]) < g.Validation*3/4 || len(keys) != g.Validation {
		t.Errorf("%d distinct MLP widths and %d distinct blocks among %d, want at least %d and all", len(seen["mlp"]), len(keys), g.Validation, g.Validation*3/4)
	}
}
