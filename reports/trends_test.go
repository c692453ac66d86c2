package reports

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// trendsFixture is two models pruned from a four-block dense model, one
// without heads in its last block, and the rule fitted to them.
func trendsFixture(t *testing.T) (*arch.Trends, *arch.RuleFit) {
	t.Helper()
	g := arch.NViTGeometry()
	dense := g.Model("dense", 256, arch.Uniform(4, arch.Block{Heads: 4, QK: 64, V: 64, MLP: 1024}))
	blk := func(h, qk, v, mlp int) arch.Block { return arch.Block{Heads: h, QK: qk, V: v, MLP: mlp} }
	a := g.Model("seed 1", 256, []arch.Block{blk(2, 16, 48, 256), blk(4, 40, 64, 640), blk(4, 32, 56, 512), blk(2, 16, 40, 256)})
	b := g.Model("seed 2", 192, []arch.Block{blk(2, 16, 56, 192), blk(4, 24, 48, 448), blk(4, 32, 64, 448), blk(0, 0, 0, 128)})
	tr, err := arch.NewTrends([]arch.Spec{a, b}, &dense)
	if err != nil {
		t.Fatal(err)
	}
	fit, err := arch.FitRule(tr, arch.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, &fit
}

func TestWriteTrendsFormats(t *testing.T) {
	tr, fit := trendsFixture(t)
	for _, scale := range []TrendScale{"", TrendPerEMB} {
		formats := Formats()
		if scale != "" {
			formats = []Format{SVG} // the formats share the drawing: one is enough
		}
		for _, f := range formats {
			var buf bytes.Buffer
			fig := TrendsFigure{Trends: tr, Fit: fit, Scale: scale, Caption: "2 models pruned on cpu"}
			if err := WriteTrends(&buf, f, fig, Options{}); err != nil {
				t.Fatalf("%q %s: %v", scale, f, err)
			}
			switch f {
			case PNG:
				img, err := png.Decode(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() != 990 || b.Dy() != 1440 {
					t.Errorf("PNG %dx%d, want 990x1440 (3.3 × 4.8 in at 300 dpi)", b.Dx(), b.Dy())
				}
			case SVG:
				s := buf.String()
				want := []string{"seed 1", "seed 2", "fitted rule (EMB 224)", "2 models pruned on cpu", "Block"}
				if scale == TrendPerEMB {
					want = append(want, "heads / EMB", "MLP / EMB", "relative to each model")
				} else {
					want = append(want, "heads kept", "QK kept", "fraction of dense")
				}
				for _, w := range want {
					if !strings.Contains(s, w) {
						t.Errorf("%q: SVG lacks %q", scale, w)
					}
				}
			case PDF:
				if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
					t.Error("not a PDF")
				}
			}
		}
	}
}

func TestWriteTrendsRefuses(t *testing.T) {
	tr, _ := trendsFixture(t)
	noDense := *tr
	noDense.Dense = nil
	for _, tc := range []struct {
		name string
		fig  TrendsFigure
		says string
	}{
		{"no trends", TrendsFigure{}, "no architecture"},
		{"kept without dense", TrendsFigure{Trends: &noDense, Scale: TrendKept}, "need a dense reference"},
		{"unknown scale", TrendsFigure{Trends: tr, Scale: "log"}, `unknown scale "log"`},
	} {
		if err := WriteTrends(&bytes.Buffer{}, SVG, tc.fig, Options{}); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.says)
		}
	}
}
