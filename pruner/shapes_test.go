package pruner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// TestReadArch: the architecture read off timm- and NViT-named tensors with
// the heads given is the one written, per-block heads or one for all;
// without heads it is ErrNoArch stating the widths it read.
func TestReadArch(t *testing.T) {
	nvit3 := nvitSpec.Clone()
	nvit3.Channels = 3 // as NViT builds its PatchEmbed
	uniform := arch.Spec{Image: 28, Patch: 14, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 8,
		Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 2, MLP: 8})}
	for _, tc := range []struct {
		name   string
		s      arch.Spec
		format Format
		heads  []int
	}{
		{"timm", tinySpecs()[0], FormatTimm, []int{2, 0, 3}},
		{"timm distilled", tinySpecs()[1], FormatTimm, []int{2, 0, 3}},
		{"timm uniform", uniform, FormatTimm, []int{2}},
		{"nvit", nvit3, FormatNViT, []int{2, 1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randomWeights(t, tc.s, 41)
			to := ToTimm
			if tc.format == FormatNViT {
				to = ToNViT
			}
			ts, err := to(w)
			if err != nil {
				t.Fatal(err)
			}
			if f := DetectFormat(ts); f != tc.format {
				t.Errorf("detected %s, want %s", f, tc.format)
			}
			got, err := ReadArch(ts, tc.format, tc.heads)
			if err != nil {
				t.Fatal(err)
			}
			if !sameArch(got, tc.s) {
				t.Errorf("read %s, want %s", archLabel(got), archLabel(tc.s))
			}
			_, err = ReadArch(ts, tc.format, nil)
			if !errors.Is(err, ErrNoArch) || !strings.Contains(err.Error(), "heads×QK is [") {
				t.Errorf("without heads: %v, want ErrNoArch with the widths", err)
			}
		})
	}
}

// TestReadArchErrors: heads that do not fit the widths, and tensors that
// are not a ViT of the naming, are refused naming what is wrong.
func TestReadArchErrors(t *testing.T) {
	ts, err := ToTimm(randomWeights(t, tinySpecs()[0], 42)) // heads×QK [6 0 6], heads×V [8 0 6]
	if err != nil {
		t.Fatal(err)
	}
	without := func(name string) map[string]Tensor {
		out := map[string]Tensor{}
		for k, v := range ts {
			if k != name {
				out[k] = v
			}
		}
		return out
	}
	oddPos := without("pos_embed")
	oddPos["pos_embed"] = Tensor{Shape: []int{1, 6, 6}, Data: make([]float32, 36)}
	for _, tc := range []struct {
		name   string
		ts     map[string]Tensor
		format Format
		heads  []int
		want   string
	}{
		{"heads do not divide", ts, FormatTimm, []int{4}, "block 0 has heads×QK 6 and heads×V 8, which 4 heads do not divide"},
		{"heads for a block without attention", ts, FormatTimm, []int{2, 1, 3}, "block 1 has no attention"},
		{"one number per block", ts, FormatTimm, []int{2, 3}, "2 numbers of heads for 3 blocks"},
		{"no cls token", without("cls_token"), FormatTimm, []int{2, 0, 3}, "cls token"},
		{"tokens not square", oddPos, FormatTimm, []int{2, 0, 3}, "6 tokens less 1 extra tokens are not a square"},
		{"timm read as nvit", ts, FormatNViT, []int{2, 0, 3}, "NViT's patch embedding is a 1×1 convolution"},
		{"no head", without("head.weight"), FormatTimm, []int{2, 0, 3}, "no tensor head.weight"},
	} {
		if _, err := ReadArch(tc.ts, tc.format, tc.heads); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestLoadArchFileGeometry: an architecture file that gives only the
// dimensions takes its geometry from the tensors, so a plain timm file needs
// no "extra_tokens": 1 (NViT's default is 2); given geometry still counts,
// and heads given beside an architecture must agree with it.
func TestLoadArchFileGeometry(t *testing.T) {
	s := arch.Spec{Image: 28, Patch: 14, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 8,
		Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 4, MLP: 8})}
	ts, err := ToTimm(randomWeights(t, s, 43))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bare := filepath.Join(dir, "bare.safetensors")
	if err := SaveSafetensors(bare, &TensorFile{Tensors: ts}); err != nil {
		t.Fatal(err)
	}
	file := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	dims := file("dims.json", `{"EMB": 8, "head": [2, 2], "QK": [4, 4], "V": [4, 4], "MLP": [8, 8]}`)
	l, err := Load(bare, LoadOptions{ArchFile: dims})
	if err != nil {
		t.Fatal(err)
	}
	if !sameArch(l.Weights.Spec, s) || l.ArchFrom != ArchFromFile || l.Format != FormatTimm {
		t.Errorf("loaded %s from %s as %s, want %s from the architecture file as timm", archLabel(l.Weights.Spec), l.ArchFrom, l.Format, archLabel(s))
	}
	if _, err := LoadWeights(bare, dims); err != nil {
		t.Errorf("LoadWeights: %v", err)
	}
	distilled := file("dist.json", `{"extra_tokens": 2, "EMB": 8, "head": [2, 2], "QK": [4, 4], "V": [4, 4], "MLP": [8, 8]}`)
	if _, err := Load(bare, LoadOptions{ArchFile: distilled}); !errors.Is(err, ErrArchMismatch) || !strings.Contains(err.Error(), "dist_token") {
		t.Errorf("a distilled architecture file: %v, want ErrArchMismatch on dist_token", err)
	}
	typo := file("typo.json", `{"EMB": 8, "heads": [2, 2]}`)
	if _, err := Load(bare, LoadOptions{ArchFile: typo}); err == nil || !strings.Contains(err.Error(), "typo.json") || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("an unknown field: %v, want an error naming the file and the field", err)
	}
	if _, err := Load(bare, LoadOptions{ArchFile: dims, Heads: []int{2}}); err != nil {
		t.Errorf("agreeing heads: %v", err)
	}
	if _, err := Load(bare, LoadOptions{ArchFile: dims, Heads: []int{4}}); !errors.Is(err, ErrArchMismatch) || !strings.Contains(err.Error(), "heads [2 2], not the given [4]") {
		t.Errorf("other heads: %v, want ErrArchMismatch naming both", err)
	}
	if _, err := Load(bare, LoadOptions{Format: FormatNViT, Heads: []int{2}}); err == nil || !strings.Contains(err.Error(), "1×1 convolution") {
		t.Errorf("a timm file read as NViT's: %v, want an error on the patch kernel", err)
	}
}
