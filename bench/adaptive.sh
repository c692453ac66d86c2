#!/bin/sh
# Replays full latency tables through adaptive sweeps and compares sampling
# strategies (bench/adaptive): writes bench/results/adaptive-2026-12.md's
# tables to stdout and one figure per table. NViT's V100 table is used when
# it is at ../shared/data/nvit_latency_head_v100.json (it is not part of the
# repository; the table is skipped without it). Run from the repository root.
set -eu
out=${1:-bench/results/adaptive-2026-12}
if [ -f ../shared/data/nvit_latency_head_v100.json ]; then
	echo "NViT's V100 table: ../shared/data/nvit_latency_head_v100.json" >&2
else
	echo "NViT's V100 table not found at ../shared/data/nvit_latency_head_v100.json: skipped" >&2
fi
exec go run ./bench/adaptive -png "$out" -md "$out-tables.md"
