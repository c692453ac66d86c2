// Package prunemnist is nvitprof's pruning demonstration as a library: it
// trains a small ViT on MNIST, sweeps the latency of its building blocks on
// the CPU (GoMLX's pure-Go backend), fits the hw cost model, prunes the model
// to a target fraction of its predicted latency three ways, evaluates and
// measures the results side by side, and analyses what pruning kept (the
// dimension trends, a redistribution rule fitted to them, and a family of
// architectures generated from that rule).
//
// Run does it all into one directory; each stage is kept on disk, so a second
// Run with the same directory continues where the first stopped:
//
//	dense/      the trained dense model (pruner.ModelWeights, pruner.ModelArch)
//	cpu.jsonl   the latency table (and its pass files), swept over Grid
//	aware/      pruned with NViT's latency-aware score (Options.Eta)
//	knapsack/   pruned with HALP's latency knapsack
//	blind/      pruned blind to latency (η = 0; latency decides only when to stop)
//	trends/     the pruned models' dimension trends, the fitted rule (rule.json)
//	pareto.png  dense, pruned and rule-generated models: latency against parameters
//	summary.json, summary.md  the numbers
//
// `nvitprof demo prune-mnist` is its command line.
package prunemnist
