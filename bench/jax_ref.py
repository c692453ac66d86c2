#!/usr/bin/env python3
"""JAX reference for nvitprof's graphs: the same ViT sub-block math, timed the
same way (differential stacking with distinct weights per copy), on the same GPU.

Writes JSON lines: {"what": ..., "ms": ...}. Used by bench/gpu.sh.
  forward per block (bfloat16, batch 64, 197 tokens, emb 768): MLP 3072, MLP 256,
    attention 12 heads x qk 64 / v 64 and 12 x 32 / 64, via depths 2 and 10;
  forward and forward+backward of one DeiT-B block in float32 (issue 7's reference).
"""
import json
import sys
import time

import jax
import jax.numpy as jnp

EPS = 1e-6


def layer_norm(x, scale, offset):
    x32 = x.astype(jnp.float32)
    m = x32.mean(-1, keepdims=True)
    v = ((x32 - m) ** 2).mean(-1, keepdims=True)
    return ((x32 - m) / jnp.sqrt(v + EPS) * scale + offset).astype(x.dtype)


def attn_params(key, emb, heads, qk, v, dt):
    k = jax.random.split(key, 4)
    n = lambda kk, shape: (0.02 * jax.random.normal(kk, shape)).astype(dt)
    return dict(s=jnp.ones(emb), o=jnp.zeros(emb),
                q=n(k[0], (emb, heads, qk)), k=n(k[1], (emb, heads, qk)), v=n(k[2], (emb, heads, v)),
                qb=jnp.zeros((heads, qk), dt), kb=jnp.zeros((heads, qk), dt), vb=jnp.zeros((heads, v), dt),
                p=n(k[3], (heads, v, emb)), pb=jnp.zeros(emb, dt))


def attention(p, x):
    h = layer_norm(x, p["s"], p["o"])
    qk = p["q"].shape[-1]
    q = (jnp.einsum("bte,ehk->bthk", h, p["q"]) + p["qb"]) * (qk ** -0.5)
    k = jnp.einsum("bte,ehk->bthk", h, p["k"]) + p["kb"]
    v = jnp.einsum("bte,ehk->bthk", h, p["v"]) + p["vb"]
    logits = jnp.einsum("bthd,bshd->bhts", q, k).astype(jnp.float32)
    probs = jax.nn.softmax(logits, axis=-1).astype(x.dtype)
    ctx = jnp.einsum("bhts,bshv->bthv", probs, v)
    return x + jnp.einsum("bthv,hve->bte", ctx, p["p"]) + p["pb"]


def mlp_params(key, emb, hidden, dt):
    k = jax.random.split(key, 2)
    n = lambda kk, shape: (0.02 * jax.random.normal(kk, shape)).astype(dt)
    return dict(s=jnp.ones(emb), o=jnp.zeros(emb), w1=n(k[0], (emb, hidden)), b1=jnp.zeros(hidden, dt),
                w2=n(k[1], (hidden, emb)), b2=jnp.zeros(emb, dt))


def mlp(p, x):
    h = layer_norm(x, p["s"], p["o"])
    h = jnp.einsum("bte,em->btm", h, p["w1"]) + p["b1"]
    h = jax.nn.gelu(h.astype(jnp.float32), approximate=False).astype(x.dtype)
    return x + jnp.einsum("btm,me->bte", h, p["w2"]) + p["b2"]


def timed(fn, *args, warmup=3, samples=15):
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return ts[len(ts) // 2]


def per_block(make, apply, depths=(2, 10), batch=64, tokens=197, emb=768, dt=jnp.bfloat16):
    x = jnp.sin(jnp.arange(batch * tokens * emb, dtype=jnp.float32)).reshape(batch, tokens, emb).astype(dt)
    times = []
    for d in depths:
        params = [make(jax.random.PRNGKey(i), dt) for i in range(d)]

        @jax.jit
        def stack(params, x):
            for p in params:
                x = apply(p, x)
            return x.astype(jnp.float32).sum()
        times.append(timed(stack, params, x))
    return (times[1] - times[0]) / (depths[1] - depths[0])


def main():
    out = sys.stdout
    dev = jax.devices()[0]
    print(json.dumps({"what": "device", "name": dev.device_kind, "jax": jax.__version__}), file=out, flush=True)
    cases = [
        ("mlp emb=768 mlp=3072", lambda k, dt: mlp_params(k, 768, 3072, dt), mlp),
        ("mlp emb=768 mlp=256", lambda k, dt: mlp_params(k, 768, 256, dt), mlp),
        ("attn emb=768 heads=12 qk=64 v=64", lambda k, dt: attn_params(k, 768, 12, 64, 64, dt), attention),
        ("attn emb=768 heads=12 qk=32 v=64", lambda k, dt: attn_params(k, 768, 12, 32, 64, dt), attention),
    ]
    for name, make, apply in cases:
        ms = per_block(make, apply)
        print(json.dumps({"what": "forward " + name, "ms": ms}), file=out, flush=True)

    # Issue 7: one DeiT-B block, float32, batch 64, loss mean(y^2), gradients of all weights.
    dt = jnp.float32
    pa, pm = attn_params(jax.random.PRNGKey(1), 768, 12, 64, 64, dt), mlp_params(jax.random.PRNGKey(2), 768, 3072, dt)
    x = jnp.sin(jnp.arange(64 * 197 * 768, dtype=jnp.float32)).reshape(64, 197, 768)

    def loss(params, x):
        y = mlp(params[1], attention(params[0], x))
        return jnp.mean(y * y)
    fwd = jax.jit(loss)
    grad = jax.jit(jax.value_and_grad(loss))
    f = timed(fwd, (pa, pm), x)
    fb = timed(grad, (pa, pm), x)
    print(json.dumps({"what": "deit-b block f32 fwd", "ms": f}), file=out, flush=True)
    print(json.dumps({"what": "deit-b block f32 fwd+bwd", "ms": fb, "ratio": fb / f}), file=out, flush=True)


if __name__ == "__main__":
    main()
