package profiler

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// SweepPreset is a named grid with the geometry and CPU batch it is meant for.
// On GPUs the batch defaults to 256 (as NViT measured) and the dtype to
// bfloat16; on the CPU to CPUBatch and float32.
type SweepPreset struct {
	Name, Description string
	Grid              Grid
	Geometry          arch.Geometry
	CPUBatch          int
}

func seq(lo, hi, step int) []int {
	var v []int
	for x := lo; x <= hi; x += step {
		v = append(v, x)
	}
	return v
}

func mustPreset(name string) arch.Spec {
	s, err := arch.Preset(name)
	if err != nil {
		panic("profiler: " + err.Error())
	}
	return s
}

// miniViT is a small model of the quick preset's geometry, for whole-model rows.
func miniViT(name string, emb, heads, qk, mlp, depth int) arch.Spec {
	return arch.Spec{Name: name, Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: emb,
		Blocks: arch.Uniform(depth, arch.Block{Heads: heads, QK: qk, V: qk, MLP: mlp})}
}

var sweepPresets = map[string]func() SweepPreset{
	"quick": func() SweepPreset {
		return SweepPreset{Name: "quick",
			Description: "small ViTs on 32² images (65 tokens): a CPU sweep of about a minute",
			Grid: Grid{EMB: []int{64, 96, 128}, Heads: []int{1, 2, 4}, QK: []int{8, 16, 32}, V: []int{16, 32},
				MLP: seq(64, 512, 64), Decomposed: true, Validation: 6,
				Models: []arch.Spec{miniViT("mini-64", 64, 2, 16, 256, 4), miniViT("mini-128", 128, 4, 32, 512, 4)}},
			Geometry: arch.Geometry{Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1},
			CPUBatch: 8,
		}
	},
	"nvit": func() SweepPreset {
		return SweepPreset{Name: "nvit",
			Description: "NViT's latency-table grid, decomposed (EMB 256,512,768 × heads 1..12 × QK, V 1..64; MLP 128..3072/128), 198 tokens",
			Grid: Grid{EMB: []int{256, 512, 768}, Heads: []int{1, 3, 6, 9, 12}, QK: []int{1, 16, 32, 48, 64},
				V: []int{1, 16, 32, 48, 64}, MLP: seq(128, 3072, 128), Decomposed: true, Validation: 20,
				Models: []arch.Spec{mustPreset("deit-t-distilled"), mustPreset("deit-s-distilled"), mustPreset("deit-b-distilled")}},
			Geometry: arch.NViTGeometry(), CPUBatch: 1,
		}
	},
	"deit": func() SweepPreset {
		return SweepPreset{Name: "deit",
			Description: "the neighbourhood of DeiT-T/S/B (EMB 192,384,768), 197 tokens, with the three models",
			Grid: Grid{EMB: []int{192, 384, 768}, Heads: []int{2, 3, 4, 6, 8, 12}, QK: []int{32, 48, 64}, V: []int{32, 48, 64},
				MLP: []int{384, 512, 768, 1024, 1536, 2048, 2560, 3072}, Decomposed: true, Validation: 12,
				Models: []arch.Spec{mustPreset("deit-t"), mustPreset("deit-s"), mustPreset("deit-b")}},
			Geometry: arch.Geometry{Image: 224, Patch: 16, Channels: 3, Classes: 1000, ExtraTokens: 1}, CPUBatch: 1,
		}
	},
	"fine": func() SweepPreset {
		return SweepPreset{Name: "fine",
			Description: "steps of 8 (QK) and 16 (MLP) around DeiT-B's block, to expose latency staircases, 198 tokens",
			Grid: Grid{EMB: []int{768}, Heads: []int{6, 12}, QK: seq(8, 64, 8), V: []int{64},
				MLP: seq(2560, 3328, 16), Decomposed: true},
			Geometry: arch.NViTGeometry(), CPUBatch: 1,
		}
	},
}

// SweepPresetNames lists the sweep presets, sorted.
func SweepPresetNames() []string {
	names := make([]string, 0, len(sweepPresets))
	for n := range sweepPresets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupSweepPreset returns a fresh copy of the named sweep preset.
func LookupSweepPreset(name string) (SweepPreset, error) {
	mk, ok := sweepPresets[strings.ToLower(name)]
	if !ok {
		return SweepPreset{}, fmt.Errorf("unknown sweep preset %q (known: %s)", name, strings.Join(SweepPresetNames(), ", "))
	}
	return mk(), nil
}
