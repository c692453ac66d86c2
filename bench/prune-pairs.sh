#!/usr/bin/env bash
# Goal 3 of the pruner: at equal predicted latency, is the latency-aware
# selection at least as accurate as the latency-blind one (η = 0)? Prunes one
# dense model against one table with HALP's knapsack and with η = 0 for each
# seed (two runs at a time: this is training, not timing), then prints the
# paired differences and draws them (nvitprof prune-compare, OUTDIR/compare.png).
#
#   bench/prune-pairs.sh WEIGHTS TABLE TARGET "SEEDS" OUTDIR [extra prune flags]
#   bench/prune-pairs.sh demo/dense/model.safetensors demo/cpu.jsonl 0.5 "1 2 3 4 5" pairs
#
# Uses the demo's fine-tuning (100 steps after each of 5 pruning steps, 400
# after the last) and scores on all 10,000 MNIST test images. Finished runs
# are kept: rerunning continues where a killed one stopped.
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,13p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
weights=$1 table=$2 target=$3 seeds=$4 out=$5
shift 5
bin=${NVITPROF:-bin/nvitprof}
[ -x "$bin" ] || go build -o "$bin" ./cmd/nvitprof
mkdir -p "$out"
run() {
	local sel=$1 seed=$2 dir=$out/t$target-$1-$2 flags
	shift 2
	case $sel in
	knapsack) flags=(--selection knapsack --eta 0) ;;
	blind) flags=(--eta 0) ;;
	esac
	[ -f "$dir/pruned.json" ] && return
	local resume=()
	[ -f "$dir/run.json" ] && resume=(--resume)
	"$bin" prune --weights "$weights" --table "$table" --target "$target" --seed "$seed" \
		--finetune-steps 100 --final-steps 400 --eval-images 0 --quiet "${flags[@]}" "${resume[@]}" "$@" \
		--out "$dir" >"$dir.log" 2>&1 || { echo "$dir failed: see $dir.log" >&2; return 1; }
}
for s in $seeds; do
	run knapsack "$s" "$@" &
	run blind "$s" "$@"
	wait
done
"$bin" prune-compare --out "$out/compare.png" "$out"
