#!/usr/bin/env python3
"""Paired comparison of nvitprof prune runs that differ only in selection.

  python3 bench/paired.py DIR [DIR ...]

Reads every DIR/*/run.json with its log.jsonl's final line, groups the runs
by target and seed, and prints each selection's top-1 and predicted latency
per seed and its mean paired difference from the latency-blind run (greedy,
eta 0) of the same target and seed, with the standard error over seeds.
"""
import glob
import json
import os
import statistics
import sys


def label(cfg):
    if cfg["eta"] == 0 and cfg["selection"] == "greedy":
        return "blind"
    if cfg["selection"] == "knapsack" and cfg["eta"] == 0:
        return "knapsack"
    return "%s eta %g" % (cfg["selection"], cfg["eta"])


def final(log):
    last = None
    with open(log) as f:
        for line in f:
            if line.strip():
                last = json.loads(line)
    return last if last and last.get("final") else None


def main(dirs):
    runs = {}  # (target, label) -> {seed: (top1 %, relative latency, params)}
    for d in dirs:
        for cfgpath in sorted(glob.glob(os.path.join(d, "*", "run.json"))):
            cfg = json.load(open(cfgpath))
            end = final(os.path.join(os.path.dirname(cfgpath), "log.jsonl"))
            if end is None:
                continue  # unfinished
            key = (cfg["target"], label(cfg))
            runs.setdefault(key, {})[cfg["seed"]] = (100 * end["accuracy"], end["relative"], end["params"])
    if not runs:
        sys.exit("paired.py: no finished runs under " + " ".join(dirs))
    for target in sorted({t for t, _ in runs}):
        blind = runs.get((target, "blind"), {})
        print("target %g" % target)
        for (t, lab), by_seed in sorted(runs.items()):
            if t != target:
                continue
            seeds = sorted(by_seed)
            top1 = [by_seed[s][0] for s in seeds]
            rel = [by_seed[s][1] for s in seeds]
            params = [by_seed[s][2] for s in seeds]
            line = "  %-16s seeds %s: top-1 %s %%, mean %.2f; predicted %.1f-%.1f%% of dense; params mean %d" % (
                lab, ",".join(map(str, seeds)), " / ".join("%.2f" % a for a in top1), statistics.mean(top1),
                100 * min(rel), 100 * max(rel), statistics.mean(params))
            print(line)
            if lab != "blind":
                diffs = [by_seed[s][0] - blind[s][0] for s in seeds if s in blind]
                if len(diffs) >= 2:
                    se = statistics.stdev(diffs) / len(diffs) ** 0.5
                    print("  %-16s minus blind, paired over %d seeds: %+.3f ± %.3f points (s.e.); per seed %s" % (
                        lab, len(diffs), statistics.mean(diffs), se, " ".join("%+.2f" % x for x in diffs)))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
