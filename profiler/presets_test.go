package profiler

import "testing"

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
