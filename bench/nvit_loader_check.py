#!/usr/bin/env python3
"""Loads `nvitprof export --format nvit-lut` files with NViT's own loader.

NVlabs/NViT's pruner reads latency_head.json in
nvit/pruning_core/pruning_engine_general.py (commit 48feca4, lines 317-339)
and queries it in compute_latency (lines 608-611). load_nvit below is that
code, copied line for line but for the file argument and the return value:

    with open(latency_file) as json_file:
        measurement = json.load(json_file)
    EMB = np.arange(4)*256
    head = np.array([1,3,6,9,12])
    QK = np.array([1,16,32,48,64])
    V = np.array([1,16,32,48,64])
    MLP = (np.arange(25))*128
    data = np.zeros([4,5,5,5,25])
    for i in range(3): ... for l in range(25):
        ...
        data[i+1,j,k1,k2,l] = measurement['EMB_'+str(e)]['QK_'+str(q_h)+'_'+str(q)]['V_'+str(v)]['MLP_'+str(h)]
    self.latency_look_up_table = RegularGridInterpolator((EMB, head, QK, V, MLP), data)

It checks, for each export:
  synthetic       internal/testtables' synthetic table (NViT's format and grid), exported as it is;
  nvit-preset     a decomposed table of what `sweep --preset nvit` measures (attention and MLP rows on
                  NViT's axes, written here from a simple formula), exported as it is: no warning;
  coarse-hw       cmd/nvitprof/testdata/tables/nvit-coarse.jsonl (a decomposed synthetic table on a coarse
  coarse-interp   grid) exported with --resample nvit, by the hw and by the nvit-interp model;
  quick-plain     the quick CPU table exported as it is: NViT's loader must fail as export's warning says;
  quick-resample  the same with --resample nvit: refused (its grid, EMB 64..128, is far from NViT's).

For each file NViT's loader accepts, it predicts a few architectures (NViT's per-block lookups, x 1e3
to ms) and compares them with `nvitprof predict --kind nvit-interp --format json` (blocks_ms) on the
export itself and, for nvit-preset and coarse-interp, on the source table (the export must not change
what nvit-interp predicts anywhere inside NViT's axes). Prints one JSON line per check; exits 1 when
one fails. Needs numpy and scipy (Debian: apt-get install python3-scipy) and Go.

Usage: /usr/bin/python3 bench/nvit_loader_check.py [--nvitprof BIN]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.interpolate import RegularGridInterpolator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_nvit(latency_file):
    """NViT's loader (pruning_engine_general.py:317-339), returning the interpolator."""
    with open(latency_file) as json_file:
        measurement = json.load(json_file)
    EMB = np.arange(4)*256
    head = np.array([1,3,6,9,12])
    QK = np.array([1,16,32,48,64])
    V = np.array([1,16,32,48,64])
    MLP = (np.arange(25))*128
    data = np.zeros([4,5,5,5,25])
    for i in range(3):
        for j in range(5):
            for k1 in range(5):
                for k2 in range(5):
                    for l in range(25):
                        e = EMB[i+1]
                        q_h = head[j]
                        q = QK[k1]
                        v = V[k2]
                        if MLP[l]:
                            h = MLP[l]
                        else:
                            h = 1
                        data[i+1,j,k1,k2,l] = measurement['EMB_'+str(e)]['QK_'+str(q_h)+'_'+str(q)]['V_'+str(v)]['MLP_'+str(h)]
    return RegularGridInterpolator((EMB, head, QK, V, MLP), data)


def compute_latency(table, emb, head, qk, v, mlp):
    """NViT's compute_latency (pruning_engine_general.py:608-611)."""
    point = np.array([emb,head,qk,v,mlp])
    latency = table(point)
    return latency[0]


# Architectures at NViT's geometry (224² images, 16² patches, cls + distillation tokens: 198).
PRUNED = {"name": "pruned", "EMB": 640,
          "head": [12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1],
          "QK": [64, 56, 48, 40, 33, 32, 24, 16, 8, 4, 2, 1],
          "V": [64, 60, 52, 48, 40, 36, 30, 24, 16, 8, 2, 1],
          "MLP": [3072, 2900, 2500, 2000, 1500, 1000, 700, 400, 200, 100, 64, 0]}
SMALL = {"name": "small", "EMB": 200, "head": [2, 3], "QK": [20, 48], "V": [64, 12], "MLP": [96, 30]}
ARCHS = ["deit-b-distilled", "deit-s-distilled", "deit-t-distilled", PRUNED, SMALL]


def blocks(arch):
    """(emb, heads, qk, v, mlp) per block."""
    if isinstance(arch, dict):
        return [(arch["EMB"], h, q, v, m) for h, q, v, m in zip(arch["head"], arch["QK"], arch["V"], arch["MLP"])]
    emb, heads, mlp = {"deit-b-distilled": (768, 12, 3072), "deit-s-distilled": (384, 6, 1536),
                       "deit-t-distilled": (192, 3, 768)}[arch]
    return [(emb, heads, 64, 64, mlp)] * 12


def run(nvitprof, args, ok=(0,)):
    p = subprocess.run(nvitprof + args, cwd=ROOT, capture_output=True, text=True)
    if p.returncode not in ok:
        raise RuntimeError("nvitprof %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p


def predict(nvitprof, table, arch, tmp):
    spec = ["--preset", arch]
    if isinstance(arch, dict):
        path = os.path.join(tmp, arch["name"] + ".json")
        with open(path, "w") as f:
            json.dump(arch, f)
        spec = ["--arch", path]
    out = run(nvitprof, ["predict", "--table", table, "--kind", "nvit-interp", "--format", "json"] + spec).stdout
    return json.loads(out)["blocks_ms"]


def nvit_preset_table(path):
    """A decomposed table on NViT's axes, as sweep --preset nvit measures it (formula, not measurements)."""
    header = {"nvitprof_table": 1, "device": "formula", "batch": 256, "tokens": 198,
              "image": 224, "patch": 16, "channels": 3, "classes": 1000,
              "notes": ["written by bench/nvit_loader_check.py from a formula"]}
    rows = []
    for e in (256, 512, 768):
        for h in (1, 3, 6, 9, 12):
            for q in (1, 16, 32, 48, 64):
                for v in (1, 16, 32, 48, 64):
                    ms = 1.5 + 0.0167*e + h*(0.87 + (0.009 + 7e-6*e)*q + (0.006 + 7e-6*e)*v) * (1.02 if q == 48 else 1)
                    rows.append({"kind": "attn", "emb": e, "heads": h, "qk": q, "v": v, "median_ms": round(ms, 6)})
        for m in range(128, 3073, 128):
            ms = (0.0056 + 8e-6*e) * (m + 0.25*((-m) % 256))
            rows.append({"kind": "mlp", "emb": e, "mlp": m, "median_ms": round(ms, 6)})
    rows.append({"kind": "block", "emb": 768, "heads": 12, "qk": 64, "v": 64, "mlp": 3072, "median_ms": 80.0})
    with open(path, "w") as f:
        for r in [header] + rows:
            f.write(json.dumps(r) + "\n")


def compare(nvitprof, name, lut_path, tables, tmp):
    """NViT's lookups on lut_path against nvitprof predict --kind nvit-interp on each of tables."""
    interp = load_nvit(lut_path)
    worst = {}
    for table in tables:
        rel = 0.0
        for arch in ARCHS:
            got = predict(nvitprof, table, arch, tmp)
            want = [compute_latency(interp, *b) * 1e3 for b in blocks(arch)]
            rel = max([rel] + [abs(g - w) / w for g, w in zip(got, want)])
        worst[os.path.relpath(table, ROOT) if table.startswith(ROOT) else os.path.basename(table)] = rel
    ok = all(r < 1e-9 for r in worst.values())
    print(json.dumps({"check": name, "loaded": True, "archs": len(ARCHS), "max_rel_diff": worst, "ok": ok}))
    return ok


def export(nvitprof, table, out, extra=()):
    p = run(nvitprof, ["export", "--table", table, "--format", "nvit-lut", "--out", out, "--force"] + list(extra), ok=(0, 1))
    return p.returncode, p.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nvitprof", help="nvitprof binary (default: built with go build into a temporary folder)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nvit-loader-")
    if args.nvitprof:
        nvitprof = [os.path.abspath(args.nvitprof)]
    else:
        binary = os.path.join(tmp, "nvitprof")
        subprocess.run(["go", "build", "-o", binary, "./cmd/nvitprof"], cwd=ROOT, check=True)
        nvitprof = [binary]
    synthetic = os.path.join(ROOT, "internal/testtables/testdata/nvit_synthetic_latency_head.json")
    coarse = os.path.join(ROOT, "cmd/nvitprof/testdata/tables/nvit-coarse.jsonl")
    quick = os.path.join(ROOT, "internal/testtables/testdata/quick-cpu.jsonl")
    preset = os.path.join(tmp, "nvit-preset.jsonl")
    nvit_preset_table(preset)
    ok = True
    for name, table, extra, sources in [
        ("synthetic", synthetic, [], []),
        ("nvit-preset", preset, [], [preset]),
        ("coarse-hw", coarse, ["--resample", "nvit"], []),
        ("coarse-interp", coarse, ["--resample", "nvit", "--kind", "nvit-interp"], [coarse]),
    ]:
        out = os.path.join(tmp, name + ".json")
        code, stderr = export(nvitprof, table, out, extra)
        if code != 0 or "warning" in stderr:
            print(json.dumps({"check": name, "export": stderr, "ok": False}))
            ok = False
            continue
        if stderr:
            print(json.dumps({"check": name, "export": stderr}))
        ok &= compare(nvitprof, name, out, [out] + sources, tmp)
    # The quick table's own grid: export warns, and NViT's loader fails as the warning says.
    out = os.path.join(tmp, "quick.json")
    code, warning = export(nvitprof, quick, out)
    try:
        load_nvit(out)
        error = None
    except KeyError as e:
        error = "KeyError: %s" % e
    says = error is not None and error in warning
    print(json.dumps({"check": "quick-plain", "export_warning": warning, "nvit_loader": error, "ok": says}))
    ok &= says
    code, refusal = export(nvitprof, quick, os.path.join(tmp, "quick-resampled.json"), ["--resample", "nvit"])
    refused = code == 1 and not os.path.exists(os.path.join(tmp, "quick-resampled.json"))
    print(json.dumps({"check": "quick-resample", "exit": code, "stderr": refusal, "ok": refused}))
    ok &= refused
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
