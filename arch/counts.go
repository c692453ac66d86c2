package arch

// Counts are exact sizes of a model part, for one image.
type Counts struct {
	Params int64 // weights and biases
	MACs   int64 // multiply-accumulates of the matrix products, per image
	// Activations counts the elements of the intermediate tensors the part
	// writes per image as an unfused graph would (LayerNorm output,
	// projections, attention logits and probabilities, GELU, residual sum).
	// It is a memory-traffic feature, not a peak-memory figure.
	Activations int64
}

// Add returns the sum of c and o.
func (c Counts) Add(o Counts) Counts {
	return Counts{c.Params + o.Params, c.MACs + o.MACs, c.Activations + o.Activations}
}

// WeightBytes is the size of the parameters stored with elemSize bytes each.
func (c Counts) WeightBytes(elemSize int) int64 { return c.Params * int64(elemSize) }

// ActivationBytes is the activation traffic of a batch with elemSize-byte elements.
func (c Counts) ActivationBytes(elemSize, batch int) int64 {
	return c.Activations * int64(elemSize) * int64(batch)
}

// AttentionCounts counts one attention sub-block (LayerNorm, Q/K/V
// projections, softmax attention, output projection, residual) of width emb
// over tokens tokens. A block without heads counts nothing: it is the identity.
func AttentionCounts(emb, tokens int, b Block) Counts {
	if b.Heads == 0 {
		return Counts{}
	}
	e, t, h, qk, v := int64(emb), int64(tokens), int64(b.Heads), int64(b.QK), int64(b.V)
	qkv := h * (2*qk + v)
	return Counts{
		Params: 2*e + // norm1
			e*qkv + qkv + // qkv projection
			h*v*e + e, // output projection
		MACs: t*e*qkv + // qkv projection
			h*t*t*qk + // Q·Kᵀ
			h*t*t*v + // attention · V
			t*h*v*e, // output projection
		Activations: t*e + t*qkv + 2*h*t*t + t*h*v + 2*t*e,
	}
}

// MLPCounts counts one MLP sub-block (LayerNorm, fc1, GELU, fc2, residual) of
// width emb and hidden width mlp. mlp == 0 is the identity and counts nothing.
func MLPCounts(emb, tokens, mlp int) Counts {
	if mlp == 0 {
		return Counts{}
	}
	e, t, m := int64(emb), int64(tokens), int64(mlp)
	return Counts{
		Params:      2*e + e*m + m + m*e + e,
		MACs:        2 * t * e * m,
		Activations: t*e + 2*t*m + 2*t*e,
	}
}

// BlockCounts counts block i of s (attention plus MLP).
func (s Spec) BlockCounts(i int) Counts {
	b := s.Blocks[i]
	return AttentionCounts(s.EMB, s.Tokens(), b).Add(MLPCounts(s.EMB, s.Tokens(), b.MLP))
}

// RestCounts counts everything outside the blocks: the patch embedding, the
// cls (and distillation) tokens, the position embedding, the final LayerNorm
// and the classifier head (two heads for distilled models).
func (s Spec) RestCounts() Counts {
	e, p, t := int64(s.EMB), int64(s.Patches()), int64(s.Tokens())
	patchIn := int64(s.Channels) * int64(s.Patch) * int64(s.Patch)
	heads := int64(s.ExtraTokens) // one classifier per extra token (cls, dist)
	cls := int64(s.Classes)
	return Counts{
		Params: patchIn*e + e + // patch embedding (a P×P convolution with stride P)
			int64(s.ExtraTokens)*e + // cls / dist tokens
			t*e + // position embedding
			2*e + // final norm
			heads*(e*cls+cls), // classifier head(s)
		MACs:        p*patchIn*e + heads*e*cls,
		Activations: p*e + 2*t*e + t*e + heads*cls,
	}
}

// Counts is the whole model: every block plus the rest.
func (s Spec) Counts() Counts {
	c := s.RestCounts()
	for i := range s.Blocks {
		c = c.Add(s.BlockCounts(i))
	}
	return c
}

// Params is the exact number of parameters of the model.
func (s Spec) Params() int64 { return s.Counts().Params }

// MACs is the number of multiply-accumulates per image.
func (s Spec) MACs() int64 { return s.Counts().MACs }
