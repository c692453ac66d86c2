#!/usr/bin/env bash
# All GPU checks in one call (a few minutes), results under $OUT.
#
# Build here first (the GPU machine has no Go):
#   go build -o dist/nvitprof ./cmd/nvitprof && go test -c -o dist/blocks.test ./arch/blocks
# then run on the GPU machine: OUT=gpu-out bash bench/gpu.sh
#
# A full run needs about 25 minutes of device time (XLA compilation, 10–20 s
# per configuration, dominates); order is by priority, so a shorter lease
# still gets the first checks. Checks: device and plugin found automatically; whole-model latency (issue 2);
# fidelity at batch 1 (blocks of different sizes must not all read the same
# dispatch-bound time) and repeatability of a table measured twice; additivity
# of parts against whole models; our XLA graphs against JAX's on the same GPU;
# forward+backward against forward (issue 7, with JAX's ratio); sweep
# throughput with one and with four compiling workers.
set -u
OUT=${OUT:-gpu-out}
BIN=${BIN:-dist/nvitprof}
BLOCKS_TEST=${BLOCKS_TEST:-dist/blocks.test}
mkdir -p "$OUT"
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
PY=python3
for p in python3 /opt/torch/.venv/bin/python3; do
  if "$p" -c 'import jax' 2>/dev/null; then PY=$p; break; fi
done
# The device tool returns at most 8 files: every step's output goes to log.txt,
# and only the tables the checks read are files of their own.
log() { echo "== $(date +%T) $*" | tee -a "$OUT/log.txt"; }
step() { # step NAME SECONDS CMD...: run with a time limit, output appended to log.txt
  local name=$1 limit=$2; shift 2
  log "$name: $*"
  local t0=$SECONDS
  timeout "$limit" "$@" >>"$OUT/log.txt" 2>&1
  log "$name: exit $? in $((SECONDS - t0)) s"
}
S="$BIN sweep --device cuda:0 --preset deit --validation 0 --models none --quiet"

step nvidia-smi 20 nvidia-smi -L
step devices 60 "$BIN" devices
# XLA compiles a whole model at two depths (12 and 24 blocks): minutes with autotuning.
step measure-deit-t-b1 240 "$BIN" measure --device cuda:0 --preset deit-t --batch 1 --samples 20

# Fidelity at batch 1, measured twice.
for run in a b; do
  step fidelity-$run 150 $S --emb 768 --heads 3,12 --qk 64 --v 64 --mlp 256,3072 --batch 1 --out "$OUT/fidelity-$run.jsonl"
done
step repeatability 30 "$PY" bench/compare.py repeat "$OUT/fidelity-a.jsonl" "$OUT/fidelity-b.jsonl"

# Our graphs against JAX's (bf16, batch 64, 197 tokens, emb 768).
step vsjax-sweep 150 $S --emb 768 --heads 12 --qk 32,64 --v 64 --mlp 256,3072 --batch 64 --out "$OUT/vsjax.jsonl"
log "jax: $PY bench/jax_ref.py"
timeout 200 "$PY" bench/jax_ref.py >"$OUT/jax.jsonl" 2>>"$OUT/log.txt"
step vsjax 30 "$PY" bench/compare.py jax "$OUT/vsjax.jsonl" "$OUT/jax.jsonl"

# Additivity: DeiT-S and DeiT-B parts and whole models (batch 256, bf16).
step additivity-sweep 300 "$BIN" sweep --device cuda:0 --preset deit --quiet --validation 0 --models deit-s,deit-b \
  --emb 384,768 --heads 6,12 --qk 64 --v 64 --mlp 1536,3072 --out "$OUT/additivity.jsonl"
step additivity 30 "$PY" bench/compare.py add "$OUT/additivity.jsonl"

# Issue 7: forward+backward against forward on the GPU.
NVITPROF_BENCH_DEVICE=cuda:0 step grad 120 "$BLOCKS_TEST" -test.run '^$' -test.bench Grad -test.benchtime 1x

# Throughput on NViT's grid: 1/64 of it with one worker, another 1/64 with four
# (the sweep's last line states configurations per minute).
step throughput-w1 180 "$BIN" sweep --device cuda:0 --preset nvit --validation 0 --models none --shard 0/64 --out "$OUT/nvit-w1.jsonl"
step throughput-w4 180 "$BIN" sweep --device cuda:0 --preset nvit --validation 0 --models none --shard 1/64 --workers 4 --out "$OUT/nvit-w4.jsonl"
log done
