// Package arch describes what a Vision Transformer is, independent of any
// runtime: its dimensions (the five NViT dimensions EMB, heads, QK per head,
// V per head and MLP width), presets for the DeiT family, exact parameter and
// multiply-accumulate counts, and NViT's architecture ("dim") JSON format.
//
// A Spec is plain data. Nothing here measures latency: code that needs it
// (the redistribution generator, for one) takes a function, so arch imports
// only the standard library.
//
// Counting conventions follow the DeiT and NViT papers: "FLOPs" are
// multiply-accumulates of the matrix products (patch embedding, Q/K/V and
// output projections, the two attention products, the MLP and the classifier
// heads); LayerNorm, softmax, GELU and additions are not counted.
package arch
