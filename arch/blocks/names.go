package blocks

import (
	"fmt"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// Scope names. A block's variables live under BlockScope(i); inside it the
// attention sub-block uses ScopeNorm1 and ScopeAttn (with ScopeQ, ScopeK,
// ScopeV, ScopeProj), the MLP sub-block ScopeNorm2 and ScopeMLP (with ScopeFC1,
// ScopeFC2). Model adds ScopePatchEmbed, ScopeNorm, ScopeHead and
// ScopeHeadDist, and the token variables VarClsToken, VarDistToken and
// VarPosEmbed at its own scope.
const (
	ScopeNorm1      = "norm1"       // LayerNorm before attention (timm blocks.{i}.norm1)
	ScopeAttn       = "attn"        // attention projections (timm blocks.{i}.attn)
	ScopeQ          = "q"           // query projection, a third of timm's attn.qkv
	ScopeK          = "k"           // key projection, a third of timm's attn.qkv
	ScopeV          = "v"           // value projection, a third of timm's attn.qkv
	ScopeProj       = "proj"        // attention output projection (timm attn.proj)
	ScopeNorm2      = "norm2"       // LayerNorm before the MLP (timm blocks.{i}.norm2)
	ScopeMLP        = "mlp"         // MLP (timm blocks.{i}.mlp)
	ScopeFC1        = "fc1"         // first MLP layer, EMB → MLP (timm mlp.fc1)
	ScopeFC2        = "fc2"         // second MLP layer, MLP → EMB (timm mlp.fc2)
	ScopePatchEmbed = "patch_embed" // patch embedding (timm patch_embed.proj)
	ScopeNorm       = "norm"        // final LayerNorm (timm norm)
	ScopeHead       = "head"        // classifier on the cls token (timm head)
	ScopeHeadDist   = "head_dist"   // classifier on the dist token (timm head_dist)
)

// Variable names, within the scopes above.
const (
	VarWeights   = "weights"    // linear weights
	VarBiases    = "biases"     // linear biases
	VarScale     = "scale"      // LayerNorm scale (timm weight), initialised to ones
	VarOffset    = "offset"     // LayerNorm offset (timm bias), initialised to zeros
	VarClsToken  = "cls_token"  // Shape: [emb] (timm [1, 1, emb])
	VarDistToken = "dist_token" // Shape: [emb] (timm [1, 1, emb]); distilled models only
	VarPosEmbed  = "pos_embed"  // Shape: [tokens, emb] (timm [1, tokens, emb])
)

// BlockScope is the scope of block i of a model: "block_00", "block_01", ….
func BlockScope(i int) string { return fmt.Sprintf("block_%02d", i) }

// Var describes one context variable a builder creates: where it lives
// (relative to the context passed to the builder), its name and its
// dimensions (its dtype is the input's).
type Var struct {
	Scope []string // scope path below the builder's context, e.g. ["block_03", "attn", "q"]
	Name  string   // variable name, e.g. "weights"
	Dims  []int    // Shape
}

// Path is the slash-joined scope and name, e.g. "block_03/attn/q/weights".
// With a context at the root scope, the GoMLX scope of the variable is "/"
// followed by the scope part of Path.
func (v Var) Path() string {
	return strings.Join(append(append([]string(nil), v.Scope...), v.Name), "/")
}

// Size is the number of elements of the variable.
func (v Var) Size() int64 {
	n := int64(1)
	for _, d := range v.Dims {
		n *= int64(d)
	}
	return n
}

// AttentionLayout lists the variables Attention creates for width emb and
// block b, with their layouts, scopes relative to Attention's context:
//
//	norm1/scale, norm1/offset   [emb]
//	attn/q/weights              [emb, heads, qk]
//	attn/q/biases               [heads, qk]
//	attn/k/weights              [emb, heads, qk]
//	attn/k/biases               [heads, qk]
//	attn/v/weights              [emb, heads, v]
//	attn/v/biases               [heads, v]
//	attn/proj/weights           [heads, v, emb]
//	attn/proj/biases            [emb]
//
// It is empty when b.Heads == 0.
func AttentionLayout(emb int, b arch.Block) []Var {
	if b.Heads == 0 {
		return nil
	}
	h := b.Heads
	return []Var{
		{[]string{ScopeNorm1}, VarScale, []int{emb}},
		{[]string{ScopeNorm1}, VarOffset, []int{emb}},
		{[]string{ScopeAttn, ScopeQ}, VarWeights, []int{emb, h, b.QK}},
		{[]string{ScopeAttn, ScopeQ}, VarBiases, []int{h, b.QK}},
		{[]string{ScopeAttn, ScopeK}, VarWeights, []int{emb, h, b.QK}},
		{[]string{ScopeAttn, ScopeK}, VarBiases, []int{h, b.QK}},
		{[]string{ScopeAttn, ScopeV}, VarWeights, []int{emb, h, b.V}},
		{[]string{ScopeAttn, ScopeV}, VarBiases, []int{h, b.V}},
		{[]string{ScopeAttn, ScopeProj}, VarWeights, []int{h, b.V, emb}},
		{[]string{ScopeAttn, ScopeProj}, VarBiases, []int{emb}},
	}
}

// MLPLayout lists the variables MLP creates for width emb and hidden width
// hidden, scopes relative to MLP's context:
//
//	norm2/scale, norm2/offset   [emb]
//	mlp/fc1/weights             [emb, hidden]
//	mlp/fc1/biases              [hidden]
//	mlp/fc2/weights             [hidden, emb]
//	mlp/fc2/biases              [emb]
//
// It is empty when hidden == 0.
func MLPLayout(emb, hidden int) []Var {
	if hidden == 0 {
		return nil
	}
	return []Var{
		{[]string{ScopeNorm2}, VarScale, []int{emb}},
		{[]string{ScopeNorm2}, VarOffset, []int{emb}},
		{[]string{ScopeMLP, ScopeFC1}, VarWeights, []int{emb, hidden}},
		{[]string{ScopeMLP, ScopeFC1}, VarBiases, []int{hidden}},
		{[]string{ScopeMLP, ScopeFC2}, VarWeights, []int{hidden, emb}},
		{[]string{ScopeMLP, ScopeFC2}, VarBiases, []int{emb}},
	}
}

// BlockLayout lists the variables Block creates: AttentionLayout then
// MLPLayout, scopes relative to Block's context.
func BlockLayout(emb int, b arch.Block) []Var {
	return append(AttentionLayout(emb, b), MLPLayout(emb, b.MLP)...)
}

// Layout lists every variable Model creates for s, in creation order, scopes
// relative to Model's context:
//
//	patch_embed/weights   [channels·patch·patch, emb] (rows ordered channel, row, column,
//	                      i.e. timm's conv weight [emb, c, p, p] reshaped and transposed)
//	patch_embed/biases    [emb]
//	cls_token             [emb]
//	dist_token            [emb]           (distilled models only)
//	pos_embed             [tokens, emb]   (tokens = patches + extra tokens; cls, [dist,] patches)
//	block_XX/...          BlockLayout of each block, under BlockScope(i)
//	norm/scale, norm/offset [emb]
//	head/weights          [emb, classes]
//	head/biases           [classes]
//	head_dist/weights, head_dist/biases   (distilled models only)
//
// The sum of the sizes equals s.Params().
func Layout(s arch.Spec) []Var {
	e := s.EMB
	in := s.Channels * s.Patch * s.Patch
	vars := []Var{
		{[]string{ScopePatchEmbed}, VarWeights, []int{in, e}},
		{[]string{ScopePatchEmbed}, VarBiases, []int{e}},
		{nil, VarClsToken, []int{e}},
	}
	if s.Distilled() {
		vars = append(vars, Var{nil, VarDistToken, []int{e}})
	}
	vars = append(vars, Var{nil, VarPosEmbed, []int{s.Tokens(), e}})
	for i, b := range s.Blocks {
		for _, v := range BlockLayout(e, b) {
			v.Scope = append([]string{BlockScope(i)}, v.Scope...)
			vars = append(vars, v)
		}
	}
	vars = append(vars,
		Var{[]string{ScopeNorm}, VarScale, []int{e}},
		Var{[]string{ScopeNorm}, VarOffset, []int{e}},
		Var{[]string{ScopeHead}, VarWeights, []int{e, s.Classes}},
		Var{[]string{ScopeHead}, VarBiases, []int{s.Classes}},
	)
	if s.Distilled() {
		vars = append(vars,
			Var{[]string{ScopeHeadDist}, VarWeights, []int{e, s.Classes}},
			Var{[]string{ScopeHeadDist}, VarBiases, []int{s.Classes}},
		)
	}
	return vars
}
