#!/bin/bash
# Pruned MNIST ViTs over seeds for nvitprof trends (issue 20's goal): the
# demo's dense model and table, NViT's greedy score (eta 1) and HALP's knapsack.
set -e
for sel in greedy knapsack; do
  for seed in 1 2 3; do
    nvitprof prune --weights demo/dense/model.safetensors --table demo/cpu.jsonl --target 0.5 \
      --selection $sel --seed $seed --finetune-steps 20 --final-steps 20 --eval-images 500 --quiet --out seeds/$sel-$seed
  done
done
nvitprof trends --out seeds/trends --formats png seeds/greedy-{1,2,3} seeds/knapsack-{1,2,3}
