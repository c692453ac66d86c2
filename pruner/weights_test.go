package pruner

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// tinySpecs: per-block different widths, QK ≠ V, an attention-free and an
// MLP-free block, plain and distilled.
func tinySpecs() []arch.Spec {
	blocks := []arch.Block{
		{Heads: 2, QK: 3, V: 4, MLP: 10},
		{Heads: 0, MLP: 6},
		{Heads: 3, QK: 2, V: 2, MLP: 0},
	}
	plain := arch.Spec{Name: "tiny", Image: 8, Patch: 4, Channels: 2, Classes: 3, ExtraTokens: 1, EMB: 6, Blocks: blocks}
	dist := plain.Clone()
	dist.Name, dist.ExtraTokens = "tiny-distilled", 2
	return []arch.Spec{plain, dist}
}

// randomWeights gives every parameter a distinct random value (DeiT's zero
// biases and unit norms would hide layout mistakes).
func randomWeights(t *testing.T, s arch.Spec, seed uint64) *Weights {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &Weights{Spec: s.Clone(), Values: map[string][]float32{}}
	for _, v := range blocks.Layout(s) {
		vals := make([]float32, v.Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 0.5)
		}
		if v.Name == blocks.VarScale {
			for i := range vals {
				vals[i] += 1
			}
		}
		w.Values[v.Path()] = vals
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w
}

func randomImages(s arch.Spec, n int, seed uint64) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*s.Channels*s.Image*s.Image)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(x, n, s.Channels, s.Image, s.Image)
}

// logits runs w's model on images.
func logits(t *testing.T, w *Weights, images *tensors.Tensor) []float32 {
	t.Helper()
	e, err := logitsExec(backend, w)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	out, err := e.Exec1(images)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out)
}

func TestContextRoundTrip(t *testing.T) {
	for _, s := range tinySpecs() {
		w, err := Init(backend, s, 7)
		if err != nil {
			t.Fatal(err)
		}
		ctx, err := w.Context()
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromContext(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range w.Values {
			if !slices.Equal(v, back.Values[k]) {
				t.Errorf("%s: %s changed through a context", s.Name, k)
			}
		}
	}
}

// TestTimmRoundTrip: weights → timm naming → safetensors bytes → weights is
// the identity, and the model loaded from timm naming computes exactly the
// logits of the original context.
func TestTimmRoundTrip(t *testing.T) {
	for _, s := range tinySpecs() {
		t.Run(s.Name, func(t *testing.T) {
			w := randomWeights(t, s, 3)
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := SaveTimm(path, w); err != nil {
				t.Fatal(err)
			}
			back, err := LoadTimm(path, &s)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range w.Values {
				if !slices.Equal(v, back.Values[k]) {
					t.Errorf("%s changed in the round trip", k)
				}
			}
			fromMeta, err := LoadTimm(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dimString(fromMeta.Spec.Dim()) != dimString(s.Dim()) || fromMeta.Spec.ExtraTokens != s.ExtraTokens {
				t.Errorf("architecture from metadata %s, want %s", formatDim(fromMeta.Spec), formatDim(s))
			}
			x := randomImages(s, 3, 4)
			if a, b := logits(t, w, x), logits(t, back, x); !slices.Equal(a, b) {
				t.Errorf("logits differ after the timm round trip: %v vs %v", a, b)
			}
		})
	}
}

// TestTimmLayout checks the conventions against values placed by hand: the
// conv kernel, qkv rows q|k|v head-major, proj columns, [out, in] linears.
func TestTimmLayout(t *testing.T) {
	s := tinySpecs()[0]
	w := randomWeights(t, s, 5)
	ts, err := ToTimm(w)
	if err != nil {
		t.Fatal(err)
	}
	e, c, p := s.EMB, s.Channels, s.Patch
	b := s.Blocks[0]
	at := func(name string, idx ...int) float32 {
		tt := ts[name]
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
	// conv weight [e, c, p, p] vs ours [(c·p + i)·p + j, e].
	if got, want := at("patch_embed.proj.weight", 5, 1, 2, 3), our("patch_embed/weights", []int{c * p * p, e}, (1*p+2)*p+3, 5); got != want {
		t.Errorf("patch embed: %g, want %g", got, want)
	}
	// qkv row for k of head 1, dim 2: H·QK + 1·QK + 2.
	row := b.Heads*b.QK + 1*b.QK + 2
	if got, want := at("blocks.0.attn.qkv.weight", row, 4), our("block_00/attn/k/weights", []int{e, b.Heads, b.QK}, 4, 1, 2); got != want {
		t.Errorf("qkv k: %g, want %g", got, want)
	}
	row = 2*b.Heads*b.QK + 1*b.V + 3 // v, head 1, dim 3
	if got, want := at("blocks.0.attn.qkv.bias", row), our("block_00/attn/v/biases", []int{b.Heads, b.V}, 1, 3); got != want {
		t.Errorf("qkv bias v: %g, want %g", got, want)
	}
	if got, want := at("blocks.0.attn.proj.weight", 4, 1*b.V+3), our("block_00/attn/proj/weights", []int{b.Heads, b.V, e}, 1, 3, 4); got != want {
		t.Errorf("proj: %g, want %g", got, want)
	}
	if got, want := at("blocks.0.mlp.fc1.weight", 7, 2), our("block_00/mlp/fc1/weights", []int{e, b.MLP}, 2, 7); got != want {
		t.Errorf("fc1: %g, want %g", got, want)
	}
	if got, want := at("head.weight", 2, 5), our("head/weights", []int{e, s.Classes}, 5, 2); got != want {
		t.Errorf("head: %g, want %g", got, want)
	}
	if sh := ts["blocks.0.attn.qkv.weight"].Shape; !slices.Equal(sh, []int{b.Heads * (2*b.QK + b.V), e}) {
		t.Errorf("qkv shape %v", sh)
	}
	for _, absent := range []string{"blocks.1.attn.qkv.weight", "blocks.1.norm1.weight", "blocks.2.mlp.fc1.weight", "blocks.2.norm2.bias", "dist_token"} {
		if _, ok := ts[absent]; ok {
			t.Errorf("%s present for a block without that sub-block", absent)
		}
	}
}

func TestTimmMismatch(t *testing.T) {
	s := tinySpecs()[0]
	ts, err := ToTimm(randomWeights(t, s, 1))
	if err != nil {
		t.Fatal(err)
	}
	bigger := s.Clone()
	bigger.Blocks[0].MLP = 12
	dist := s.Clone()
	dist.ExtraTokens = 2
	noMLP := s.Clone()
	noMLP.Blocks[1].MLP = 0
	for _, tc := range []struct {
		name string
		spec arch.Spec
		want []string
	}{
		{"wider MLP", bigger, []string{"blocks.0.mlp.fc1.weight", "[10 6]", "[12 6]", "MLP 12"}},
		{"distilled spec", dist, []string{"dist_token", "missing"}},
		{"extra tensors", noMLP, []string{"does not", "blocks.1.mlp.fc1.bias"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromTimm(ts, tc.spec)
			if err == nil || !errors.Is(err, ErrArchMismatch) {
				t.Fatalf("error %v, want a mismatch", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestLoadTimmChecksRecordedArch: 2 heads of 4 and 4 heads of 2 have the
// same tensor shapes, so only the architecture recorded in the file tells
// them apart; a given spec that disagrees with it is refused, one that
// agrees (under another name) or a file recording none loads.
func TestLoadTimmChecksRecordedArch(t *testing.T) {
	s := arch.Spec{Name: "wide-heads", Image: 8, Patch: 4, Channels: 1, Classes: 3, ExtraTokens: 1, EMB: 8,
		Blocks: []arch.Block{{Heads: 2, QK: 4, V: 4, MLP: 8}}}
	split := s.Clone()
	split.Name, split.Blocks[0] = "narrow-heads", arch.Block{Heads: 4, QK: 2, V: 2, MLP: 8}
	renamed := s.Clone()
	renamed.Name = "preset"
	w := randomWeights(t, s, 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := SaveTimm(path, w); err != nil {
		t.Fatal(err)
	}
	_, err := LoadTimm(path, &split)
	if err == nil || !errors.Is(err, ErrArchMismatch) {
		t.Fatalf("4 heads of 2 loaded from a file of 2 heads of 4: %v", err)
	}
	for _, want := range []string{"heads [2]", "QK [4]", "heads [4]", "QK [2]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := LoadTimm(path, &renamed); err != nil {
		t.Errorf("same architecture under another name: %v", err)
	}
	ts, err := ToTimm(w)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.safetensors")
	if err := SaveSafetensors(bare, &TensorFile{Tensors: ts}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTimm(bare, &split); err != nil {
		t.Errorf("a file without a recorded architecture is read as the given one: %v", err)
	}
}

func TestSafetensorsDTypes(t *testing.T) {
	// A file with F16, BF16 and F64 tensors written by hand.
	header := `{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"c":{"dtype":"F64","shape":[1],"data_offsets":[6,14]}}`
	var buf bytes.Buffer
	n := uint64(len(header))
	for i := range 8 {
		buf.WriteByte(byte(n >> (8 * i)))
	}
	buf.WriteString(header)
	buf.Write([]byte{0x00, 0x3c, 0x00, 0xc0}) // F16 1.0, -2.0
	buf.Write([]byte{0x40, 0x40})             // BF16 3.0
	f64 := math.Float64bits(0.25)
	for i := range 8 {
		buf.WriteByte(byte(f64 >> (8 * i)))
	}
	f, err := ParseSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Tensors["a"].Data; !slices.Equal(a, []float32{1, -2}) {
		t.Errorf("F16 %v", a)
	}
	if b := f.Tensors["b"].Data; !slices.Equal(b, []float32{3}) {
		t.Errorf("BF16 %v", b)
	}
	if c := f.Tensors["c"].Data; !slices.Equal(c, []float32{0.25}) {
		t.Errorf("F64 %v", c)
	}
	bad := strings.Replace(buf.String(), `"F64"`, `"I64"`, 1)
	if _, err := ParseSafetensors([]byte(bad)); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("integer tensor: error %v, want one naming the tensor", err)
	}
	if _, err := ParseSafetensors([]byte("\x05\x00\x00")); err == nil {
		t.Error("a 3-byte file parsed")
	}
}

// FuzzSafetensors: whatever parses writes back and parses to the same tensors.
func FuzzSafetensors(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteSafetensors(&buf, &TensorFile{Tensors: map[string]Tensor{"x": {Shape: []int{2, 1}, Data: []float32{1, 2}}, "y": {Shape: []int{}, Data: []float32{3}}},
		Metadata: map[string]string{"k": "v"}})
	f.Add(buf.Bytes())
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ParseSafetensors(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSafetensors(&out, tf); err != nil {
			t.Fatalf("write: %v", err)
		}
		back, err := ParseSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(back.Tensors) != len(tf.Tensors) {
			t.Fatalf("%d tensors, then %d", len(tf.Tensors), len(back.Tensors))
		}
		for k, v := range tf.Tensors {
			b := back.Tensors[k]
			if !slices.Equal(v.Shape, b.Shape) || len(v.Data) != len(b.Data) {
				t.Fatalf("%s: %v/%d then %v/%d", k, v.Shape, len(v.Data), b.Shape, len(b.Data))
			}
			for i := range v.Data {
				if math.Float32bits(v.Data[i]) != math.Float32bits(b.Data[i]) && !(math.IsNaN(float64(v.Data[i])) && math.IsNaN(float64(b.Data[i]))) {
					t.Fatalf("%s[%d]: %g then %g", k, i, v.Data[i], b.Data[i])
				}
			}
		}
	})
}

// TestPruneSlices checks physical pruning against a model whose removed
// units are zeroed in place: removing an MLP neuron (fc1 column, bias, fc2
// row) or a head (its q, k, v and proj slices) or a V dimension is exactly
// zeroing its contribution, so the logits must agree.
func TestPruneSlices(t *testing.T) {
	s := tinySpecs()[0]
	w := randomWeights(t, s, 9)
	k := KeepAll(s)
	k.MLP[0] = []int{0, 2, 3, 7, 9}
	k.Heads[2] = []int{0, 2}
	k.V[0] = []int{1, 3}
	k.MLP[1] = nil
	small, err := Prune(w, k)
	if err != nil {
		t.Fatal(err)
	}
	if b := small.Spec.Blocks; b[0].MLP != 5 || b[2].Heads != 2 || b[0].V != 2 || b[1].MLP != 0 {
		t.Fatalf("pruned spec %s", formatDim(small.Spec))
	}
	if err := small.Validate(); err != nil {
		t.Fatal(err)
	}
	zeroed := w.Clone()
	zero := func(path string, dims []int, axis int, keep []int) {
		v := zeroed.Values[path]
		strides := 1
		for a := axis + 1; a < len(dims); a++ {
			strides *= dims[a]
		}
		for i := range v {
			if !slices.Contains(keep, (i/strides)%dims[axis]) {
				v[i] = 0
			}
		}
	}
	b0, b2 := s.Blocks[0], s.Blocks[2]
	zero("block_00/mlp/fc2/weights", []int{b0.MLP, s.EMB}, 0, k.MLP[0])
	zero("block_00/attn/proj/weights", []int{b0.Heads, b0.V, s.EMB}, 1, k.V[0])
	zero("block_02/attn/proj/weights", []int{b2.Heads, b2.V, s.EMB}, 0, k.Heads[2])
	zero("block_01/mlp/fc2/weights", []int{6, s.EMB}, 0, nil)
	zero("block_01/mlp/fc2/biases", []int{s.EMB}, 0, nil)
	x := randomImages(s, 2, 8)
	a, b := logits(t, small, x), logits(t, zeroed, x)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(b[i]))) {
			t.Fatalf("pruned logits %v, zeroed %v", a, b)
		}
	}
	// And the pruned weights survive a timm round trip into the smaller spec.
	path := filepath.Join(t.TempDir(), "small.safetensors")
	if err := SaveTimm(path, small); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTimm(path, &small.Spec); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTimm(path, &s); err == nil {
		t.Error("pruned weights loaded into the dense spec")
	}
}

// TestPruneKeepsAttentionScale: a QK dimension whose q and k weights and
// biases are zero adds nothing to any attention logit, so removing it must
// leave the logits as they were, although the model now divides by √QK at
// the smaller width.
func TestPruneKeepsAttentionScale(t *testing.T) {
	s := tinySpecs()[0]
	w := randomWeights(t, s, 12)
	drop := map[int]int{0: 1, 2: 0} // block → the QK dimension zeroed and removed
	k := KeepAll(s)
	for b, d := range drop {
		h, qk := s.Blocks[b].Heads, s.Blocks[b].QK
		for _, proj := range []string{"q", "k"} {
			pre := blocks.BlockScope(b) + "/attn/" + proj + "/"
			wts, bias := w.Values[pre+"weights"], w.Values[pre+"biases"] // [emb, h, qk], [h, qk]
			for e := range s.EMB {
				for i := range h {
					wts[(e*h+i)*qk+d] = 0
				}
			}
			for i := range h {
				bias[i*qk+d] = 0
			}
		}
		k.QK[b] = removeFrom(k.QK[b], []int{d})
	}
	small, err := Prune(w, k)
	if err != nil {
		t.Fatal(err)
	}
	if b := small.Spec.Blocks; b[0].QK != 2 || b[2].QK != 1 {
		t.Fatalf("pruned spec %s", formatDim(small.Spec))
	}
	x := randomImages(s, 2, 13)
	a, want := logits(t, small, x), logits(t, w, x)
	for i := range a {
		if math.Abs(float64(a[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("logits after removing dead QK dimensions %v, before %v", a, want)
		}
	}
}

// TestInitMatchesBuilder: weights from Init, put in a context, give the same
// logits as the builder's own context.
func TestInitMatchesBuilder(t *testing.T) {
	s := tinySpecs()[1]
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	x := randomImages(s, 2, 1)
	e := context.MustNewExec(backend, ctx, func(ctx *context.Context, images *graph.Node) *graph.Node {
		return blocks.Model(ctx, images, s)
	})
	defer e.Finalize()
	want := tensors.MustCopyFlatData[float32](e.MustExec1(x))
	w, err := FromContext(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := logits(t, w, x); !slices.Equal(got, want) {
		t.Errorf("logits %v, want %v", got, want)
	}
}
