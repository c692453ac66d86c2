// Package blocks builds the GoMLX computation graphs of Vision Transformer
// parts described by package arch: the attention and MLP sub-blocks, whole
// transformer blocks and whole models (DeiT/timm semantics, NViT's per-block
// dimensions).
//
// The same graphs serve timing (the profiler), training and pruning, so every
// weight is a context variable with a stable name and a per-head layout that a
// pruner can slice (see Layout and the name constants). Variables are created
// in the dtype of the input (float32, float64, bfloat16 or float16).
//
// Semantics follow timm's VisionTransformer / DeiT:
//
//   - LayerNorm with epsilon 1e-6 and a learned scale and offset, computed as
//     (x-mean)/Sqrt(var+eps) (Rsqrt has no gradient in GoMLX v0.26.0).
//   - Attention: softmax(Q·Kᵀ/√QK)·V over b.Heads heads, each with QK query/key
//     and V value channels, then an output projection back to EMB.
//   - MLP: fc1, exact (erf) GELU, fc2.
//   - Pre-norm residual sub-blocks: x + Attn(Norm1(x)), then x + MLP(Norm2(x)).
//     A block with Heads == 0 (or MLP == 0) keeps only the residual: that
//     sub-block is the identity.
//   - Model: a P×P stride-P patch embedding on NCHW images, cls (and, for
//     distilled models, dist) tokens, a learned position embedding, the blocks,
//     a final LayerNorm and a linear head on the cls token; distilled models
//     return DeiT's inference output (head(cls) + head_dist(dist)) / 2.
//
// Precision: for bfloat16 and float16 inputs, LayerNorm statistics, the
// softmax and the GELU are computed in float32 and converted back (as PyTorch
// does for half-precision LayerNorm, softmax and GELU); XLA fuses the
// conversions into the surrounding elementwise kernels. Matrix products take
// and return the input dtype.
//
// Every contraction (projections, both attention products, patch embedding,
// heads) goes through one unexported function in dot.go, so a matrix product
// with a cheaper gradient can be swapped in at one place.
//
// Builders panic (with an error value, which GoMLX's Exec turns into a returned
// error) on shape mismatches and invalid dimensions: these are programming
// errors, to be caught by validating an arch.Spec before building.
package blocks
