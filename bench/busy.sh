#!/usr/bin/env bash
# The README's main job on a quiet and on a busy machine (issue: "survive a
# busy machine"). Usage:
#   bench/busy.sh quiet  DIR     # the quickstart into DIR/quiet
#   bench/busy.sh loaded DIR     # the same while two CPU-bound processes run
#                                # (sha256sum /dev/zero twice), into DIR/loaded
# It prints the wall time, the sweep's closing lines and the cost model's
# held-out accuracy (nvitprof eval: attention and MLP within ±5% and ±10%,
# whole models against the sum of their parts).
set -euo pipefail
mode=${1:?quiet or loaded}
dir=${2:?output folder}
cd "$(dirname "$0")/.."
go build -o "$dir/nvitprof" ./cmd/nvitprof
out="$dir/$mode"
rm -rf "$out"
load=()
if [ "$mode" = loaded ]; then
	sha256sum /dev/zero & load+=($!)
	sha256sum /dev/zero & load+=($!)
	trap 'kill ${load[*]} 2>/dev/null || true' EXIT
fi
start=$(date +%s)
"$dir/nvitprof" quickstart --device cpu --out "$out" --quiet >"$out.stdout" 2>"$out.stderr"
end=$(date +%s)
if [ ${#load[@]} -gt 0 ]; then kill "${load[@]}"; fi
echo "$mode: quickstart took $((end - start)) s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E 'apart|again|agree' "$out.stderr" || true
"$dir/nvitprof" eval --table "$out/table.jsonl" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for g in d["groups"]:
    if g["kind"] in ("attn", "mlp", "model"):
        print("%-5s %3d rows  ±5%%: %5.1f%%  ±10%%: %5.1f%%  MAPE %.2f%%  max %.1f%%" % (
            g["kind"], g["n"], g["within_5"], g["within_10"], g["mape"], g["max_ape"]))
'
