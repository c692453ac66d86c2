package pruner

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// nvitSpec can be written in NViT's naming: distilled, every block has
// heads; QK 16 (query factor √16/8 = 1/2, exact), QK 64 (factor 1) and QK 3
// (√3/8, rounded), and one block without an MLP.
var nvitSpec = arch.Spec{Name: "tiny-nvit", Image: 8, Patch: 4, Channels: 2, Classes: 3, ExtraTokens: 2, EMB: 6,
	Blocks: []arch.Block{
		{Heads: 2, QK: 16, V: 4, MLP: 10},
		{Heads: 1, QK: 64, V: 2, MLP: 0},
		{Heads: 3, QK: 3, V: 2, MLP: 5},
	}}

// TestNViTLayout checks ToNViT against values placed by NViT's code
// (nvit/models.py): the patch kernel [EMB, (p1 p2 c), 1, 1] (:150, :158),
// Q, K, V apart with head-major rows (:23-25, :77), queries divided by
// √QK/8 (:66), proj.proj [EMB, H·V] (:50), token_mask ones [tokens, 1]
// (:26), and an MLP-free block as empty linears.
func TestNViTLayout(t *testing.T) {
	s := nvitSpec
	w := randomWeights(t, s, 31)
	ts, err := ToNViT(w)
	if err != nil {
		t.Fatal(err)
	}
	e, c, p := s.EMB, s.Channels, s.Patch
	at := func(name string, idx ...int) float32 {
		tt, ok := ts[name]
		if !ok {
			t.Fatalf("no tensor %s", name)
		}
		off := 0
		for a, i := range idx {
			off = off*tt.Shape[a] + i
		}
		return tt.Data[off]
	}
	our := func(path string, dims []int, idx ...int) float32 {
		off := 0
		for a, i := range idx {
			off = off*dims[a] + i
		}
		return w.Values[path][off]
	}
	// pixel (c 1, row 3, column 2) of a patch: NViT input (3·4 + 2)·2 + 1.
	if got, want := at("patch_embed.proj.weight", 5, (3*p+2)*c+1, 0, 0), our("patch_embed/weights", []int{c * p * p, e}, (1*p+3)*p+2, 5); got != want {
		t.Errorf("patch kernel: %g, want %g", got, want)
	}
	b := s.Blocks[0] // QK 16: factor 1/2
	if got, want := at("blocks.0.attn.qkv.Q.weight", 1*b.QK+5, 4), our("block_00/attn/q/weights", []int{e, b.Heads, b.QK}, 4, 1, 5)*2; got != want {
		t.Errorf("Q weight: %g, want twice ours %g", got, want)
	}
	if got, want := at("blocks.0.attn.qkv.Q.bias", 1*b.QK+5), our("block_00/attn/q/biases", []int{b.Heads, b.QK}, 1, 5)*2; got != want {
		t.Errorf("Q bias: %g, want %g", got, want)
	}
	if got, want := at("blocks.0.attn.qkv.K.weight", 1*b.QK+7, 2), our("block_00/attn/k/weights", []int{e, b.Heads, b.QK}, 2, 1, 7); got != want {
		t.Errorf("K weight: %g, want %g", got, want)
	}
	if got, want := at("blocks.0.attn.qkv.V.bias", 1*b.V+3), our("block_00/attn/v/biases", []int{b.Heads, b.V}, 1, 3); got != want {
		t.Errorf("V bias: %g, want %g", got, want)
	}
	if got, want := at("blocks.0.attn.proj.proj.weight", 4, 1*b.V+3), our("block_00/attn/proj/weights", []int{b.Heads, b.V, e}, 1, 3, 4); got != want {
		t.Errorf("proj.proj: %g, want %g", got, want)
	}
	if got, want := at("blocks.1.attn.qkv.Q.weight", 9, 3), our("block_01/attn/q/weights", []int{e, 1, 64}, 3, 0, 9); got != want {
		t.Errorf("Q weight at QK 64: %g, want ours unchanged %g", got, want)
	}
	if m := ts["blocks.2.attn.qkv.token_mask"]; !slices.Equal(m.Shape, []int{s.Tokens(), 1}) || slices.ContainsFunc(m.Data, func(v float32) bool { return v != 1 }) {
		t.Errorf("token_mask %v %v, want ones [%d 1]", m.Shape, m.Data, s.Tokens())
	}
	for name, shape := range map[string][]int{
		"blocks.1.mlp.fc1.weight": {0, e}, "blocks.1.mlp.fc2.weight": {e, 0}, "blocks.1.mlp.fc2.bias": {e}, "blocks.1.norm2.weight": {e},
	} {
		if got := ts[name].Shape; !slices.Equal(got, shape) {
			t.Errorf("%s has shape %v, want %v", name, got, shape)
		}
	}
	for _, absent := range []string{"blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight"} {
		if _, ok := ts[absent]; ok {
			t.Errorf("%s is timm's name, not NViT's", absent)
		}
	}
}

// TestNViTRoundTrip: weights → NViT naming → safetensors → weights keeps
// every value (the queries within the rounding of √3/8) and the logits.
func TestNViTRoundTrip(t *testing.T) {
	s := nvitSpec
	w := randomWeights(t, s, 32)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := SaveNViT(path, w); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Format != FormatNViT || l.ArchFrom != ArchRecorded {
		t.Errorf("read as %s, architecture %s; want nvit, recorded", l.Format, l.ArchFrom)
	}
	back := l.Weights
	for k, v := range w.Values {
		exact := !strings.HasPrefix(k, "block_02/attn/q/")
		for i := range v {
			d := math.Abs(float64(v[i] - back.Values[k][i]))
			if (exact && d != 0) || d > 2e-7*math.Abs(float64(v[i])) {
				t.Fatalf("%s[%d]: %g after the round trip, was %g", k, i, back.Values[k][i], v[i])
			}
		}
	}
	x := randomImages(s, 2, 33)
	a, b := logits(t, w, x), logits(t, back, x)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(a[i]))) {
			t.Fatalf("logits %v after the round trip, were %v", b, a)
		}
	}
}

// TestNViTRefusals: what NViT's class cannot hold or nvitprof cannot
// compute is refused, saying why.
func TestNViTRefusals(t *testing.T) {
	plain := nvitSpec.Clone()
	plain.ExtraTokens = 1
	headless := nvitSpec.Clone()
	headless.Blocks[1] = arch.Block{MLP: 4}
	for _, tc := range []struct {
		name string
		s    arch.Spec
		want string
	}{{"no dist token", plain, "dist token"}, {"block without heads", headless, "block 1 has no heads"}} {
		_, err := ToNViT(randomWeights(t, tc.s, 1))
		if !errors.Is(err, ErrNoNViTForm) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrNoNViTForm saying %q", tc.name, err, tc.want)
		}
	}
	ts, err := ToNViT(randomWeights(t, nvitSpec, 2))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name string, i int, v float32) map[string]Tensor {
		out := map[string]Tensor{}
		for k, t := range ts {
			out[k] = t
		}
		d := slices.Clone(ts[name].Data)
		d[i] = v
		out[name] = Tensor{Shape: ts[name].Shape, Data: d}
		return out
	}
	for _, tc := range []struct {
		name string
		ts   map[string]Tensor
		want string
	}{
		{"token mask", edit("blocks.2.attn.qkv.token_mask", 3, 0), "token_mask is not all ones"},
		{"fc2 bias without MLP", edit("blocks.1.mlp.fc2.bias", 0, 0.5), "block 1 has no MLP but a non-zero mlp.fc2.bias"},
	} {
		if _, err := FromNViT(tc.ts, nvitSpec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := FromNViT(ts, headless); !errors.Is(err, ErrNoNViTForm) {
		t.Errorf("a spec with a block without heads: %v, want ErrNoNViTForm", err)
	}
	wider := nvitSpec.Clone()
	wider.Blocks[2].MLP = 6
	if _, err := FromNViT(ts, wider); !errors.Is(err, ErrArchMismatch) || !strings.Contains(err.Error(), "blocks.2.mlp.fc1.weight") {
		t.Errorf("another MLP width: %v, want ErrArchMismatch naming blocks.2.mlp.fc1.weight", err)
	}
}
