// Package testtables holds latency tables for tests in any package of the
// repository, embedded so that the tests stand alone in a clone: a
// synthetic table in NVlabs/NViT's latency_head.json format and grid, and
// small tables recorded with nvitprof sweep on the CPU. Path copies a
// fixture into t.TempDir() and returns its absolute path; Bytes and
// NViTSyntheticLUT return its bytes.
//
// This package imports only the standard library, so that tests of
// costmodel and the other packages can import it without a cycle.
//
// # Why NViT's own table is not here
//
// NViT's released V100 table (nvit/latency_head.json in
// github.com/NVlabs/NViT, read at commit 48feca4, December 2023) is under
// the NVIDIA Source Code License-NC, which covers every file of the
// repository ("may include software, documentation, or other files"). It
// allows redistribution only on its own terms — "You may reproduce or
// distribute the Work only if (a) you do so under this license, (b) you
// include a complete copy of this license with your distribution" (3.1) —
// and those terms restrict every use: "The Work and any derivative works
// thereof only may be used or intended for use non-commercially. ... As
// used herein, “non-commercially” means for research or evaluation purposes
// only." (3.3). An excerpt of the table is a reproduction of part of the
// Work, so shipping one would put that part, and arguably the tests built
// on it, under a non-commercial licence inside a repository that is not
// NVIDIA's and whose use may be commercial. Whether a table of measured
// numbers is protected by copyright at all is a legal question we do not
// settle here; in doubt, this package ships none of the file: no values, no
// excerpt, no copy. Tests that need the real table keep looking for it
// outside the repository and skip without it.
//
// What this package does take from NViT is the format: the nested key
// layout EMB_e → QK_{H}_{qk} → V_v → MLP_m with MLP_1 for a block without
// MLP, the grid's axes, and the text style of Python's json.dump. The
// licence excludes from derivative works "works that remain separable
// from, or merely link (or bind by name) to the interfaces of, the Work";
// reading and writing a file format is such binding.
//
// # The synthetic NViT table
//
// testdata/nvit_synthetic_latency_head.json (constant NViTSynthetic) is in
// NViT's exact schema and on NViT's exact axes: EMB {256, 512, 768}, heads
// {1, 3, 6, 9, 12}, QK and V per head {1, 16, 32, 48, 64}, MLP {1 (no
// MLP), 128, 256, ..., 3072}: 9,375 entries in seconds per block. As in
// NViT's file, keys are in ascending order (EMB, then QK_{H}_{qk} by heads
// then QK, then V, then MLP), separators are ", " and ": ", floats are
// Python reprs (shortest round-trip), there is no trailing newline, and
// every value is a multiple of 2⁻²³ s, so it survives the conversion to
// milliseconds and back exactly. 313,714 bytes.
//
// The values come from SyntheticSeconds, an analytic model written for
// this package: block = attention(EMB, heads, QK, V) + MLP(EMB, width)
// with a fixed overhead, whose constants were sized by hand so that the
// magnitudes resemble a V100 at batch 256 and 198 tokens (6.8 ms for the
// smallest block at EMB 256, 80 ms for the largest at EMB 768). It has:
//
//   - staircases: QK and V widths pay 20% of their padding to a multiple
//     of 32, MLP widths 25% of theirs to a multiple of 256 (MLP 128, 384,
//     ... are 0.5-3% slower than the line through their neighbours);
//   - a kernel dip: with 1 or 3 heads, QK 48 costs QK 64's attention plus
//     1.5%, so the table gets faster from QK 48 to QK 64 there;
//   - pseudo-noise: each entry is scaled by 1 + 0.5%·u, u uniform in
//     [-1, 1) from a hash (FNV-1a, SplitMix64 finaliser) of a seed and the
//     entry's keys; deterministic, no random source.
//
// Its properties, checked by this package's tests (NViT's V100 file in
// parentheses, for comparison):
//
//   - additive: per EMB, the two-way additive fit over attention
//     configurations × MLP widths (row mean + column mean − grand mean)
//     is off by median 0.24%, max 0.79% (0.21%, 4.5%); tests require at
//     most 0.3% and 1%;
//   - non-monotone along QK: 779 of the 7,500 steps between neighbouring
//     QK values get faster (274), by at most 2.38% (2.45%), among them
//     every QK 48 → 64 step without MLP with 1 or 3 heads; along V 174
//     steps get faster (363), by at most 0.62% (2.0%); heads and MLP
//     widths never do (NViT's file: heads never, MLP 42 times).
//
// It was generated with go generate in this directory (go run gen.go),
// which writes NViTSyntheticEntries with tablefmt.LUT.WriteTo;
// TestSyntheticFileIsGenerated fails when the file and the model disagree.
//
// # Recorded CPU tables
//
// testdata/quick-cpu.jsonl (QuickCPU) was recorded on the project's shared
// 2-core VM (GoMLX pure-Go backend, one thread) on 2026-12-03 with
//
//	nvitprof sweep --device cpu --preset quick --out quick-cpu.jsonl
//
// 89 configurations (attention, MLP, rest, validation blocks and models),
// three passes combined; quick-cpu.pass1.jsonl and quick-cpu.pass2.jsonl
// are the earlier passes the sweep keeps beside it. The machine was busy:
// the sweep warned that the passes were 67.5% apart (median), so the
// latencies are real but noisy — the table is a fixture for formats and
// pipelines, not a reference for CPU speed.
//
// testdata/deit-cpu.jsonl (DeiTCPU), with its passes, was recorded the same
// day on the same machine with
//
//	nvitprof sweep --device cpu --preset deit --emb 192,384 --heads 3,6 \
//	    --qk 32,64 --v 64 --mlp 768,1536 --validation 2 --models deit-t \
//	    --out deit-cpu.jsonl
//
// a few points at DeiT geometry (224-pixel images, 197 tokens, batch 1): 17
// configurations (8 attention, 4 MLP, 2 rest, 2 validation blocks, DeiT-T).
// The sweep warned that its passes were 26.8% apart (median): noisy too.
package testtables
