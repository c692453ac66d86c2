// Package pytorch runs nvitprof's PyTorch runner, a Python script that
// measures ViT sub-blocks in PyTorch and speaks nvitprof's external-runner
// protocol (see profiler.StartRunner), so that a latency table can describe
// the runtime a model is deployed with (eager PyTorch, its fused
// scaled_dot_product_attention, torch.compile) on a CPU or a CUDA GPU.
//
// The script, nvitprof_runner.py, is embedded: an installed nvitprof needs
// no checkout. It computes arch/blocks' math (a test holds it to a fixture
// GoMLX computed) and measures as profiler's harness does: differential
// stacking with distinct weights per copy, warm-up, the header's estimator
// and noise threshold, and each depth's floor for a sweep in passes.
//
// A spec names the runner and its options:
//
//	pytorch
//	pytorch:device=cpu,threads=1
//	pytorch:device=cuda:0,attention=sdpa,compile
//	pytorch:python=/usr/bin/python3
//
// ParseSpec reads it; NewCommand finds an interpreter that imports torch
// (Finder: $NVITPROF_PYTHON, python3, /usr/bin/python3, python), writes the
// script into the user's cache directory and returns the argv to start, with
// the device kind the runner will measure on:
//
//	opts, err := pytorch.ParseSpec("pytorch:device=cpu")
//	cmd, err := pytorch.NewCommand(ctx, opts)
//	m, err := profiler.StartRunner(ctx, cmd.Argv, nil, header, nil)
//
// README.md beside the script describes what it measures, the PyTorch
// versions it supports (1.13 and 2.x) and how to run its tests.
package pytorch
