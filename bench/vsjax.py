#!/usr/bin/env python3
"""Compares an nvitprof table with bench/jax_ref.py's timings of the same
blocks (same XLA, same GPU) and prints one JSON line per configuration both
measured: our graph against JAX's. Used by bench/gpu.sh:

    python3 bench/vsjax.py ours.jsonl jax.jsonl

Repeatability of two tables and whole models against their parts are
nvitprof's own: `nvitprof eval --table a.jsonl --replicate b.jsonl` and
`nvitprof eval --table T --kind nvit-interp` (its whole-model rows)."""
import json
import sys


def key(kind, dims):
    return f"kind={kind} " + " ".join(f"{n}={dims.get(n, 0)}" for n in ("emb", "heads", "qk", "v", "mlp"))


def table(path):
    rows = {}
    with open(path) as f:
        for i, line in enumerate(f):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if i > 0 and obj.get("kind") != "model":
                rows[key(obj["kind"], obj)] = obj
    return rows


def versus_jax(ours, ref):
    rows = table(ours)
    res = []
    with open(ref) as f:
        for line in f:
            obj = json.loads(line)
            what = obj.get("what", "")
            if "ms" not in obj or not what.startswith("forward "):
                continue
            name = what[len("forward "):]
            kind, *dims = name.split()
            k = key(kind, dict(x.split("=") for x in dims))
            if k in rows:
                res.append({"check": "graph vs jax", "config": name, "nvitprof_ms": rows[k]["median_ms"],
                            "jax_ms": obj["ms"], "ratio": rows[k]["median_ms"] / obj["ms"]})
    return res


if __name__ == "__main__":
    for r in versus_jax(sys.argv[1], sys.argv[2]):
        print(json.dumps(r))
