#!/usr/bin/env python3
"""nvitprof's PyTorch runner: measures ViT sub-blocks in PyTorch for an nvitprof sweep.

nvitprof starts this script, sends a hello with the table header and then one
configuration at a time on stdin, and reads one JSON reply per request on
stdout (the external-runner protocol, profiler/external.go). Logs go to
stderr: stdout carries the protocol and nothing else.

It measures as nvitprof's own harness does (profiler/timing.go, gomlx.go):
each unit is stacked at the header's two depths in one forward, every copy
with its own weights; warm-up executions, then pairs of timed executions
whose order alternates; the median of the per-unit differences, or under
the min estimator the difference of each depth's fastest execution (with
those floors sent back so that a sweep in passes combines them); rounds
repeated while the result is noisier than the header's threshold. The math
is arch/blocks': pre-norm LayerNorm (eps 1e-6), attention with per-head QK
and V widths and softmax(Q·Kᵀ/√QK), exact (erf) GELU, residuals, cls/dist
tokens and a learned position embedding.

Options:
  --device auto|cpu|cuda|cuda:N   where to measure (auto: cuda:0 if available)
  --threads N                     CPU threads (default 1; 0: PyTorch's default)
  --attention eager|sdpa          matmuls and softmax, or PyTorch 2.x's
                                  scaled_dot_product_attention
  --compile                       torch.compile each stack (PyTorch 2.x)
  --retries N                     extra rounds for a noisy result (default 2)

Runs on PyTorch 1.13 and 2.x, with the standard library and torch only.
"""

import argparse
import gc
import json
import math
import os
import sys
import time

PROTOCOL = 1

# Rest and model rows are whole models: one and two copies cancel dispatch
# (profiler.ModelDepths).
MODEL_DEPTHS = (1, 2)

LAYER_NORM_EPS = 1e-6  # arch/blocks' LayerNormEpsilon (timm's eps=1e-6)
INIT_STD = 0.02  # arch/blocks' InitStd: weights, tokens and position embedding

DTYPES = {
    "float32": "float32", "f32": "float32", "fp32": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "f16": "float16", "fp16": "float16", "half": "float16",
}

torch = None  # imported by load_torch, after the thread count is in the environment
F = None


def log(msg):
    print("nvitprof_runner: " + msg, file=sys.stderr, flush=True)


class RunnerError(Exception):
    """A request that cannot be served; its message is the reply's error."""


# ---------------------------------------------------------------------------
# Timing: a port of profiler/timing.go and stats.go, independent of torch.

class TimingOptions:
    """How many executions a measurement takes (profiler.TimingOptions)."""

    def __init__(self, warmup, samples, noise_threshold, retries, estimator):
        self.warmup, self.samples = warmup, samples
        self.noise_threshold, self.retries = noise_threshold, retries
        self.estimator = estimator or "median"

    def validate(self):
        if self.warmup < 0:
            raise RunnerError("warm-up must not be negative, got %d" % self.warmup)
        if self.samples < 1:
            raise RunnerError("need at least 1 sample, got %d" % self.samples)
        if not self.noise_threshold > 0:
            raise RunnerError("noise threshold must be positive, got %r" % self.noise_threshold)
        if self.retries < 0:
            raise RunnerError("retries must not be negative, got %d" % self.retries)
        if self.estimator not in ("median", "min"):
            raise RunnerError("unknown estimator %r: want median or min" % self.estimator)


def quantile(sorted_xs, p):
    """Quantile p of sorted data, R's type 7 (linear between order statistics)."""
    h = p * (len(sorted_xs) - 1)
    lo = math.floor(h)
    i = int(lo)
    if i + 1 >= len(sorted_xs):
        return sorted_xs[-1]
    return sorted_xs[i] + (h - lo) * (sorted_xs[i + 1] - sorted_xs[i])


class Summary:
    """Median, quartiles and count of repeated timings, ms."""

    def __init__(self, xs):
        s = sorted(xs)
        self.n = len(s)
        if not s:
            self.median = self.q1 = self.q3 = 0.0
            return
        self.median, self.q1, self.q3 = quantile(s, 0.5), quantile(s, 0.25), quantile(s, 0.75)

    def spread(self):
        return self.q3 - self.q1

    def rel_spread(self):
        return 0.0 if self.median == 0 else abs(self.spread() / self.median)


def floor_of(xs):
    """The smallest of xs and its distance to the second smallest."""
    if not xs:
        return 0.0, 0.0
    s = sorted(xs)
    return s[0], (s[1] - s[0] if len(s) > 1 else 0.0)


def relative(x, of):
    """|x / of|, or +inf when of is not positive and x is not 0."""
    if of <= 0:
        return 0.0 if x == 0 else math.inf
    return abs(x / of)


class Timing:
    """One measurement: estimate per unit (ms), its samples, floors and noise."""

    def __init__(self):
        self.estimate = self.gap = 0.0
        self.floors = (0.0, 0.0)
        self.summary = Summary([])
        self.noisy = False
        self.tries = 0


class SpeedGate:
    """Tells whether the machine runs at full speed, as nvitprof's
    profiler.SpeedGate does: a fixed reference loop timed by the process's CPU
    clock against the fastest run seen, within a tolerance. A shared core
    changes speed under the CPU clock's feet (the host's other tenants)."""

    TOLERANCE = 0.15

    def __init__(self):
        self.best = None

    def fast(self):
        start = time.process_time_ns()
        x = 1.0
        for i in range(3000):
            x = x * 1.0000001 + (i & 7) * 1e-9
        d = time.process_time_ns() - start
        if self.best is None or d < self.best:
            self.best = d
        return d <= self.best * (1 + self.TOLERANCE)


GATE_TRIES = 4  # samples a round may take, as a multiple of the samples wanted, with a gate


def time_differential(low, high, low_depth, high_depth, opts, time_once, before_sample=None, gate=None):
    """Times low and high (the unit stacked low_depth and high_depth times).

    Each sample is (T(high) - T(low)) / (high_depth - low_depth) from an
    adjacent pair of executions, alternating which runs first. Under the
    median estimator the quietest round is kept; under min every round's
    executions are pooled and the estimate is the difference of each depth's
    fastest execution. time_once(run) executes run once and returns ms. With
    a gate, a sample counts only when the machine ran at full speed before
    and after it (up to GATE_TRIES times the samples are taken); when none
    did, the slow ones are the best there is.
    """
    if not 0 <= low_depth < high_depth:
        raise RunnerError("differential timing needs 0 <= low depth < high depth, got %d and %d"
                          % (low_depth, high_depth))
    opts.validate()
    span = float(high_depth - low_depth)
    for run in (low, high):
        for _ in range(opts.warmup):
            run()
    best = None
    pooled_unit, pooled_low, pooled_high = [], [], []
    for attempt in range(1, 2 + opts.retries):
        fast, slow = ([], [], []), ([], [], [])
        tries = opts.samples if gate is None else GATE_TRIES * opts.samples
        for i in range(tries):
            if len(fast[0]) >= opts.samples:
                break
            if before_sample is not None:
                before_sample()
            full = gate is None or gate.fast()
            if i % 2 == 0:
                tl = time_once(low)
                th = time_once(high)
            else:
                th = time_once(high)
                tl = time_once(low)
            into = fast if gate is None or (full and gate.fast()) else slow
            into[0].append((th - tl) / span)
            into[1].append(tl)
            into[2].append(th)
        unit, lows, highs = fast if fast[0] else slow
        t = Timing()
        if opts.estimator == "min":
            pooled_unit += unit
            pooled_low += lows
            pooled_high += highs
            t.summary = Summary(pooled_unit)
            low_min, low_gap = floor_of(pooled_low)
            high_min, high_gap = floor_of(pooled_high)
            t.estimate, t.gap = (high_min - low_min) / span, (low_gap + high_gap) / span
            t.floors = (low_min, high_min)
            # One execution per depth cannot confirm a floor.
            t.noisy = len(pooled_high) < 2 or relative(t.gap, t.estimate) > opts.noise_threshold
            best = t
        else:
            t.summary = Summary(unit)
            t.estimate = t.summary.median
            t.noisy = t.summary.rel_spread() > opts.noise_threshold
            if best is None or t.summary.rel_spread() < best.summary.rel_spread():
                best = t
        best.tries = attempt
        if not best.noisy:
            break
    return best


def timing_reply(t, estimator, depths):
    """The reply to a time request for measurement t (gomlxPrepared.Time)."""
    rep = {"median_ms": t.estimate, "spread_ms": t.summary.spread(), "samples": t.summary.n}
    noisy = t.noisy
    if estimator == "min":
        rep["floors"] = {"depths": [depths[0], depths[1]], "ms": [t.floors[0], t.floors[1]]}
    if rep["median_ms"] < 0:
        # Differences of noisy timings of a tiny unit can dip below zero.
        rep["note"] = "differential estimate %.4g ms clipped to 0" % rep["median_ms"]
        rep["median_ms"], noisy = 0.0, True
    if noisy:
        rep["noisy"] = True
    return rep


# ---------------------------------------------------------------------------
# The blocks, as arch/blocks computes them. Parameters are dicts of tensors
# in PyTorch's layout (F.linear weights are [out, in]); from_blocks converts
# arch/blocks' layout (blocks.Layout) into it.

def attention_shapes(emb, heads, qk, v):
    """Parameter names, shapes and initialisers of an attention sub-block."""
    return [
        ("norm_w", (emb,), "ones"), ("norm_b", (emb,), "zeros"),
        # q, k and v of all heads in one product, as timm's fused qkv; each
        # third is [heads, width] (arch/blocks' per-head layout, flattened).
        ("qkv_w", (heads * (2 * qk + v), emb), "normal"), ("qkv_b", (heads * (2 * qk + v),), "zeros"),
        ("proj_w", (emb, heads * v), "normal"), ("proj_b", (emb,), "zeros"),
    ]


def mlp_shapes(emb, hidden):
    """Parameter names, shapes and initialisers of an MLP sub-block."""
    return [
        ("norm_w", (emb,), "ones"), ("norm_b", (emb,), "zeros"),
        ("fc1_w", (hidden, emb), "normal"), ("fc1_b", (hidden,), "zeros"),
        ("fc2_w", (emb, hidden), "normal"), ("fc2_b", (emb,), "zeros"),
    ]


def rest_shapes(g, emb):
    """Parameters outside the blocks: patch embedding, tokens, norm, head(s)."""
    shapes = [
        ("patch_w", (emb, g.channels, g.patch, g.patch), "normal"), ("patch_b", (emb,), "zeros"),
        ("cls", (1, 1, emb), "normal"),
    ]
    if g.extra_tokens == 2:
        shapes.append(("dist", (1, 1, emb), "normal"))
    shapes += [
        ("pos", (1, g.tokens, emb), "normal"),
        ("norm_w", (emb,), "ones"), ("norm_b", (emb,), "zeros"),
        ("head_w", (g.classes, emb), "normal"), ("head_b", (g.classes,), "zeros"),
    ]
    if g.extra_tokens == 2:
        shapes += [("head_dist_w", (g.classes, emb), "normal"), ("head_dist_b", (g.classes,), "zeros")]
    return shapes


def attention(x, p, heads, qk, v, sdpa):
    """x + proj(softmax(Q·Kᵀ/√qk)·V), Q, K, V from LayerNorm(x).

    Shape: x [batch, tokens, emb] → [batch, tokens, emb]
    """
    b, t, e = x.shape
    xn = F.layer_norm(x, (e,), p["norm_w"], p["norm_b"], LAYER_NORM_EPS)
    qkv = F.linear(xn, p["qkv_w"], p["qkv_b"])  # Shape: [b, t, heads·(2qk+v)]
    q, k, val = qkv.split([heads * qk, heads * qk, heads * v], dim=-1)
    q = q.reshape(b, t, heads, qk).transpose(1, 2)  # Shape: [b, heads, t, qk]
    k = k.reshape(b, t, heads, qk).transpose(1, 2)  # Shape: [b, heads, t, qk]
    val = val.reshape(b, t, heads, v).transpose(1, 2)  # Shape: [b, heads, t, v]
    if sdpa:
        mixed = F.scaled_dot_product_attention(q, k, val)  # default scale 1/√qk
    else:
        q = q * (1.0 / math.sqrt(qk))  # scale q, not the logits, as arch/blocks
        probs = (q @ k.transpose(-2, -1)).softmax(dim=-1)  # Shape: [b, heads, t, t]
        mixed = probs @ val  # Shape: [b, heads, t, v]
    mixed = mixed.transpose(1, 2).reshape(b, t, heads * v)
    return x + F.linear(mixed, p["proj_w"], p["proj_b"])


def mlp(x, p):
    """x + fc2(GELU(fc1(LayerNorm(x)))), exact (erf) GELU.

    Shape: x [batch, tokens, emb] → [batch, tokens, emb]
    """
    xn = F.layer_norm(x, (x.shape[-1],), p["norm_w"], p["norm_b"], LAYER_NORM_EPS)
    return x + F.linear(F.gelu(F.linear(xn, p["fc1_w"], p["fc1_b"])), p["fc2_w"], p["fc2_b"])


def block(x, attn_p, mlp_p, blk, sdpa):
    """One transformer block; heads 0 or MLP 0 leaves that sub-block out."""
    if blk["heads"] > 0:
        x = attention(x, attn_p, blk["heads"], blk["qk"], blk["v"], sdpa)
    if blk["mlp"] > 0:
        x = mlp(x, mlp_p)
    return x


def model(images, p, g, blocks, sdpa):
    """A whole ViT: patch embedding, tokens, blocks, final norm, head(s).

    blocks is a list of (dims, attention params, MLP params).
    Shape: images [batch, channels, image, image] → [batch, classes]
    """
    b = images.shape[0]
    x = F.conv2d(images, p["patch_w"], p["patch_b"], stride=g.patch)  # Shape: [b, emb, n, n]
    x = x.flatten(2).transpose(1, 2)  # Shape: [b, patches, emb]
    emb = x.shape[-1]
    parts = [p["cls"].expand(b, 1, emb)]
    if g.extra_tokens == 2:
        parts.append(p["dist"].expand(b, 1, emb))
    x = torch.cat(parts + [x], dim=1) + p["pos"]  # Shape: [b, tokens, emb]
    for blk, attn_p, mlp_p in blocks:
        x = block(x, attn_p, mlp_p, blk, sdpa)
    # LayerNorm acts per token: normalising the extra tokens only is the same.
    t = F.layer_norm(x[:, :g.extra_tokens], (emb,), p["norm_w"], p["norm_b"], LAYER_NORM_EPS)
    logits = F.linear(t[:, 0], p["head_w"], p["head_b"])
    if g.extra_tokens == 2:
        logits = (logits + F.linear(t[:, 1], p["head_dist_w"], p["head_dist_b"])) * 0.5
    return logits


def from_blocks(kind, named, prefix="", geometry=None):
    """PyTorch parameters from arch/blocks' variables (blocks.Layout names).

    named maps a variable's path ("norm1/scale", "attn/q/weights",
    "block_00/mlp/fc1/weights", "patch_embed/weights", ...) to a tensor in
    arch/blocks' layout; prefix is put before each path. kind is "attn",
    "mlp" or "rest" (the parameters outside the blocks, of a Geometry).
    """
    def get(name):
        return named[prefix + name]

    if kind == "attn":
        emb = get("attn/q/weights").shape[0]
        q, k, v = (get("attn/%s/weights" % s).reshape(emb, -1) for s in "qkv")
        proj = get("attn/proj/weights")  # Shape: [heads, v, emb]
        return {
            "norm_w": get("norm1/scale"), "norm_b": get("norm1/offset"),
            "qkv_w": torch.cat([q, k, v], dim=1).t().contiguous(),
            "qkv_b": torch.cat([get("attn/%s/biases" % s).reshape(-1) for s in "qkv"]),
            "proj_w": proj.reshape(-1, proj.shape[-1]).t().contiguous(), "proj_b": get("attn/proj/biases"),
        }
    if kind == "mlp":
        return {
            "norm_w": get("norm2/scale"), "norm_b": get("norm2/offset"),
            "fc1_w": get("mlp/fc1/weights").t().contiguous(), "fc1_b": get("mlp/fc1/biases"),
            "fc2_w": get("mlp/fc2/weights").t().contiguous(), "fc2_b": get("mlp/fc2/biases"),
        }
    if kind == "rest":
        pw = get("patch_embed/weights")  # Shape: [channels·patch·patch, emb], rows (c, i, j)
        emb = pw.shape[1]
        p = {
            "patch_w": pw.t().reshape(emb, geometry.channels, geometry.patch, geometry.patch).contiguous(),
            "patch_b": get("patch_embed/biases"),
            "cls": get("cls_token").reshape(1, 1, emb),
            "pos": get("pos_embed").reshape(1, -1, emb),
            "norm_w": get("norm/scale"), "norm_b": get("norm/offset"),
            "head_w": get("head/weights").t().contiguous(), "head_b": get("head/biases"),
        }
        if geometry.extra_tokens == 2:
            p["dist"] = get("dist_token").reshape(1, 1, emb)
            p["head_dist_w"] = get("head_dist/weights").t().contiguous()
            p["head_dist_b"] = get("head_dist/biases")
        return p
    raise ValueError("from_blocks: unknown kind %r" % kind)


# ---------------------------------------------------------------------------
# Measuring: the header's settings, the stacks of one configuration.

class Geometry:
    """The input geometry of a table header (tablefmt.Header.Geometry)."""

    def __init__(self, h):
        self.image, self.patch = h.get("image", 0), h.get("patch", 0)
        self.channels, self.classes = h.get("channels", 0), h.get("classes", 0)
        self.tokens = h.get("tokens", 0)
        n = self.image // self.patch if self.patch > 0 else 0
        self.patches = n * n
        self.extra_tokens = self.tokens - self.patches

    def validate(self):
        for name in ("image", "patch", "channels", "classes"):
            if getattr(self, name) <= 0:
                raise RunnerError("geometry: %s must be positive, got %d" % (name, getattr(self, name)))
        if self.image % self.patch:
            raise RunnerError("geometry: patch size %d does not divide image size %d" % (self.patch, self.image))
        if self.extra_tokens not in (1, 2):
            raise RunnerError("geometry: %d tokens of %d patches: extra tokens must be 1 (cls) or 2 (cls + dist)"
                              % (self.tokens, self.patches))


def row_key(row):
    """A row's configuration as tablefmt.Row.Key writes it."""
    kind = row.get("kind")
    if kind == "attn":
        return "attn emb=%d heads=%d qk=%d v=%d" % tuple(row.get(k, 0) for k in ("emb", "heads", "qk", "v"))
    if kind == "mlp":
        return "mlp emb=%d mlp=%d" % (row.get("emb", 0), row.get("mlp", 0))
    if kind == "block":
        return "block emb=%d heads=%d qk=%d v=%d mlp=%d" % tuple(
            row.get(k, 0) for k in ("emb", "heads", "qk", "v", "mlp"))
    if kind == "rest":
        return "rest emb=%d" % row.get("emb", 0)
    if kind == "model":
        d = row.get("dim") or {}
        return "model emb=%s heads=%s qk=%s v=%s mlp=%s" % (
            d.get("EMB"), d.get("head"), d.get("QK"), d.get("V"), d.get("MLP"))
    return "%s row" % kind


def row_blocks(row):
    """The blocks a row measures, as dicts of heads, qk, v and mlp, and its EMB."""
    kind = row.get("kind")
    dims = {k: row.get(k, 0) for k in ("heads", "qk", "v", "mlp")}
    emb = row.get("emb", 0)
    if kind == "attn":
        dims["mlp"] = 0
        if min(dims["heads"], dims["qk"], dims["v"]) <= 0:
            raise RunnerError("attn row: heads, qk and v must be positive")
    elif kind == "mlp":
        dims.update(heads=0, qk=0, v=0)
        if dims["mlp"] <= 0:
            raise RunnerError("mlp row: mlp must be positive")
    elif kind == "block":
        if min(dims.values()) < 0 or (dims["heads"] > 0 and min(dims["qk"], dims["v"]) <= 0):
            raise RunnerError("block row: dimensions must not be negative, qk and v positive with heads")
    elif kind == "rest":
        return emb, []
    elif kind == "model":
        d = row.get("dim")
        if not d:
            raise RunnerError("model row without dim")
        lists = [d.get(k) or [] for k in ("head", "QK", "V", "MLP")]
        if len({len(x) for x in lists}) != 1 or not lists[0]:
            raise RunnerError("model row: dim's per-block lists differ in length or are empty")
        emb = d.get("EMB", 0)
        blocks = [dict(heads=h, qk=qk, v=v, mlp=m) for h, qk, v, m in zip(*lists)]
        for blk in blocks:
            if min(blk.values()) < 0 or (blk["heads"] > 0 and min(blk["qk"], blk["v"]) <= 0):
                raise RunnerError("model row: invalid block %s" % blk)
        if emb <= 0:
            raise RunnerError("model row: EMB must be positive")
        return emb, blocks
    else:
        raise RunnerError("cannot measure %r rows" % kind)
    if emb <= 0:
        raise RunnerError("%s row: emb must be positive" % kind)
    return emb, [dims]


def carve(specs, dtype, device, gen):
    """Tensors of the given (name, shape, init) specs, cut from one buffer.

    One normal draw fills every weight (std INIT_STD, as arch/blocks'
    initialiser), norms' scales are ones and biases zeros; each tensor starts
    at a 64-element boundary, as allocations are aligned.
    """
    offsets, total = [], 0
    for _, shape, _ in specs:
        n = math.prod(shape)
        offsets.append(total)
        total += (n + 63) // 64 * 64
    buf = torch.empty(max(total, 1), dtype=torch.float32, device=device)
    buf.normal_(0.0, INIT_STD, generator=gen)
    for (_, shape, init), off in zip(specs, offsets):
        if init != "normal":
            buf[off:off + math.prod(shape)].fill_(1.0 if init == "ones" else 0.0)
    buf = buf.to(dtype)
    return {name: buf[off:off + math.prod(shape)].view(shape) for (name, shape, _), off in zip(specs, offsets)}


def sine_input(shape, dtype, device):
    """sin of each element's index: deterministic and not constant (as the harness's input)."""
    n = math.prod(shape)
    return torch.sin(torch.arange(n, dtype=torch.float32, device=device)).reshape(shape).to(dtype)


class Stack:
    """depth copies of a configuration's unit, each with its own weights.

    Blocks are chained; whole models run side by side on the same images
    (as profiler's compile does). The result is summed into one float32.
    """

    def __init__(self, m, row, depth, seed):
        self.fn = None
        emb, blocks = row_blocks(row)
        kind, g, sdpa = row["kind"], m.geometry, m.sdpa
        gen = torch.Generator(device=m.device)
        gen.manual_seed(seed)
        specs = []
        for c in range(depth):
            for i, blk in enumerate(blocks):
                if blk["heads"] > 0:
                    specs += [("c%d.b%d.a.%s" % (c, i, n), s, init)
                              for n, s, init in attention_shapes(emb, blk["heads"], blk["qk"], blk["v"])]
                if blk["mlp"] > 0:
                    specs += [("c%d.b%d.m.%s" % (c, i, n), s, init) for n, s, init in mlp_shapes(emb, blk["mlp"])]
            if kind in ("rest", "model"):
                specs += [("c%d.r.%s" % (c, n), s, init) for n, s, init in rest_shapes(g, emb)]
        flat = carve(specs, m.dtype, m.device, gen)

        def params(prefix):
            return {k[len(prefix):]: t for k, t in flat.items() if k.startswith(prefix)}

        copies = []
        for c in range(depth):
            bl = [(blk, params("c%d.b%d.a." % (c, i)), params("c%d.b%d.m." % (c, i))) for i, blk in enumerate(blocks)]
            copies.append((bl, params("c%d.r." % c)))
        if kind in ("rest", "model"):
            self.x = sine_input((m.batch, g.channels, g.image, g.image), m.dtype, m.device)

            def fn(x):
                total = None
                for bl, rest in copies:
                    s = model(x, rest, g, bl, sdpa).float().sum()
                    total = s if total is None else total + s
                return total
        else:
            self.x = sine_input((m.batch, g.tokens, emb), m.dtype, m.device)

            def fn(x):
                for bl, _ in copies:
                    for blk, attn_p, mlp_p in bl:
                        x = block(x, attn_p, mlp_p, blk, sdpa)
                return x.float().sum()
        self.fn = torch.compile(fn) if m.compile else fn

    def run(self):
        with torch.inference_mode():
            self.fn(self.x)


class Settings:
    """A table header's settings, checked as NewGoMLXMeasurer checks them
    (without torch, so that a bad header is answered at once)."""

    def __init__(self, header, retries):
        self.dtype_name = DTYPES.get(str(header.get("dtype", "")).lower())
        if self.dtype_name is None:
            raise RunnerError("unknown dtype %r: want float32, bfloat16 or float16" % header.get("dtype"))
        method = header.get("method") or {}
        if method.get("name") != "differential" or len(method.get("depths") or []) != 2:
            raise RunnerError("method %r with depths %r: want differential with two depths"
                              % (method.get("name"), method.get("depths")))
        self.depths = tuple(method["depths"])
        if not 0 < self.depths[0] < self.depths[1]:
            raise RunnerError("depths %r: want two increasing positive depths" % (list(self.depths),))
        self.batch = header.get("batch", 0)
        if self.batch < 1:
            raise RunnerError("batch must be positive, got %d" % self.batch)
        self.geometry = Geometry(header)
        self.geometry.validate()
        self.timing = TimingOptions(method.get("warmup", 0), method.get("samples", 0),
                                    method.get("noise_threshold", 0), retries, method.get("estimator", ""))
        self.timing.validate()
        self.clock = method.get("clock") or "wall"
        if self.clock not in ("wall", "cpu"):
            raise RunnerError("unknown clock %r: want wall or cpu" % self.clock)


class Measurer:
    """Measures configurations under one table header on one device."""

    def __init__(self, opts, settings):
        self.opts = opts
        self.depths, self.batch, self.geometry = settings.depths, settings.batch, settings.geometry
        self.timing, self.dtype_name = settings.timing, settings.dtype_name
        self.clock = settings.clock
        if self.clock == "cpu" and opts.device.split(":")[0] != "cpu":
            raise RunnerError("the CPU clock times a CPU, not %s" % opts.device)
        # On a CPU with the CPU clock, --gate counts only samples taken at full speed.
        self.gate = SpeedGate() if self.clock == "cpu" and getattr(opts, "gate", False) else None
        self.dtype = getattr(torch, settings.dtype_name)
        self.device, self.kind = opts.device, opts.device.split(":")[0]
        self.sdpa, self.compile = opts.attention == "sdpa", opts.compile
        self.prepared = None
        # Where the time went, for the log line at the end.
        self.configs, self.prepare_s, self.time_s = 0, 0.0, 0.0
        self.rounds = {}
        self.probe()

    def probe(self):
        """Runs a tiny block in the dtype on the device, so that an unsupported
        combination fails the hello rather than every configuration."""
        row = {"kind": "block", "emb": 8, "heads": 2, "qk": 4, "v": 2, "mlp": 8}
        try:
            saved, self.compile = self.compile, False
            Stack(self, row, 1, 0).run()
        except Exception as e:  # noqa: BLE001 - any failure means this combination is unusable
            raise RunnerError("torch %s cannot run %s on %s: %s" % (torch.__version__, self.dtype_name, self.device,
                                                                    one_line(e)))
        finally:
            self.compile = saved

    def hello(self):
        h = {"nvitprof_runner": PROTOCOL, "device_name": device_name(self.opts), "runtime": "pytorch",
             "backend": self.opts.attention + ("+compile" if self.compile else ""), "version": torch.__version__}
        h["device_kind"] = self.kind  # the sweep's defaults follow it
        return h

    def release(self):
        self.prepared = None
        if self.kind == "cuda":
            torch.cuda.empty_cache()

    def prepare(self, row):
        self.release()
        start = time.perf_counter()
        depths = MODEL_DEPTHS if row.get("kind") in ("rest", "model") else self.depths
        # Seeds differ between the depths: every copy of either stack has its own weights.
        stacks = [Stack(self, row, d, seed) for d, seed in zip(depths, (1, 2))]
        if self.compile:
            for s in stacks:
                s.run()  # compiles
        self.prepared = (row, depths, stacks)
        self.prepare_s += time.perf_counter() - start

    def time(self):
        if self.prepared is None:
            raise RunnerError("time without a prepared configuration")
        row, depths, stacks = self.prepared
        self.prepared = None
        time_once = self.time_cuda if self.kind == "cuda" else (time_process if self.clock == "cpu" else time_cpu)
        start = time.perf_counter()
        gc.disable()  # no collection inside a timed execution
        try:
            t = time_differential(stacks[0].run, stacks[1].run, depths[0], depths[1], self.timing, time_once, gate=self.gate)
        finally:
            gc.enable()
        self.time_s += time.perf_counter() - start
        self.configs += 1
        self.rounds[t.tries] = self.rounds.get(t.tries, 0) + 1
        return timing_reply(t, self.timing.estimator, depths)

    def summary(self):
        """Where the time went: preparing, timing, and how many rounds the timings took."""
        rounds = ", ".join("%d×%d" % (n, k) for k, n in sorted(self.rounds.items()))
        return "%d configurations timed: preparing %.1f s, timing %.1f s (configurations × rounds: %s)" % (
            self.configs, self.prepare_s, self.time_s, rounds or "none")

    def time_cuda(self, run):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(self.device)
        start.record()
        run()
        end.record()
        end.synchronize()
        return start.elapsed_time(end)


def time_cpu(run):
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1e3


def time_process(run):
    """Times run by the process's CPU clock (method.clock "cpu"): time other
    programs hold the core does not count."""
    start = time.process_time_ns()
    run()
    return (time.process_time_ns() - start) / 1e6


def one_line(e):
    s = " ".join(str(e).split())
    return "%s: %s" % (type(e).__name__, s[:300]) if s else type(e).__name__


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return " ".join(value.split())
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def blas_library():
    """The BLAS library this process mapped (tables from a reference BLAS and
    from OpenBLAS differ tenfold), or "" when it cannot be told."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return ""
    for p in sorted(paths):
        base = os.path.basename(p).lower()
        if "openblas" in base:
            return "OpenBLAS"
        if "mkl" in base:
            return "MKL"
    for p in sorted(paths):
        if os.path.basename(p).startswith("libblas.so"):
            return "reference BLAS" if "/blas/" in os.path.realpath(p) else os.path.realpath(p)
    return ""


def device_name(opts):
    """What the runner measures on: the GPU's name, or the CPU model with its
    cores, threads and BLAS (the table header's device_name)."""
    if opts.device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(opts.device))
    name = "%s, %d cores, %d thread%s" % (cpu_model(), os.cpu_count() or 0, torch.get_num_threads(),
                                          "" if torch.get_num_threads() == 1 else "s")
    blas = blas_library()
    return name + (", " + blas if blas else "")


# ---------------------------------------------------------------------------
# Options and the protocol loop.

class ArgError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ArgError(message)


def parse_args(argv):
    p = Parser(prog="nvitprof_runner.py", description="nvitprof's PyTorch runner (speaks JSON Lines on stdin/stdout)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1; 0: PyTorch's default)")
    p.add_argument("--attention", default="eager", choices=["eager", "sdpa"],
                   help="eager matmuls, or scaled_dot_product_attention (PyTorch 2.x)")
    p.add_argument("--compile", action="store_true", help="torch.compile each stack (PyTorch 2.x)")
    p.add_argument("--retries", type=int, default=2, help="extra rounds for a noisy measurement (default 2)")
    p.add_argument("--gate", action="store_true",
                   help="with the CPU clock, count only samples a reference loop says ran at full speed (off by default: "
                        "in Python the reference is too noisy to tell the machine's speed at this scale)")
    opts = p.parse_args(argv)
    if opts.threads < 0 or opts.retries < 0:
        raise ArgError("--threads and --retries must not be negative")
    d = opts.device
    if d not in ("auto", "cpu", "cuda") and not (d.startswith("cuda:") and d[5:].isdigit()):
        raise ArgError("--device %r: want auto, cpu, cuda or cuda:N" % d)
    return opts


def load_torch(opts):
    """Imports torch with opts' thread count in force, and resolves the device.

    BLAS libraries read their thread count from the environment when loaded
    (Debian's OpenBLAS ignores torch.set_num_threads), so it is set first.
    """
    global torch, F
    if opts.threads > 0 and opts.device in ("auto", "cpu"):
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(opts.threads)
    try:
        import torch as _torch
        import torch.nn.functional as _F
    except ImportError as e:
        raise RunnerError("cannot import torch in %s: %s (install it: apt-get install python3-torch, "
                          "or pip install torch)" % (sys.executable, e))
    torch, F = _torch, _F
    # torch's thousands of long-lived objects would make every full
    # collection take tens of milliseconds: exempt them.
    gc.collect()
    gc.freeze()
    if opts.device == "auto":
        opts.device = "cuda:0" if torch.cuda.is_available() else "cpu"
    elif opts.device == "cuda":
        opts.device = "cuda:0"
    if opts.device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RunnerError("device %s: torch %s sees no CUDA device" % (opts.device, torch.__version__))
        idx = int(opts.device[5:])
        if idx >= torch.cuda.device_count():
            raise RunnerError("device %s: torch sees %d CUDA device(s)" % (opts.device, torch.cuda.device_count()))
        torch.cuda.set_device(idx)
    elif opts.threads > 0:
        torch.set_num_threads(opts.threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # only settable before the first parallel work
    if opts.attention == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        raise RunnerError("--attention sdpa needs PyTorch >= 2.0 (scaled_dot_product_attention); torch %s has none: "
                          "use --attention eager" % torch.__version__)
    if opts.compile and not hasattr(torch, "compile"):
        raise RunnerError("--compile needs PyTorch >= 2.0 (torch.compile); torch %s has none" % torch.__version__)


class Protocol:
    """Strict JSON Lines on the protocol's output: one object per line."""

    def __init__(self, out):
        self.out = out

    def send(self, obj):
        self.out.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        self.out.flush()


def serve(inp, out, argv):
    """Serves the protocol on text streams inp and out; returns the exit code."""
    proto = Protocol(out)
    line = inp.readline()
    if not line:
        log("no hello on stdin")
        return 1
    try:
        hello = json.loads(line)
        if not isinstance(hello, dict) or not isinstance(hello.get("header"), dict):
            raise ValueError("no header")
    except ValueError:
        proto.send({"nvitprof_runner": PROTOCOL, "error": "first line must be a hello with a header"})
        return 1
    if hello.get("nvitprof_runner") != PROTOCOL:
        proto.send({"nvitprof_runner": PROTOCOL, "error": "this runner speaks protocol %d, nvitprof sent %r"
                    % (PROTOCOL, hello.get("nvitprof_runner"))})
        return 1
    try:
        opts = parse_args(argv)
        settings = Settings(hello["header"], opts.retries)
        load_torch(opts)
        m = Measurer(opts, settings)
    except (ArgError, RunnerError) as e:
        proto.send({"nvitprof_runner": PROTOCOL, "error": "pytorch runner: %s" % e})
        return 1
    info = m.hello()
    proto.send(info)
    log("measuring on %s with torch %s (%s)" % (info["device_name"], torch.__version__, info["backend"]))
    for line in iter(inp.readline, ""):
        rep = handle(m, line)
        proto.send(rep)
    log(m.summary())
    return 0


def handle(m, line):
    """The reply to one request line."""
    try:
        req = json.loads(line)
    except ValueError as e:
        return {"error": "bad request: %s" % e}
    op = req.get("op") if isinstance(req, dict) else None
    if op == "prepare" and isinstance(req.get("row"), dict):
        row = req["row"]
        try:
            m.prepare(row)
            return {"ok": True}
        except Exception as e:  # noqa: BLE001 - any failure fails this configuration only
            m.release()
            return {"error": "prepare %s: %s" % (row_key(row), one_line(e) if not isinstance(e, RunnerError) else e)}
    if op == "time" and m.prepared is not None:
        row = m.prepared[0]
        try:
            return m.time()
        except Exception as e:  # noqa: BLE001
            m.release()
            return {"error": "time %s: %s" % (row_key(row), one_line(e) if not isinstance(e, RunnerError) else e)}
    return {"error": "unexpected request %r" % line.strip()[:80]}


def main():
    # stdout is the protocol's: keep it, and send fd 1 (prints, C libraries'
    # messages) to stderr so that nothing else lands on it.
    proto_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(proto_fd, "w", encoding="utf-8")
    inp = sys.stdin
    return serve(inp, out, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
