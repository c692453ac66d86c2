package pruner

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/nvitprof/nvitprof/arch"
)

// TestFixedImage: the first pixels by hand, ((7919·i) mod 1024)/512 − 1:
// 7919 mod 1024 = 751, 15838 mod 1024 = 478, 23757 mod 1024 = 205.
func TestFixedImage(t *testing.T) {
	s := arch.Spec{Image: 4, Channels: 3}
	x := FixedImage(s)
	want := []float32{-1, 751.0/512 - 1, 478.0/512 - 1, 205.0/512 - 1}
	if len(x) != 48 || !slices.Equal(x[:4], want) {
		t.Errorf("FixedImage: %d values starting %v, want 48 starting %v", len(x), x[:4], want)
	}
}

// TestForwardMatchesModel: Forward's output is what the evaluation path
// (blocks.Model through logitsExec) computes, image by image, and the mean
// of its heads.
func TestForwardMatchesModel(t *testing.T) {
	for _, s := range tinySpecs() {
		t.Run(s.Name, func(t *testing.T) {
			w := randomWeights(t, s, 21)
			images := randomImages(s, 3, 22)
			want := logits(t, w, images)
			got, err := Forward(backend, w, tensors.MustCopyFlatData[float32](images))
			if err != nil {
				t.Fatal(err)
			}
			heads := []string{"head"}
			if s.Distilled() {
				heads = append(heads, "head_dist")
			}
			for b, l := range got {
				if !slices.Equal(l.Output, want[b*s.Classes:(b+1)*s.Classes]) {
					t.Errorf("image %d: Forward %v, Model %v", b, l.Output, want[b*s.Classes:(b+1)*s.Classes])
				}
				if len(l.Heads) != len(heads) {
					t.Fatalf("image %d: %d heads, want %v", b, len(l.Heads), heads)
				}
				for c := range s.Classes {
					mean := float64(l.Heads[0].Logits[c])
					if s.Distilled() {
						mean = (mean + float64(l.Heads[1].Logits[c])) / 2
					}
					if math.Abs(mean-float64(l.Output[c])) > 1e-6*(1+math.Abs(mean)) {
						t.Errorf("image %d class %d: output %g, heads' mean %g", b, c, l.Output[c], mean)
					}
				}
				for i, h := range l.Heads {
					if h.Name != heads[i] {
						t.Errorf("head %d named %q, want %q", i, h.Name, heads[i])
					}
				}
			}
		})
	}
}

// handSpec is the model of TestInferHandComputed: one 2×2 RGB patch, cls
// and dist tokens, EMB 3, one block of one head of QK 4 and V 1, no MLP.
var handSpec = arch.Spec{Image: 2, Patch: 2, Channels: 3, Classes: 2, ExtraTokens: 2, EMB: 3,
	Blocks: []arch.Block{{Heads: 1, QK: 4, V: 1, MLP: 0}}}

// handAlpha is the query weight of the hand-computed model.
const handAlpha = 2.0

// handTensors names the hand-computed model's parameters in timm's naming
// or NViT's, placing each value at the index the naming gives it:
//
//   - patch embedding: EMB 0 gets +1 and EMB 1 gets −1 times pixel (c 1,
//     row 1, column 0), NCHW index 6, and EMB 2 a bias of 0.5, so the patch
//     token is (a, −a, 0.5) with a = FixedImage[6]; cls_token (1, −1, 0),
//     dist_token (−1, 1, 0), no position embedding;
//   - unit LayerNorms; q = α·n₀ and k = n₀ in the first QK dimension (n the
//     normalised token), v = n₀; the projection writes the head's output
//     to EMB 2;
//   - head: class 0 reads EMB 0, class 1 EMB 2, biases (0.25, −0.5);
//     head_dist: class 0 reads EMB 1, class 1 −EMB 2.
func handTensors(f Format) map[string]Tensor {
	ts := map[string]Tensor{}
	zeros := func(name string, shape ...int) []float32 {
		t := Tensor{Shape: shape, Data: make([]float32, prod(shape))}
		ts[name] = t
		return t.Data
	}
	ones := func(name string, n int) { copy(zeros(name, n), []float32{1, 1, 1}) }
	if f == FormatNViT {
		k := zeros("patch_embed.proj.weight", 3, 12, 1, 1) // [EMB, (p1 p2 c)]: (1·2 + 0)·3 + 1 = 7
		k[0*12+7], k[1*12+7] = 1, -1
	} else {
		k := zeros("patch_embed.proj.weight", 3, 3, 2, 2) // [EMB, c, p1, p2]: (1·2 + 1)·2 + 0 = 6
		k[0*12+6], k[1*12+6] = 1, -1
	}
	copy(zeros("patch_embed.proj.bias", 3), []float32{0, 0, 0.5})
	copy(zeros("cls_token", 1, 1, 3), []float32{1, -1, 0})
	copy(zeros("dist_token", 1, 1, 3), []float32{-1, 1, 0})
	zeros("pos_embed", 1, 3, 3)
	ones("blocks.0.norm1.weight", 3)
	zeros("blocks.0.norm1.bias", 3)
	if f == FormatNViT {
		zeros("blocks.0.attn.qkv.Q.weight", 4, 3)[0] = handAlpha // [H·QK, EMB]
		zeros("blocks.0.attn.qkv.Q.bias", 4)
		zeros("blocks.0.attn.qkv.K.weight", 4, 3)[0] = 1
		zeros("blocks.0.attn.qkv.K.bias", 4)
		zeros("blocks.0.attn.qkv.V.weight", 1, 3)[0] = 1
		zeros("blocks.0.attn.qkv.V.bias", 1)
		ones("blocks.0.attn.qkv.token_mask", 3) // [tokens, 1]
		ts["blocks.0.attn.qkv.token_mask"] = Tensor{Shape: []int{3, 1}, Data: ts["blocks.0.attn.qkv.token_mask"].Data}
		zeros("blocks.0.attn.proj.proj.weight", 3, 1)[2] = 1
		zeros("blocks.0.attn.proj.proj.bias", 3)
		// No MLP, as NViT's class holds it: empty linears, zero fc2 bias.
		ones("blocks.0.norm2.weight", 3)
		zeros("blocks.0.norm2.bias", 3)
		zeros("blocks.0.mlp.fc1.weight", 0, 3)
		zeros("blocks.0.mlp.fc1.bias", 0)
		zeros("blocks.0.mlp.fc2.weight", 3, 0)
		zeros("blocks.0.mlp.fc2.bias", 3)
	} else {
		qkv := zeros("blocks.0.attn.qkv.weight", 9, 3) // rows q 0..3, k 4..7, v 8
		qkv[0*3], qkv[4*3], qkv[8*3] = handAlpha, 1, 1
		zeros("blocks.0.attn.qkv.bias", 9)
		zeros("blocks.0.attn.proj.weight", 3, 1)[2] = 1
		zeros("blocks.0.attn.proj.bias", 3)
	}
	ones("norm.weight", 3)
	zeros("norm.bias", 3)
	h := zeros("head.weight", 2, 3) // [classes, EMB]
	h[0*3+0], h[1*3+2] = 1, 1
	copy(zeros("head.bias", 2), []float32{0.25, -0.5})
	hd := zeros("head_dist.weight", 2, 3)
	hd[0*3+1], hd[1*3+2] = 1, -1
	zeros("head_dist.bias", 2)
	return ts
}

// handLogits is the closed form of handTensors' model on FixedImage with
// attention logit scale `scale`. Only the first normalised EMB channel s_t
// of each token enters the attention: q·k = α·s_t·s_u and v = s_u, so the
// attention output of token t is m_t = Σ_u p_tu·s_u with p_t the softmax
// over u of scale·α·s_t·s_u. (±1, ∓1, 0) normalises to (±1, ∓1, 0)/√(2/3 + ε)
// and (a, −a, 1/2) to (a − 1/6, −a − 1/6, 1/3)/√((2a² + 1/6)/3 + ε). After the block cls is (1, −1, m_cls)
// and dist (−1, 1, m_dist); (±1, ∓1, m) normalises to
// (±1 − m/3, ∓1 − m/3, 2m/3)/√(2/3 + 2m²/9 + ε).
func handLogits(scale float64) (head, headDist, output []float64) {
	const eps = 1e-6
	a := float64(FixedImage(handSpec)[6]) // −0.19921875
	unit := 1 / math.Sqrt(2.0/3+eps)
	s := []float64{unit, -unit, (a - 1.0/6) / math.Sqrt((2*a*a+1.0/6)/3+eps)} // cls, dist, patch
	m := func(t int) float64 {
		var num, den float64
		for u := range s {
			e := math.Exp(scale * handAlpha * s[t] * s[u])
			num += e * s[u]
			den += e
		}
		return num / den
	}
	mc, md := m(0), m(1)
	dc, dd := math.Sqrt(2.0/3+2*mc*mc/9+eps), math.Sqrt(2.0/3+2*md*md/9+eps)
	head = []float64{(1-mc/3)/dc + 0.25, (2*mc/3)/dc - 0.5}
	headDist = []float64{(1-md/3)/dd + 0, -(2*md/3)/dd + 0}
	output = []float64{(head[0] + headDist[0]) / 2, (head[1] + headDist[1]) / 2}
	return head, headDist, output
}

// TestInferHandComputed loads the hand-made model from timm-named and
// NViT-named files, reading its architecture off the tensors with one head,
// and compares Infer's logits with the closed form: timm's attention scale
// is QK^-0.5 = 1/2, NViT's 64^-0.5 = 1/8 (nvit/models.py:66).
func TestInferHandComputed(t *testing.T) {
	for _, tc := range []struct {
		format Format
		scale  float64
	}{{FormatTimm, 0.5}, {FormatNViT, 0.125}} {
		t.Run(string(tc.format), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hand.safetensors")
			if err := SaveSafetensors(path, &TensorFile{Tensors: handTensors(tc.format)}); err != nil {
				t.Fatal(err)
			}
			l, err := Load(path, LoadOptions{Heads: []int{1}})
			if err != nil {
				t.Fatal(err)
			}
			if l.Format != tc.format || l.ArchFrom != ArchFromTensors || !sameArch(l.Weights.Spec, handSpec) {
				t.Fatalf("loaded as %s, architecture %s %s; want %s, %s", l.Format, l.ArchFrom, archLabel(l.Weights.Spec), tc.format, archLabel(handSpec))
			}
			inf, err := Infer(context.Background(), backend, l.Weights, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			head, dist, out := handLogits(tc.scale)
			other, _, _ := handLogits(0.625 - tc.scale) // the other scale
			if math.Abs(other[0]-head[0]) < 1e-3 {
				t.Fatalf("the two scales give logits %v and %v: the test cannot tell them apart", head, other)
			}
			for _, c := range []struct {
				name string
				got  []float32
				want []float64
			}{{"head", inf.Logits.Heads[0].Logits, head}, {"head_dist", inf.Logits.Heads[1].Logits, dist}, {"output", inf.Logits.Output, out}} {
				for i := range c.want {
					if d := math.Abs(float64(c.got[i]) - c.want[i]); d > 1e-6*(1+math.Abs(c.want[i])) {
						t.Errorf("%s: logits %v, closed form %v", c.name, c.got, c.want)
						break
					}
				}
			}
		})
	}
}

// TestInferEvalMatchesForward: Infer's top-1 and loss on data (Evaluate's
// graph, in batches) are those of Forward's outputs on the same images.
func TestInferEvalMatchesForward(t *testing.T) {
	_, test, err := LoadData("folder:"+imageFolder(t, 25), tinySpec)
	if err != nil {
		t.Fatal(err)
	}
	w := randomWeights(t, tinySpec, 23)
	inf, err := Infer(context.Background(), backend, w, test, 2)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, test.Len())
	for i := range idx {
		idx[i] = i
	}
	images, labels := test.Batch(idx)
	out, err := Forward(backend, w, tensors.MustCopyFlatData[float32](images))
	if err != nil {
		t.Fatal(err)
	}
	var correct, loss float64
	for i, l := range out {
		label := int(tensors.MustCopyFlatData[int32](labels)[i])
		best, sum := 0, 0.0
		for c, v := range l.Output {
			if v > l.Output[best] {
				best = c
			}
			sum += math.Exp(float64(v))
		}
		if best == label {
			correct++
		}
		loss += math.Log(sum) - float64(l.Output[label])
	}
	n := float64(len(out))
	if ev := inf.Eval; ev == nil || ev.N != len(out) || ev.Accuracy != correct/n || math.Abs(ev.Loss-loss/n) > 1e-5 {
		t.Errorf("Infer's evaluation %+v; from Forward: top-1 %g, loss %g on %d images", ev, correct/n, loss/n, len(out))
	}
}
