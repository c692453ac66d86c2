package pruner

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
)

// NViTScale is the attention logit scale of NViT's pruned model class,
// 64^-0.5 whatever a block's QK width (NVlabs/NViT nvit/models.py:66,
// "self.scale = 64 ** -0.5").
const NViTScale = 0.125

// NViT's pruned model class, DistilledVisionTransformer_small in
// NVlabs/NViT nvit/models.py (commit 48feca4), as its state_dict names it.
// It is timm 0.3.2's VisionTransformer with, per block, its own Attention
// (models.py:59-84, built at :104 with the block's heads·QK, heads·V and
// heads), its own PatchEmbed (:137-160) and a dist token and head (:89-97).
// NViT's finetune_dense.py builds it from a pruning run's checkpoint
// (:407-468) and saves its state_dict with the architecture beside it as
// checkpoint['dim'] (:615-624); eval_nvit.py loads it so (:274-308).
//
//	patch_embed.proj.weight  [EMB, P·P·C, 1, 1]  a 1×1 convolution over
//	                         patches rearranged 'b c (h p1) (w p2) -> b (p1 p2 c) h w' (:158)
//	patch_embed.proj.bias    [EMB]
//	cls_token, dist_token    [1, 1, EMB]
//	pos_embed                [1, tokens, EMB]                 tokens: cls, dist, patches (:117)
//	blocks.{i}.norm1.weight / .bias [EMB]
//	blocks.{i}.attn.qkv.Q.weight [H·QK, EMB], .bias [H·QK]    QKV_s (:19-32), rows head-major (:77)
//	blocks.{i}.attn.qkv.K.weight [H·QK, EMB], .bias [H·QK]
//	blocks.{i}.attn.qkv.V.weight [H·V, EMB],  .bias [H·V]
//	blocks.{i}.attn.qkv.token_mask [198, 1]                   multiplies q, k and v per token (:26-31)
//	blocks.{i}.attn.proj.proj.weight [EMB, H·V], .bias [EMB]  PROJ (:46-57)
//	blocks.{i}.norm2.weight / .bias [EMB]
//	blocks.{i}.mlp.fc1.weight [MLP, EMB], .bias [MLP]; mlp.fc2.weight [EMB, MLP], .bias [EMB]
//	norm.weight / .bias [EMB]; head.weight [classes, EMB], .bias; head_dist.weight, .bias
//
// Its forward differs from timm's (and nvitprof's) in three ways:
//
//   - The attention logits are scaled by NViTScale = 64^-0.5 (:66), not by
//     QK^-0.5. FromNViT folds the difference into the query projection,
//     multiplying its weights and bias by √QK·64^-0.5, so the Weights compute
//     NViT's function under nvitprof's QK^-0.5 (as Prune rescales the
//     queries of a block whose QK shrinks); ToNViT divides it out again.
//     With QK = 64 the factor is 1.
//   - q, k and v are multiplied per token by token_mask (:29-31), ones
//     unless NViT's token pruning (prune_token, model_pruning.py:89) ran;
//     NViT's finetune_dense.py:436 copies it into the pruned model.
//     FromNViT refuses a mask that is not all ones; ToNViT writes ones.
//   - forward returns the two heads' logits apart (:129-133); NViT's
//     evaluate averages them (engine.py:340-341), as nvitprof's Model does.
//
// NViT's class hard-codes 198 tokens (224² images, 16² patches, cls + dist:
// token_mask at :26, the reshape at :54) and 3 input channels (:93),
// requires the dist token and head, and cannot run a block without heads (it
// divides by them at :77). FromNViT reads any geometry; ToNViT refuses a
// model without a dist token or with a block without heads, and writes
// token_mask at the model's own token count, so that other geometries keep
// NViT's naming but load into NViT's code only with those lines changed.
// A block without an MLP is fc1 [0, EMB] and fc2 [EMB, 0] in NViT's class,
// whose output is then fc2's bias: FromNViT accepts it when that bias is
// zero, and ToNViT writes it so.
func nvitName(i int, suffix string) string { return timmName(i, suffix) }

// ErrNoNViTForm: a model NViT's pruned class cannot hold (see ToNViT).
var ErrNoNViTForm = errors.New("pruner: NViT's pruned model class cannot hold this model")

// nvitQueryFactor is what FromNViT multiplies an NViT block's queries by:
// √QK·64^-0.5, so that q·k/√QK equals NViT's q·k·64^-0.5.
func nvitQueryFactor(qk int) float64 { return math.Sqrt(float64(qk)) * NViTScale }

// scaled returns x·f, each product rounded once to float32.
func scaled(x []float32, f float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(float64(v) * f)
	}
	return out
}

// ToNViT converts w to the naming, layout and attention scale of NViT's
// pruned model class: NViT's patch kernel order, the queries divided by
// √QK·64^-0.5 (NViT scales every block's logits by 64^-0.5), token masks of
// ones (package documentation, "NViT's pruned model class"). A model without
// a dist token or with a block without heads is ErrNoNViTForm.
func ToNViT(w *Weights) (map[string]Tensor, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	s := w.Spec
	if !s.Distilled() {
		return nil, fmt.Errorf("%w: it has no dist token and head, which NViT's class always has (nvit/models.py:89-97)", ErrNoNViTForm)
	}
	for i, b := range s.Blocks {
		if b.Heads == 0 {
			return nil, fmt.Errorf("%w: block %d has no heads, and NViT's attention divides by them (nvit/models.py:77)", ErrNoNViTForm, i)
		}
	}
	ts, err := ToTimm(w)
	if err != nil {
		return nil, err
	}
	e, c, p := s.EMB, s.Channels, s.Patch
	out := map[string]Tensor{}
	for name, t := range ts {
		if m := blockTensor.FindStringSubmatch(name); m == nil || (m[2] != "attn.qkv.weight" && m[2] != "attn.qkv.bias" &&
			m[2] != "attn.proj.weight" && m[2] != "attn.proj.bias") {
			out[name] = t
		}
	}
	// timm [e, c, p, p] → NViT [e, (p1 p2 c), 1, 1].
	conv := ts["patch_embed.proj.weight"].Data
	kernel := make([]float32, len(conv))
	for o := range e {
		for ci := range c {
			for i := range p {
				for j := range p {
					kernel[o*c*p*p+(i*p+j)*c+ci] = conv[((o*c+ci)*p+i)*p+j]
				}
			}
		}
	}
	out["patch_embed.proj.weight"] = Tensor{Shape: []int{e, p * p * c, 1, 1}, Data: kernel}
	for i, b := range s.Blocks {
		putNViTAttention(out, ts, i, e, s.Tokens(), b)
		if b.MLP == 0 {
			out[nvitName(i, "norm2.weight")] = Tensor{Shape: []int{e}, Data: ones(e)}
			out[nvitName(i, "norm2.bias")] = Tensor{Shape: []int{e}, Data: make([]float32, e)}
			out[nvitName(i, "mlp.fc1.weight")] = Tensor{Shape: []int{0, e}, Data: []float32{}}
			out[nvitName(i, "mlp.fc1.bias")] = Tensor{Shape: []int{0}, Data: []float32{}}
			out[nvitName(i, "mlp.fc2.weight")] = Tensor{Shape: []int{e, 0}, Data: []float32{}}
			out[nvitName(i, "mlp.fc2.bias")] = Tensor{Shape: []int{e}, Data: make([]float32, e)}
		}
	}
	return out, nil
}

// putNViTAttention splits block i's timm qkv into NViT's Q, K and V, with
// the queries divided by nvitQueryFactor, and renames the projection.
func putNViTAttention(out, ts map[string]Tensor, i, e, tokens int, b arch.Block) {
	nq, nv := b.Heads*b.QK, b.Heads*b.V
	qkvW, qkvB := ts[timmName(i, "attn.qkv.weight")].Data, ts[timmName(i, "attn.qkv.bias")].Data
	f := 1 / nvitQueryFactor(b.QK)
	qW, qB := scaled(qkvW[:nq*e], f), scaled(qkvB[:nq], f)
	put := func(suffix string, data []float32, shape ...int) {
		out[nvitName(i, suffix)] = Tensor{Shape: shape, Data: data}
	}
	put("attn.qkv.Q.weight", qW, nq, e)
	put("attn.qkv.Q.bias", qB, nq)
	put("attn.qkv.K.weight", slices.Clone(qkvW[nq*e:2*nq*e]), nq, e)
	put("attn.qkv.K.bias", slices.Clone(qkvB[nq:2*nq]), nq)
	put("attn.qkv.V.weight", slices.Clone(qkvW[2*nq*e:]), nv, e)
	put("attn.qkv.V.bias", slices.Clone(qkvB[2*nq:]), nv)
	put("attn.qkv.token_mask", ones(tokens), tokens, 1)
	put("attn.proj.proj.weight", ts[timmName(i, "attn.proj.weight")].Data, e, nv)
	put("attn.proj.proj.bias", ts[timmName(i, "attn.proj.bias")].Data, e)
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// FromNViT reads tensors in the naming of NViT's pruned model class into
// spec's per-head layout, folding NViT's attention scale into the queries:
// they are multiplied by √QK·64^-0.5, so that nvitprof's QK^-0.5 scale
// computes NViT's 64^-0.5 (package documentation, "NViT's pruned model
// class"). As FromTimm, every tensor spec needs must
// be present with its shape and no other may be (ErrArchMismatch); a block
// without heads is ErrNoNViTForm, a token_mask other than ones or an
// MLP-free block with a non-zero fc2 bias an error saying so.
func FromNViT(ts map[string]Tensor, spec arch.Spec) (*Weights, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("pruner: %w", err)
	}
	for i, b := range spec.Blocks {
		if b.Heads == 0 {
			return nil, fmt.Errorf("%w: block %d has no heads, and NViT's attention divides by them (nvit/models.py:77)", ErrNoNViTForm, i)
		}
	}
	s := spec
	e, c, p := s.EMB, s.Channels, s.Patch
	r := newTensorReader(ts)
	timm := map[string]Tensor{}
	copyAs := func(name, why string, shape ...int) {
		timm[name] = Tensor{Shape: shape, Data: r.take(name, why, shape...)}
	}
	embWhy := fmt.Sprintf("EMB %d", e)
	kernel := r.take("patch_embed.proj.weight", fmt.Sprintf("EMB %d, patch %d, channels %d", e, p, c), e, p*p*c, 1, 1)
	conv := make([]float32, len(kernel))
	for o := range e {
		for ci := range c {
			for i := range p {
				for j := range p {
					conv[((o*c+ci)*p+i)*p+j] = kernel[o*c*p*p+(i*p+j)*c+ci]
				}
			}
		}
	}
	timm["patch_embed.proj.weight"] = Tensor{Shape: []int{e, c, p, p}, Data: conv}
	copyAs("patch_embed.proj.bias", embWhy, e)
	copyAs("cls_token", embWhy, 1, 1, e)
	if s.Distilled() {
		copyAs("dist_token", "a distilled model, "+embWhy, 1, 1, e)
	}
	copyAs("pos_embed", fmt.Sprintf("%d tokens, %s", s.Tokens(), embWhy), 1, s.Tokens(), e)
	for i, b := range s.Blocks {
		nvitBlockToTimm(r, timm, i, s, b)
	}
	copyAs("norm.weight", embWhy, e)
	copyAs("norm.bias", embWhy, e)
	clsWhy := fmt.Sprintf("%d classes, %s", s.Classes, embWhy)
	copyAs("head.weight", clsWhy, s.Classes, e)
	copyAs("head.bias", clsWhy, s.Classes)
	if s.Distilled() {
		copyAs("head_dist.weight", clsWhy, s.Classes, e)
		copyAs("head_dist.bias", clsWhy, s.Classes)
	}
	if err := r.finish(s); err != nil {
		return nil, err
	}
	return FromTimm(timm, s)
}

// nvitBlockToTimm takes block i's NViT tensors out of r into timm's naming.
func nvitBlockToTimm(r *tensorReader, timm map[string]Tensor, i int, s arch.Spec, b arch.Block) {
	e, h := s.EMB, b.Heads
	why := fmt.Sprintf("block %d: EMB %d, heads %d, QK %d, V %d, MLP %d", i, e, h, b.QK, b.V, b.MLP)
	take := func(suffix string, shape ...int) []float32 { return r.take(nvitName(i, suffix), why, shape...) }
	copyAs := func(suffix string, shape ...int) {
		timm[timmName(i, suffix)] = Tensor{Shape: shape, Data: take(suffix, shape...)}
	}
	copyAs("norm1.weight", e)
	copyAs("norm1.bias", e)
	nq, nv := h*b.QK, h*b.V
	f := nvitQueryFactor(b.QK)
	qW, qB := scaled(take("attn.qkv.Q.weight", nq, e), f), scaled(take("attn.qkv.Q.bias", nq), f)
	w := append(append(qW, take("attn.qkv.K.weight", nq, e)...), take("attn.qkv.V.weight", nv, e)...)
	bias := append(append(qB, take("attn.qkv.K.bias", nq)...), take("attn.qkv.V.bias", nv)...)
	timm[timmName(i, "attn.qkv.weight")] = Tensor{Shape: []int{2*nq + nv, e}, Data: w}
	timm[timmName(i, "attn.qkv.bias")] = Tensor{Shape: []int{2*nq + nv}, Data: bias}
	if mask := take("attn.qkv.token_mask", s.Tokens(), 1); slices.ContainsFunc(mask, func(v float32) bool { return v != 1 }) {
		r.fail(fmt.Errorf("pruner: block %d: attn.qkv.token_mask is not all ones: NViT's token pruning is not supported", i))
	}
	timm[timmName(i, "attn.proj.weight")] = Tensor{Shape: []int{e, nv}, Data: take("attn.proj.proj.weight", e, nv)}
	timm[timmName(i, "attn.proj.bias")] = Tensor{Shape: []int{e}, Data: take("attn.proj.proj.bias", e)}
	if b.MLP > 0 {
		for _, sfx := range []string{"norm2.weight", "norm2.bias", "mlp.fc2.bias"} {
			copyAs(sfx, e)
		}
		copyAs("mlp.fc1.weight", b.MLP, e)
		copyAs("mlp.fc1.bias", b.MLP)
		copyAs("mlp.fc2.weight", e, b.MLP)
		return
	}
	// An MLP-free block, as NViT's class holds one: empty linears (or none).
	for _, sfx := range []string{"norm2.weight", "norm2.bias"} {
		r.takeIfPresent(nvitName(i, sfx), why, e)
	}
	r.takeIfPresent(nvitName(i, "mlp.fc1.weight"), why, 0, e)
	r.takeIfPresent(nvitName(i, "mlp.fc1.bias"), why, 0)
	r.takeIfPresent(nvitName(i, "mlp.fc2.weight"), why, e, 0)
	if bias := r.takeIfPresent(nvitName(i, "mlp.fc2.bias"), why, e); slices.ContainsFunc(bias, func(v float32) bool { return v != 0 }) {
		r.fail(fmt.Errorf("pruner: block %d has no MLP but a non-zero mlp.fc2.bias, which NViT's class adds and nvitprof's MLP-free block does not", i))
	}
}

// SaveNViT writes w to path as a safetensors file in the naming of NViT's
// pruned model class (ToNViT), with the architecture in the metadata
// (MetadataArch). NViT's own checkpoints keep the architecture beside the
// weights, as checkpoint['dim'].
func SaveNViT(path string, w *Weights) error {
	ts, err := ToNViT(w)
	if err != nil {
		return err
	}
	return saveTensors(path, ts, w.Spec)
}
