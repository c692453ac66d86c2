package testtables

import (
	"hash/fnv"
	"math"
	"strconv"
)

// NViT's axes: the grid of NVlabs/NViT's latency_head.json, in the file's
// order. An MLP width of 0 is a block without MLP (the file's key MLP_1).
var (
	NViTEMB   = []int{256, 512, 768}
	NViTHeads = []int{1, 3, 6, 9, 12}
	NViTQK    = []int{1, 16, 32, 48, 64}
	NViTV     = []int{1, 16, 32, 48, 64}
	NViTMLP   = nvitMLP()
)

func nvitMLP() []int {
	var m []int
	for w := 0; w <= 3072; w += 128 {
		m = append(m, w)
	}
	return m
}

// SynthEntry is one configuration of the synthetic table and its latency.
type SynthEntry struct {
	EMB, Heads, QK, V int
	MLP               int     // 0: no MLP (key MLP_1)
	Seconds           float64 // one block, seconds
}

// NViTSyntheticEntries returns the synthetic table's 9,375 entries in the
// file's order: EMB, heads, QK, V, MLP ascending, MLP varying fastest.
// testdata/nvit_synthetic_latency_head.json is exactly these entries written
// as NViT's latency_head.json (gen.go).
func NViTSyntheticEntries() []SynthEntry {
	var out []SynthEntry
	for _, e := range NViTEMB {
		for _, h := range NViTHeads {
			for _, qk := range NViTQK {
				for _, v := range NViTV {
					for _, m := range NViTMLP {
						out = append(out, SynthEntry{e, h, qk, v, m, SyntheticSeconds(e, h, qk, v, m)})
					}
				}
			}
		}
	}
	return out
}

// The synthetic latency model, in milliseconds. Its constants are sized so
// that the table's magnitudes resemble NViT's V100 table (batch 256, 198
// tokens): about 6.7 ms for the smallest block at EMB 256 and 80 ms for the
// largest at EMB 768. They are not fitted to, and hold no values of, that
// table.
const (
	overheadMS   = 1.5     // fixed per block: launches, residual adds
	perEMBMS     = 0.0167  // per channel of EMB: layer norms, projections' fixed part
	perHeadMS    = 0.87    // per head: scores' softmax over 198 × 198 tokens
	qkFixedMS    = 0.00898 // per QK channel per head, independent of EMB (Q·Kᵀ)
	vFixedMS     = 0.00607 // per V channel per head, independent of EMB (attention · V)
	projPerEMBMS = 7.0e-6  // per QK or V channel per head per EMB channel (projections)
	mlpFixedMS   = 5.6e-3  // per MLP channel, independent of EMB (GELU, bias)
	mlpPerEMBMS  = 8.0e-6  // per MLP channel per EMB channel (the two matmuls)

	// Staircases: a width that is not a multiple of the tile costs as if
	// this fraction of the padding to the next tile were computed.
	headTile, headPad = 32, 0.2   // QK and V per head, tiles of 32
	mlpTile, mlpPad   = 256, 0.25 // MLP, tiles of 256: 128, 384, ... are 0.5-3% slower

	// Kernel dip: with 1 or 3 heads a QK of 48 runs QK 64's kernel padded
	// and pays this fraction more attention time besides, so the table is
	// non-monotone along QK from 48 to 64 there.
	dipFraction = 0.015

	// Pseudo-noise: each entry is scaled by 1 + noiseAmp·u, u uniform in
	// [-1, 1) from a hash of the entry's keys and noiseSeed.
	noiseAmp  = 0.005
	noiseSeed = "nvitprof-synthetic-v1"
)

// SyntheticSeconds is the synthetic latency of one block, in seconds, for
// embedding emb and a block of heads heads of qk and v channels and an MLP
// of width mlp (0: none). It is defined for any positive widths, on NViT's
// grid or off it:
//
//	attention = overhead + perEMB·emb + heads·(perHead + cq(emb)·stair₃₂(qk) + cv(emb)·stair₃₂(v))
//	            (for QK 48 with 1 or 3 heads, the kernel dip: QK 64's attention × (1 + 1.5%))
//	mlp       = (mlpFixed + mlpPerEMB·emb) · stair₂₅₆(mlp)
//	block     = (attention + mlp) · (1 + 0.5%·u(keys)),  rounded to a multiple of 2⁻²³ s
//
// with cq(emb) = qkFixed + projPerEMB·emb, cv(emb) = vFixed + projPerEMB·emb
// and stair_T(w) = w + pad·(⌈w/T⌉·T − w). The rounding gives values of
// NViT's file's precision (its values are multiples of 2⁻²³ s, time.time()
// differences): every value survives × 1e3 ÷ 1e3 exactly, as NViT's do.
func SyntheticSeconds(emb, heads, qk, v, mlp int) float64 {
	e := float64(emb)
	cq := qkFixedMS + projPerEMBMS*e
	cv := vFixedMS + projPerEMBMS*e
	dip := qk == 48 && (heads == 1 || heads == 3)
	if dip {
		qk = 64
	}
	attn := overheadMS + perEMBMS*e +
		float64(heads)*(perHeadMS+cq*stair(qk, headTile, headPad)+cv*stair(v, headTile, headPad))
	if dip {
		attn *= 1 + dipFraction
		qk = 48 // the noise's key
	}
	ms := attn
	if mlp > 0 {
		ms += (mlpFixedMS + mlpPerEMBMS*e) * stair(mlp, mlpTile, mlpPad)
	}
	ms *= 1 + noiseAmp*noise(emb, heads, qk, v, mlp)
	const q = 1 << 23
	return math.Round(ms/1e3*q) / q
}

// stair is w plus pad times the padding of w to the next multiple of tile.
func stair(w, tile int, pad float64) float64 {
	padded := (w + tile - 1) / tile * tile
	return float64(w) + pad*float64(padded-w)
}

// noise is a deterministic value uniform in [-1, 1) from a hash of the
// entry's NViT keys.
func noise(emb, heads, qk, v, mlp int) float64 {
	h := fnv.New64a()
	key := noiseSeed + "/EMB_" + strconv.Itoa(emb) + "/QK_" + strconv.Itoa(heads) + "_" + strconv.Itoa(qk) +
		"/V_" + strconv.Itoa(v) + "/MLP_" + strconv.Itoa(max(mlp, 1))
	h.Write([]byte(key))
	x := mix(h.Sum64())
	return float64(x>>11)/(1<<52) - 1
}

// mix is SplitMix64's finaliser: FNV's low bits alone are poorly spread.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
