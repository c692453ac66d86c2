#!/usr/bin/env python3
"""Compares three ways of combining a multi-pass sweep's passes on the same
measurements: the table's own (each depth's fastest execution over the
passes), the fastest pass's own estimate (the rule before), and the median
pass. Each pass's own estimate is the row's "passes_ms" (tables written
before that field had them in the note: "floors of N passes (each: a, b, c ms)").

One table: additivity of its whole-model rows (sum of parts / model).
Two tables of the same grid: median and 90th percentile of |ratio - 1| per
configuration (repeatability).

    python3 bench/passcombos.py out/deit6.jsonl
    python3 bench/passcombos.py a.jsonl b.jsonl
"""
import json
import re
import sys


def key(r):
    if r["kind"] == "model":
        return "model " + json.dumps(r["dim"], sort_keys=True)
    return " ".join(f"{k}={r.get(k, 0)}" for k in ("kind", "emb", "heads", "qk", "v", "mlp"))


def rows(path):
    out = {}
    with open(path) as f:
        for i, line in enumerate(f):
            if i == 0:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            out[key(r)] = r
    return out


def each_pass(r):
    if "passes_ms" in r:
        return list(r["passes_ms"])
    m = re.search(r"\(each: ([^)]*) ms\)", r.get("note", ""))
    return [float(x) for x in m.group(1).split(",")] if m else [r["median_ms"]]


def estimate(r, how):
    if how == "table":
        return r["median_ms"]
    vals = each_pass(r)
    if how == "fastest pass":
        pos = [v for v in vals if v > 0]
        return min(pos) if pos else 0.0
    vals.sort()
    return vals[len(vals) // 2]


RULES = ("table", "fastest pass", "median pass")


def repeat(path_a, path_b):
    a, b = rows(path_a), rows(path_b)
    keys = [k for k in a if k in b]
    out = {"configs": len(keys)}
    for how in RULES:
        devs = []
        for k in keys:
            x, y = estimate(a[k], how), estimate(b[k], how)
            if x > 0 and y > 0:
                devs.append(abs(y / x - 1))
        devs.sort()
        out[how] = {"median": round(devs[len(devs) // 2], 4), "p90": round(devs[9 * len(devs) // 10], 4)}
    print(json.dumps(out))


def additivity(path):
    table = rows(path)
    for r in table.values():
        if r["kind"] != "model":
            continue
        d = r["dim"]
        parts = [f"kind=rest emb={d['EMB']} heads=0 qk=0 v=0 mlp=0"]
        for h, qk, v, m in zip(d["head"], d["QK"], d["V"], d["MLP"]):
            parts.append(f"kind=attn emb={d['EMB']} heads={h} qk={qk} v={v} mlp=0")
            parts.append(f"kind=mlp emb={d['EMB']} heads=0 qk=0 v=0 mlp={m}")
        missing = [p for p in parts if p not in table]
        if missing:
            print(json.dumps({"model": r.get("name"), "missing": missing}))
            continue
        out = {"model": r.get("name")}
        for how in RULES:
            out[how] = round(sum(estimate(table[p], how) for p in parts) / estimate(r, how), 4)
        print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) == 3:
        repeat(sys.argv[1], sys.argv[2])
    else:
        additivity(sys.argv[1])
