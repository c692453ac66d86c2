package arch

import (
	"math"
	"strings"
	"testing"
)

// Parameter counts of timm's models (sum of p.numel() over
// timm.create_model(name).parameters()), the reference the paper figures round.
func TestParamsMatchTimm(t *testing.T) {
	for _, tc := range []struct {
		preset string
		params int64
	}{
		{"deit-t", 5_717_416},
		{"deit-s", 22_050_664},
		{"deit-b", 86_567_656},
		{"deit-t-distilled", 5_910_800},
		{"deit-s-distilled", 22_436_432},
		{"deit-b-distilled", 87_338_192},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			s, err := Preset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Params(); got != tc.params {
				t.Errorf("Params() = %d, want %d", got, tc.params)
			}
		})
	}
}

// DeiT-T derived module by module, as timm lays the model out.
func TestParamsDeiTTinyByModule(t *testing.T) {
	const e, mlp, tokens = 192, 768, 197
	patchEmbed := 3*16*16*e + e                   // Conv2d(3, 192, 16, 16) with bias
	clsToken, posEmbed := e, tokens*e             // [1,1,192], [1,197,192]
	norm := 2 * e                                 // weight + bias
	qkv := e*3*e + 3*e                            // Linear(192, 576)
	proj := e*e + e                               // Linear(192, 192)
	fc1, fc2 := e*mlp+mlp, mlp*e+e                // Linear(192, 768), Linear(768, 192)
	block := norm + qkv + proj + norm + fc1 + fc2 // norm1 attn norm2 mlp
	head := e*1000 + 1000
	want := int64(patchEmbed + clsToken + posEmbed + 12*block + norm + head)

	s, _ := Preset("deit-t")
	if got := s.Params(); got != want {
		t.Errorf("Params() = %d, hand-derived %d", got, want)
	}
	if got := s.BlockCounts(0).Params; got != int64(block) {
		t.Errorf("block params = %d, hand-derived %d", got, block)
	}
}

// The published figures (DeiT paper, Table 1): params in millions and GFLOPs
// (multiply-accumulates), to the precision they were printed with.
func TestPublishedFigures(t *testing.T) {
	for _, tc := range []struct {
		preset        string
		mParams, gMAC float64
		pTol, mTol    float64
	}{
		{"deit-t", 5.7, 1.3, 0.05, 0.05},
		{"deit-s", 22, 4.6, 0.5, 0.05},
		{"deit-b", 86, 17.6, 0.6, 0.05},
	} {
		s, _ := Preset(tc.preset)
		p := float64(s.Params()) / 1e6
		m := float64(s.MACs()) / 1e9
		if math.Abs(p-tc.mParams) > tc.pTol {
			t.Errorf("%s: %.3fM params, published %.1fM", tc.preset, p, tc.mParams)
		}
		if math.Abs(m-tc.gMAC) > tc.mTol {
			t.Errorf("%s: %.3fG MACs, published %.1fG", tc.preset, m, tc.gMAC)
		}
	}
}

// DeiT-B's MACs by hand: 12 blocks over 197 tokens plus patch embedding and head.
func TestMACsDeiTBaseByHand(t *testing.T) {
	const e, tk, h, d, m = 768, 197, 12, 64, 3072
	qkv := tk * e * 3 * e
	attn := 2 * h * tk * tk * d
	proj := tk * e * e
	mlp := 2 * tk * e * m
	patch := 196 * (3 * 16 * 16) * e
	head := e * 1000
	want := int64(12*(qkv+attn+proj+mlp) + patch + head)
	s, _ := Preset("deit-b")
	if got := s.MACs(); got != want {
		t.Errorf("MACs() = %d, hand-derived %d", got, want)
	}
}

func TestRemovedSubBlocksCountNothing(t *testing.T) {
	if c := AttentionCounts(384, 197, Block{Heads: 0, QK: 64, V: 64}); c != (Counts{}) {
		t.Errorf("attention without heads counts %+v", c)
	}
	if c := MLPCounts(384, 197, 0); c != (Counts{}) {
		t.Errorf("MLP of width 0 counts %+v", c)
	}
}

// Specs far beyond any ViT are refused before their counts overflow.
func TestValidateRefusesAbsurdSizes(t *testing.T) {
	base, _ := Preset("deit-b")
	for name, edit := range map[string]func(*Spec){
		"emb":    func(s *Spec) { s.EMB = 100_000_000 },
		"tokens": func(s *Spec) { s.Image, s.Patch = 1_000_000, 1 },
		"mlp":    func(s *Spec) { s.Blocks[0].MLP = 1 << 21 },
		"heads":  func(s *Spec) { s.Blocks[0].Heads = 1 << 20 },
		"depth":  func(s *Spec) { s.Blocks = Uniform(1<<13, s.Blocks[0]) },
		"macs":   func(s *Spec) { s.Image, s.Patch, s.EMB = 16384, 16, 1<<20 },
	} {
		s := base.Clone()
		edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "beyond any ViT") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := base.Validate(); err != nil {
		t.Errorf("deit-b: %v", err)
	}
}
