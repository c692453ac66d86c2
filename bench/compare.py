#!/usr/bin/env python3
"""Reads nvitprof tables and the JAX reference and prints the GPU checks as
JSON lines (used by bench/gpu.sh): repeatability of a table measured twice,
additivity of parts against whole-model rows, and our graphs against JAX's."""
import json
import statistics
import sys


def table(path):
    rows = {}
    header = None
    with open(path) as f:
        for i, line in enumerate(f):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if i == 0:
                header = obj
                continue
            rows[key(obj)] = obj
    return header, rows


def key(r):
    if r["kind"] == "model":
        d = r["dim"]
        return "model " + json.dumps(d, sort_keys=True)
    return " ".join(f"{k}={r.get(k, 0)}" for k in ("kind", "emb", "heads", "qk", "v", "mlp"))


def repeatability(a, b):
    _, ra = table(a)
    _, rb = table(b)
    ratios = [rb[k]["median_ms"] / ra[k]["median_ms"] for k in ra if k in rb and ra[k]["median_ms"] > 0]
    dev = sorted(abs(r - 1) for r in ratios)
    return {"check": "repeatability", "configs": len(ratios),
            "median_abs_ratio_minus_1": statistics.median(dev) if dev else None,
            "max_abs_ratio_minus_1": max(dev) if dev else None,
            "per_config_ms": {k: [ra[k]["median_ms"], rb[k]["median_ms"]] for k in ra if k in rb}}


def additivity(path):
    h, rows = table(path)
    out = []
    for k, r in rows.items():
        if r["kind"] != "model":
            continue
        d = r["dim"]
        total, missing = 0.0, []
        rest = f"kind=rest emb={d['EMB']} heads=0 qk=0 v=0 mlp=0"
        parts = [rest]
        for hh, qk, v, m in zip(d["head"], d["QK"], d["V"], d["MLP"]):
            parts.append(f"kind=attn emb={d['EMB']} heads={hh} qk={qk} v={v} mlp=0")
            parts.append(f"kind=mlp emb={d['EMB']} heads=0 qk=0 v=0 mlp={m}")
        for p in parts:
            if p in rows:
                total += rows[p]["median_ms"]
            else:
                missing.append(p)
        out.append({"check": "additivity", "model": r.get("name", k), "model_ms": r["median_ms"],
                    "sum_of_parts_ms": total, "ratio": total / r["median_ms"], "missing": missing})
    return out


def versus_jax(ours, ref):
    _, rows = table(ours)
    jax = {}
    with open(ref) as f:
        for line in f:
            obj = json.loads(line)
            if "ms" in obj:
                jax[obj["what"]] = obj
    res = []
    for what, obj in jax.items():
        if not what.startswith("forward "):
            continue
        name = what[len("forward "):]
        kind, *dims = name.split()
        d = dict(x.split("=") for x in dims)
        k = " ".join(f"{n}={d.get(n, 0)}" for n in ("emb", "heads", "qk", "v", "mlp"))
        k = f"kind={kind} {k}"
        if k in rows:
            res.append({"check": "graph vs jax", "config": name, "nvitprof_ms": rows[k]["median_ms"],
                        "jax_ms": obj["ms"], "ratio": rows[k]["median_ms"] / obj["ms"]})
    return res


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "repeat":
        print(json.dumps(repeatability(sys.argv[2], sys.argv[3])))
    elif cmd == "add":
        for r in additivity(sys.argv[2]):
            print(json.dumps(r))
    elif cmd == "jax":
        for r in versus_jax(sys.argv[2], sys.argv[3]):
            print(json.dumps(r))
