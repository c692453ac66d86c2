#!/usr/bin/env bash
# Compile-time probes for a short GPU call (3 to 5 minutes): where a GPU
# sweep's time goes and which XLA settings cut compilation without slowing
# the graphs. Same configurations as bench/jax_ref.py (bf16, batch 64, 197
# tokens, EMB 768), so latencies compare with JAX's from bench/gpu.sh.
# Build here first: go build -o dist/nvitprof ./cmd/nvitprof
set -u
OUT=${OUT:-gpu-out}
BIN=${BIN:-dist/nvitprof}
BUDGET=${BUDGET:-190}
T="$OUT/tables"
mkdir -p "$T"
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
log() { echo "== $(date +%T) [$SECONDS s] $*" | tee -a "$OUT/log.txt"; }
step() { # step NAME SECONDS CMD...: run with a time limit unless the budget is spent
  local name=$1 limit=$2; shift 2
  ((SECONDS + limit > BUDGET)) && limit=$((BUDGET - SECONDS))
  ((limit < 10)) && { log "$name: skipped (budget)"; return; }
  log "$name (limit $limit s): $*"
  local t0=$SECONDS
  timeout -s INT -k 5 "$limit" "$@" >>"$OUT/log.txt" 2>&1
  log "$name: exit $? in $((SECONDS - t0)) s"
}
DEIT="$BIN sweep --device cuda:0 --preset deit --validation 0 --models none"
VSJAX="--emb 768 --heads 12 --qk 32,64 --v 64 --mlp 256,3072 --batch 64 --quiet"
NOTRITON=XLA_FLAGS=--xla_gpu_enable_triton_gemm=false

step nvidia-smi 10 nvidia-smi -L
# As shipped (XLA autotunes every GEMM fusion).
step default 70 $DEIT $VSJAX --out "$T/default.jsonl"
# GEMMs on cuBLAS instead of autotuned Triton fusions.
step notriton 40 env $NOTRITON $DEIT $VSJAX --out "$T/notriton.jsonl"
# Throughput: eight compiling processes, cuBLAS GEMMs, a slice of NViT's grid.
step throughput-w8-notriton 45 env $NOTRITON "$BIN" sweep --device cuda:0 --preset nvit --validation 0 \
  --models none --shard 0/6 --workers 8 --out "$T/nvit-w8.jsonl"
# Autotuning without its correctness checks.
step autotune1 40 env XLA_FLAGS=--xla_gpu_autotune_level=1 $DEIT $VSJAX --out "$T/autotune1.jsonl"
# Not yet run (for the next lease, BUDGET=300): shallower stacks (4 blocks
# compiled per configuration instead of 12), and XLA's per-fusion autotuning
# cache, which NViT's grid should hit often (configurations share GEMM shapes):
# the second sweep of the same shard should compile faster than the first.
N="$BIN sweep --device cuda:0 --preset nvit --validation 0 --models none --quiet"
step depths-1-3 40 $N --shard 0/48 --depths 1,3 --out "$T/nvit-d13.jsonl"
step depths-2-10 40 $N --shard 0/48 --out "$T/nvit-d210.jsonl"
ATC=XLA_FLAGS=--xla_gpu_per_fusion_autotune_cache_dir=/tmp/nvitprof-autotune
step autotune-cache-cold 40 env $ATC $N --shard 1/48 --out "$T/nvit-atc1.jsonl"
step autotune-cache-warm 40 env $ATC $N --shard 1/48 --out "$T/nvit-atc2.jsonl"
for f in "$T"/*.jsonl; do
  echo "--- $f" >>"$OUT/log.txt"
  python3 -c 'import json,sys
for i,l in enumerate(open(sys.argv[1])):
    o=json.loads(l)
    if i: print(o["kind"], o.get("heads",0), o.get("qk",0), o.get("mlp",0), round(o["median_ms"],4))' "$f" >>"$OUT/log.txt" 2>&1
done
log done
