package pruner

import (
	"fmt"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// MetadataArch is the safetensors metadata key under which SaveTimm records
// the architecture (an arch.File JSON object), so a file describes itself.
const MetadataArch = "nvitprof.arch"

// Timm's DeiT naming, as nvitprof reads and writes it. Linear weights are
// [out, in] as in PyTorch:
//
//	patch_embed.proj.weight  [EMB, C, P, P]   (a convolution)  ↔ patch_embed/weights [C·P·P, EMB]
//	patch_embed.proj.bias    [EMB]
//	cls_token, dist_token    [1, 1, EMB]                        ↔ [EMB]
//	pos_embed                [1, tokens, EMB]                   ↔ [tokens, EMB]
//	blocks.{i}.norm1.weight / .bias [EMB]                       ↔ norm1/scale, offset
//	blocks.{i}.attn.qkv.weight [H·QK + H·QK + H·V, EMB]         ↔ attn/{q,k,v}/weights [EMB, H, ·]
//	blocks.{i}.attn.qkv.bias   [H·QK + H·QK + H·V]              ↔ attn/{q,k,v}/biases [H, ·]
//	blocks.{i}.attn.proj.weight [EMB, H·V]                      ↔ attn/proj/weights [H, V, EMB]
//	blocks.{i}.attn.proj.bias  [EMB]
//	blocks.{i}.norm2.weight / .bias [EMB]
//	blocks.{i}.mlp.fc1.weight [MLP, EMB], .bias [MLP]           ↔ mlp/fc1/weights [EMB, MLP]
//	blocks.{i}.mlp.fc2.weight [EMB, MLP], .bias [EMB]           ↔ mlp/fc2/weights [MLP, EMB]
//	norm.weight / .bias       [EMB]
//	head.weight [classes, EMB], head.bias [classes]; head_dist.* for distilled models
//
// The rows of qkv are q, then k, then v, each head-major (row h·QK + d of
// the q part is dimension d of head h). With QK = V this is exactly timm's
// layout (its reshape to [3, heads, head_dim]); pruned models with QK ≠ V
// keep the same order with their own widths. A block without heads has no
// norm1/attn tensors, one without an MLP no norm2/mlp tensors.
func timmName(i int, suffix string) string { return fmt.Sprintf("blocks.%d.%s", i, suffix) }

// ToTimm converts w to timm's DeiT naming and layout.
func ToTimm(w *Weights) (map[string]Tensor, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	s := w.Spec
	e, c, p := s.EMB, s.Channels, s.Patch
	out := map[string]Tensor{}
	put := func(name string, data []float32, shape ...int) { out[name] = Tensor{Shape: shape, Data: data} }
	get := func(path string) []float32 { return w.Values[path] }

	// Patch embedding: ours [c·p·p, e] → timm [e, c, p, p] is a transpose.
	put("patch_embed.proj.weight", transpose2(get("patch_embed/weights"), c*p*p, e), e, c, p, p)
	put("patch_embed.proj.bias", slices.Clone(get("patch_embed/biases")), e)
	put("cls_token", slices.Clone(get(blocks.VarClsToken)), 1, 1, e)
	if s.Distilled() {
		put("dist_token", slices.Clone(get(blocks.VarDistToken)), 1, 1, e)
	}
	put("pos_embed", slices.Clone(get(blocks.VarPosEmbed)), 1, s.Tokens(), e)
	for i, b := range s.Blocks {
		pre := blocks.BlockScope(i) + "/"
		if b.Heads > 0 {
			h := b.Heads
			put(timmName(i, "norm1.weight"), slices.Clone(get(pre+"norm1/scale")), e)
			put(timmName(i, "norm1.bias"), slices.Clone(get(pre+"norm1/offset")), e)
			rows := h * (2*b.QK + b.V)
			// Ours [e, h·w] per projection; timm rows are the h·w outputs.
			qkvW := append(append(transpose2(get(pre+"attn/q/weights"), e, h*b.QK),
				transpose2(get(pre+"attn/k/weights"), e, h*b.QK)...),
				transpose2(get(pre+"attn/v/weights"), e, h*b.V)...)
			put(timmName(i, "attn.qkv.weight"), qkvW, rows, e)
			qkvB := append(append(slices.Clone(get(pre+"attn/q/biases")), get(pre+"attn/k/biases")...), get(pre+"attn/v/biases")...)
			put(timmName(i, "attn.qkv.bias"), qkvB, rows)
			// Ours [h, v, e] = [h·v, e]; timm [e, h·v].
			put(timmName(i, "attn.proj.weight"), transpose2(get(pre+"attn/proj/weights"), h*b.V, e), e, h*b.V)
			put(timmName(i, "attn.proj.bias"), slices.Clone(get(pre+"attn/proj/biases")), e)
		}
		if b.MLP > 0 {
			m := b.MLP
			put(timmName(i, "norm2.weight"), slices.Clone(get(pre+"norm2/scale")), e)
			put(timmName(i, "norm2.bias"), slices.Clone(get(pre+"norm2/offset")), e)
			put(timmName(i, "mlp.fc1.weight"), transpose2(get(pre+"mlp/fc1/weights"), e, m), m, e)
			put(timmName(i, "mlp.fc1.bias"), slices.Clone(get(pre+"mlp/fc1/biases")), m)
			put(timmName(i, "mlp.fc2.weight"), transpose2(get(pre+"mlp/fc2/weights"), m, e), e, m)
			put(timmName(i, "mlp.fc2.bias"), slices.Clone(get(pre+"mlp/fc2/biases")), e)
		}
	}
	put("norm.weight", slices.Clone(get("norm/scale")), e)
	put("norm.bias", slices.Clone(get("norm/offset")), e)
	put("head.weight", transpose2(get("head/weights"), e, s.Classes), s.Classes, e)
	put("head.bias", slices.Clone(get("head/biases")), s.Classes)
	if s.Distilled() {
		put("head_dist.weight", transpose2(get("head_dist/weights"), e, s.Classes), s.Classes, e)
		put("head_dist.bias", slices.Clone(get("head_dist/biases")), s.Classes)
	}
	return out, nil
}

// FromTimm reads timm-named tensors into the per-head layout of spec. Every
// tensor spec needs must be present with exactly its shape, and no other
// tensor may be present: a mismatch is an error naming the tensor, its shape,
// the shape the architecture wants and why.
func FromTimm(ts map[string]Tensor, spec arch.Spec) (*Weights, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("pruner: %w", err)
	}
	s := spec
	e, c, p := s.EMB, s.Channels, s.Patch
	w := &Weights{Spec: s.Clone(), Values: map[string][]float32{}}
	r := newTensorReader(ts)
	take := r.take
	set := func(path string, v []float32) { w.Values[path] = slices.Clone(v) }
	embWhy := fmt.Sprintf("EMB %d", e)
	set("patch_embed/weights", transpose2(take("patch_embed.proj.weight", fmt.Sprintf("EMB %d, channels %d, patch %d", e, c, p), e, c, p, p), e, c*p*p))
	set("patch_embed/biases", take("patch_embed.proj.bias", embWhy, e))
	set(blocks.VarClsToken, take("cls_token", embWhy, 1, 1, e))
	if s.Distilled() {
		set(blocks.VarDistToken, take("dist_token", "a distilled model, "+embWhy, 1, 1, e))
	}
	set(blocks.VarPosEmbed, take("pos_embed", fmt.Sprintf("%d tokens, %s", s.Tokens(), embWhy), 1, s.Tokens(), e))
	for i, b := range s.Blocks {
		pre := blocks.BlockScope(i) + "/"
		why := fmt.Sprintf("block %d: EMB %d, heads %d, QK %d, V %d, MLP %d", i, e, b.Heads, b.QK, b.V, b.MLP)
		if b.Heads > 0 {
			h := b.Heads
			set(pre+"norm1/scale", take(timmName(i, "norm1.weight"), why, e))
			set(pre+"norm1/offset", take(timmName(i, "norm1.bias"), why, e))
			rows := h * (2*b.QK + b.V)
			qkvW := take(timmName(i, "attn.qkv.weight"), why, rows, e)
			nq, nv := h*b.QK*e, h*b.V*e
			set(pre+"attn/q/weights", transpose2(qkvW[:nq], h*b.QK, e))
			set(pre+"attn/k/weights", transpose2(qkvW[nq:2*nq], h*b.QK, e))
			set(pre+"attn/v/weights", transpose2(qkvW[2*nq:2*nq+nv], h*b.V, e))
			qkvB := take(timmName(i, "attn.qkv.bias"), why, rows)
			set(pre+"attn/q/biases", qkvB[:h*b.QK])
			set(pre+"attn/k/biases", qkvB[h*b.QK:2*h*b.QK])
			set(pre+"attn/v/biases", qkvB[2*h*b.QK:])
			set(pre+"attn/proj/weights", transpose2(take(timmName(i, "attn.proj.weight"), why, e, h*b.V), e, h*b.V))
			set(pre+"attn/proj/biases", take(timmName(i, "attn.proj.bias"), why, e))
		}
		if b.MLP > 0 {
			m := b.MLP
			set(pre+"norm2/scale", take(timmName(i, "norm2.weight"), why, e))
			set(pre+"norm2/offset", take(timmName(i, "norm2.bias"), why, e))
			set(pre+"mlp/fc1/weights", transpose2(take(timmName(i, "mlp.fc1.weight"), why, m, e), m, e))
			set(pre+"mlp/fc1/biases", take(timmName(i, "mlp.fc1.bias"), why, m))
			set(pre+"mlp/fc2/weights", transpose2(take(timmName(i, "mlp.fc2.weight"), why, e, m), e, m))
			set(pre+"mlp/fc2/biases", take(timmName(i, "mlp.fc2.bias"), why, e))
		}
	}
	set("norm/scale", take("norm.weight", embWhy, e))
	set("norm/offset", take("norm.bias", embWhy, e))
	clsWhy := fmt.Sprintf("%d classes, %s", s.Classes, embWhy)
	set("head/weights", transpose2(take("head.weight", clsWhy, s.Classes, e), s.Classes, e))
	set("head/biases", take("head.bias", clsWhy, s.Classes))
	if s.Distilled() {
		set("head_dist/weights", transpose2(take("head_dist.weight", clsWhy, s.Classes, e), s.Classes, e))
		set("head_dist/biases", take("head_dist.bias", clsWhy, s.Classes))
	}
	if err := r.finish(s); err != nil {
		return nil, err
	}
	return w, nil
}

// SaveTimm writes w to path as a safetensors file in timm's naming, with the
// architecture in the metadata (MetadataArch).
func SaveTimm(path string, w *Weights) error {
	ts, err := ToTimm(w)
	if err != nil {
		return err
	}
	return saveTensors(path, ts, w.Spec)
}

// saveTensors writes ts to path with s recorded in the metadata.
func saveTensors(path string, ts map[string]Tensor, s arch.Spec) error {
	a, err := arch.MarshalFile(s)
	if err != nil {
		return err
	}
	return SaveSafetensors(path, &TensorFile{Tensors: ts, Metadata: map[string]string{"format": "pt", MetadataArch: string(a)}})
}

// LoadTimm reads a timm-named safetensors file for spec. A nil spec takes
// the architecture recorded in the file's metadata (files nvitprof wrote).
// A file that records an architecture other than spec is refused: the
// tensor shapes cannot tell 6 heads of 64 from 12 heads of 32, so such a
// file would load with its heads split wrongly.
func LoadTimm(path string, spec *arch.Spec) (*Weights, error) {
	f, err := ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	a, recorded := f.Metadata[MetadataArch]
	var s arch.Spec
	if recorded {
		if s, err = arch.ParseFile([]byte(a)); err != nil {
			return nil, fmt.Errorf("%s: recorded architecture: %w", path, err)
		}
	}
	switch {
	case spec == nil && !recorded:
		return nil, fmt.Errorf("%s: %w", path, ErrNoArch)
	case spec != nil && recorded && !sameArch(s, *spec):
		return nil, fmt.Errorf("%s: %w: the file records the architecture %s, not the given %s",
			path, ErrArchMismatch, archLabel(s), archLabel(*spec))
	case spec != nil:
		s = *spec
	}
	w, err := FromTimm(f.Tensors, s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// sameArch reports whether a and b describe the same network, whatever
// their names: the same geometry and the same dimensions in every block (QK
// and V of a block without heads do not count).
func sameArch(a, b arch.Spec) bool {
	if a.Image != b.Image || a.Patch != b.Patch || a.Channels != b.Channels || a.Classes != b.Classes ||
		a.ExtraTokens != b.ExtraTokens || a.EMB != b.EMB || len(a.Blocks) != len(b.Blocks) {
		return false
	}
	for i, x := range a.Blocks {
		y := b.Blocks[i]
		if x.Heads == 0 {
			x.QK, x.V = 0, 0
		}
		if y.Heads == 0 {
			y.QK, y.V = 0, 0
		}
		if x != y {
			return false
		}
	}
	return true
}

// archLabel is specLabel with the input geometry, for messages comparing two
// architectures.
func archLabel(s arch.Spec) string {
	return fmt.Sprintf("(%s; image %d, patch %d, %d channels, %d classes, %d extra tokens)",
		specLabel(s), s.Image, s.Patch, s.Channels, s.Classes, s.ExtraTokens)
}

// transpose2 returns the transpose of the row-major [rows, cols] matrix x.
func transpose2(x []float32, rows, cols int) []float32 {
	out := make([]float32, len(x))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = x[r*cols+c]
		}
	}
	return out
}

func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}
