#!/usr/bin/env python3
"""Cross-checks `nvitprof infer` against PyTorch, outside `go test`.

Builds two small ViTs in PyTorch with random weights and writes them as
safetensors, then compares their logits on nvitprof's fixed input with what
`nvitprof infer --logits -` prints:

  nvit: NViT's pruned model class, DistilledVisionTransformer_small of
        NVlabs/NViT nvit/models.py (commit 48feca4), rebuilt here module for
        module with its state_dict names (attn.qkv.Q/K/V, attn.qkv.token_mask,
        attn.proj.proj, the (p1 p2 c) patch kernel) and its forward (attention
        scaled by 64**-0.5 whatever QK is, models.py:66; the two heads
        averaged as its engine.evaluate does). 224x224 RGB, 198 tokens, as
        NViT's class hard-codes; per-block heads/QK/V/MLP with QK != 64.
        nvitprof reads it with --format nvit and --arch (NViT's dim).
  timm: a plain (non-distilled) timm-style DeiT block stack (fused qkv,
        QK**-0.5), read by nvitprof with the architecture off the tensors and
        --heads only: no architecture file, no "extra_tokens".

Needs PyTorch (Debian's python3-torch works: /usr/bin/python3) and Go.
Usage: /usr/bin/python3 bench/infer_check.py [--nvitprof BIN]
Prints one JSON line per model: the largest relative logit difference.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn


def save_safetensors(path, tensors):
    """Writes float32 tensors in the safetensors format (no library needed)."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def fixed_image(c, size):
    """nvitprof's fixed input (pruner.FixedImage)."""
    i = torch.arange(c * size * size)
    return ((i * 7919) % 1024).float().div(512).sub(1).reshape(1, c, size, size)


class Mlp(nn.Module):  # timm's Mlp: fc1, exact GELU, fc2
    def __init__(self, emb, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(emb, hidden), nn.GELU(), nn.Linear(hidden, emb)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class NViTQKV(nn.Module):  # QKV_s, models.py:19-32
    def __init__(self, emb, qk, v, tokens):
        super().__init__()
        self.Q, self.K, self.V = nn.Linear(emb, qk), nn.Linear(emb, qk), nn.Linear(emb, v)
        self.token_mask = nn.Parameter(torch.ones(tokens, 1))

    def forward(self, x):
        return self.Q(x) * self.token_mask, self.K(x) * self.token_mask, self.V(x) * self.token_mask


class NViTProj(nn.Module):  # PROJ, models.py:46-57
    def __init__(self, v, emb):
        super().__init__()
        self.v, self.proj = v, nn.Linear(v, emb)

    def forward(self, attn, v):
        b, _, n, _ = v.shape
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, self.v))


class NViTAttention(nn.Module):  # Attention, models.py:59-84
    def __init__(self, emb, qk, v, heads, tokens):
        super().__init__()
        self.heads, self.scale = heads, 64 ** -0.5
        self.qkv, self.proj = NViTQKV(emb, qk, v, tokens), NViTProj(v, emb)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(x)
        split = lambda t: t.reshape(b, n, self.heads, t.shape[2] // self.heads).permute(0, 2, 1, 3)
        q, k, v = split(q), split(k), split(v)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj(attn, v)


class TimmAttention(nn.Module):  # timm's Attention with per-block widths
    def __init__(self, emb, qk, v, heads):
        super().__init__()
        self.heads, self.qkw, self.vw = heads, qk, v
        self.qkv, self.proj = nn.Linear(emb, heads * (2 * qk + v)), nn.Linear(heads * v, emb)

    def forward(self, x):
        b, n, _ = x.shape
        h, a, c = self.heads, self.qkw, self.vw
        q, k, v = self.qkv(x).split([h * a, h * a, h * c], dim=-1)
        split = lambda t, w: t.reshape(b, n, h, w).permute(0, 2, 1, 3)
        q, k, v = split(q, a), split(k, a), split(v, c)
        attn = ((q @ k.transpose(-2, -1)) * a ** -0.5).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, h * c))


class Block(nn.Module):  # timm's pre-norm block
    def __init__(self, emb, attn, mlp):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(emb, eps=1e-6), attn
        self.norm2, self.mlp = nn.LayerNorm(emb, eps=1e-6), Mlp(emb, mlp)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class NViTPatchEmbed(nn.Module):  # PatchEmbed, models.py:137-160
    def __init__(self, patch, emb, chans=3):
        super().__init__()
        self.p, self.proj = patch, nn.Conv2d(chans * patch * patch, emb, kernel_size=1)

    def forward(self, x):
        b, c, hh, ww = x.shape
        p = self.p
        # einops 'b c (h p1) (w p2) -> b (p1 p2 c) h w'
        x = x.reshape(b, c, hh // p, p, ww // p, p).permute(0, 3, 5, 1, 2, 4).reshape(b, p * p * c, hh // p, ww // p)
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmPatchEmbed(nn.Module):
    def __init__(self, patch, emb, chans):
        super().__init__()
        self.proj = nn.Conv2d(chans, emb, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, patch_embed, emb, tokens, blocks, classes, distilled):
        super().__init__()
        self.patch_embed = patch_embed
        self.cls_token = nn.Parameter(torch.randn(1, 1, emb) * 0.5)
        if distilled:
            self.dist_token = nn.Parameter(torch.randn(1, 1, emb) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, emb) * 0.5)
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(emb, eps=1e-6)
        self.head = nn.Linear(emb, classes)
        self.head_dist = nn.Linear(emb, classes) if distilled else None

    def forward(self, x):
        x = self.patch_embed(x)
        extra = [self.cls_token.expand(x.shape[0], -1, -1)]
        if self.head_dist is not None:
            extra.append(self.dist_token.expand(x.shape[0], -1, -1))
        x = torch.cat(extra + [x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        heads = {"head": self.head(x[:, 0])}
        if self.head_dist is not None:
            heads["head_dist"] = self.head_dist(x[:, 1])
        return heads


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("token_mask"):
                continue
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 if p.dim() < 2 else 1 / math.sqrt(p.shape[-1] if p.dim() == 2 else p[0].numel())))
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.add_(1)


def nvit_model():
    emb, dims = 32, {"EMB": 32, "head": [2, 3], "QK": [8, 16], "V": [12, 8], "MLP": [48, 40]}
    blocks = [Block(emb, NViTAttention(emb, qk * h, v * h, h, 198), m)
              for h, qk, v, m in zip(dims["head"], dims["QK"], dims["V"], dims["MLP"])]
    m = ViT(NViTPatchEmbed(16, emb), emb, 198, blocks, 10, True)
    arch = dict(dims, image=224, patch=16, channels=3, classes=10, extra_tokens=2)
    return m, arch, ["--format", "nvit"], 3, 224


def timm_model():
    emb, heads = 24, [3, 2]
    blocks = [Block(emb, TimmAttention(emb, 8, 8, heads[0]), 96), Block(emb, TimmAttention(emb, 4, 12, heads[1]), 64)]
    m = ViT(TimmPatchEmbed(4, emb, 3), emb, 65, blocks, 7, False)
    return m, None, ["--format", "timm", "--heads", ",".join(map(str, heads))], 3, 32


def check(name, build, nvitprof, tmp):
    model, arch, flags, chans, size = build()
    randomize(model, 1)
    model.eval()
    with torch.no_grad():
        want = model(fixed_image(chans, size))
    path = os.path.join(tmp, name + ".safetensors")
    save_safetensors(path, model.state_dict())
    cmd = nvitprof + ["infer", "--weights", path, "--logits", "-", "--device", "cpu"] + flags
    if arch is not None:
        with open(os.path.join(tmp, name + ".json"), "w") as f:
            json.dump(arch, f)
        cmd += ["--arch", os.path.join(tmp, name + ".json")]
    got = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    worst = 0.0
    for h in got["heads"]:
        w = want[h["name"]][0]
        g = torch.tensor(h["logits"])
        worst = max(worst, float((g - w).abs().max() / w.abs().max()))
    if len(want) == 2:
        out = (want["head"] + want["head_dist"])[0] / 2
        worst = max(worst, float((torch.tensor(got["output"]) - out).abs().max() / out.abs().max()))
    return {"model": name, "torch": torch.__version__, "heads": [h["name"] for h in got["heads"]],
            "max_rel_diff": worst, "ok": worst < 1e-5}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nvitprof", default="go run ./cmd/nvitprof", help="how to run nvitprof (default: go run ./cmd/nvitprof)")
    args = ap.parse_args()
    torch.manual_seed(0)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("nvit", nvit_model), ("timm", timm_model)):
            r = check(name, build, args.nvitprof.split(), tmp)
            print(json.dumps(r))
            ok = ok and r["ok"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
