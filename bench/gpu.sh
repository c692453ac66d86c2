#!/usr/bin/env bash
# All GPU checks in one call (a few minutes), results under $OUT.
#
# Build here first (the GPU machine has no Go):
#   go build -o dist/nvitprof ./cmd/nvitprof
# then run on the GPU machine: OUT=gpu-out bash bench/gpu.sh
#
# A full run needs about 25 minutes of device time (XLA compilation, 10–20 s
# per configuration, dominates) and a lease has 15, so the order is by
# priority: a 10-minute call (timeout_s 600) gets the throughput probes,
# fidelity and repeatability, and graph-vs-JAX; additivity and the whole
# model need a second call. Checks: device and plugin found automatically;
# sweep throughput (as shipped, without autotuning, shallower stacks, four
# compiling workers); fidelity at batch 1 (blocks of different sizes must not
# all read the same dispatch-bound time) and repeatability of a table
# measured twice; our XLA graphs against JAX's on the same GPU; additivity of
# parts against whole models; whole-model latency.
set -u
OUT=${OUT:-gpu-out}
BIN=${BIN:-dist/nvitprof}
mkdir -p "$OUT"
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
PY=python3
for p in python3 /opt/torch/.venv/bin/python3; do
  if "$p" -c 'import jax' 2>/dev/null; then PY=$p; break; fi
done
# The device tool returns at most 8 files: every step's output goes to log.txt,
# and only the tables the checks read are files of their own (the throughput
# tables are read here, then removed).
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

# Throughput first: it is the goal furthest from met (≈3.5 configurations/min
# on an H100 in the first lease, compile-bound, against 90). Small shards of
# NViT's grid (the sweep's last line states configurations per minute): as
# shipped; without XLA's autotuning (does compile time drop, and does the
# latency of the same configurations change?); with shallower stacks; with
# four compiling workers.
N="$BIN sweep --device cuda:0 --preset nvit --validation 0 --models none"
step throughput-default 120 $N --shard 0/128 --out "$OUT/nvit-default.jsonl"
XLA_FLAGS=--xla_gpu_autotune_level=0 step throughput-noautotune 120 $N --shard 0/128 --out "$OUT/nvit-noautotune.jsonl"
XLA_FLAGS=--xla_gpu_autotune_level=0 step throughput-depths-1-3 90 $N --shard 1/128 --depths 1,3 --out "$OUT/nvit-d13.jsonl"
XLA_FLAGS=--xla_gpu_autotune_level=0 step throughput-w4 120 $N --shard 2/64 --workers 4 --quiet --out "$OUT/nvit-w4.jsonl"
step autotune-effect 30 "$PY" bench/compare.py repeat "$OUT/nvit-default.jsonl" "$OUT/nvit-noautotune.jsonl"
rm -f "$OUT"/nvit-*.jsonl # their figures are in log.txt

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

# Whole-model latency: XLA compiles a whole model at two depths (12 and 24 blocks).
step measure-deit-t-b1 240 "$BIN" measure --device cuda:0 --preset deit-t --batch 1 --samples 20
log done
