package blocks

import (
	"math"

	"github.com/nvitprof/nvitprof/arch"
)

// A plain-Go float64 reference of the ViT, written independently of the
// graph builders from timm's definitions. It reads the weights through a
// lookup function (the same values the graph uses, read out of the context)
// and works on flat row-major slices.

// params returns the flat values of the variable at a path relative to the
// builder's context, e.g. "block_00/attn/q/weights".
type params func(path string) []float64

func refLayerNorm(x []float64, emb int, scale, offset []float64) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x)/emb; r++ {
		row := x[r*emb : (r+1)*emb]
		var mean, variance float64
		for _, v := range row {
			mean += v
		}
		mean /= float64(emb)
		for _, v := range row {
			variance += (v - mean) * (v - mean)
		}
		variance /= float64(emb)
		inv := 1 / math.Sqrt(variance+1e-6)
		for e, v := range row {
			out[r*emb+e] = (v-mean)*inv*scale[e] + offset[e]
		}
	}
	return out
}

// refLinear computes y[r, o] = Σ_i x[r, i]·w[i, o] + b[o] for rows of width in.
func refLinear(x []float64, in, outW int, w, b []float64) []float64 {
	rows := len(x) / in
	y := make([]float64, rows*outW)
	for r := range rows {
		for o := range outW {
			s := b[o]
			for i := range in {
				s += x[r*in+i] * w[i*outW+o]
			}
			y[r*outW+o] = s
		}
	}
	return y
}

// refAttention is x + proj(softmax(Q·Kᵀ·logitScale)·V) with Q, K, V from
// LayerNorm(x); logitScale 0 means 1/√QK (the correct one). prefix is the
// scope of the sub-block ("" or "block_03/").
func refAttention(p params, prefix string, x []float64, batch, tokens, emb int, b arch.Block, logitScale float64) []float64 {
	if b.Heads == 0 {
		return append([]float64(nil), x...)
	}
	h, qk, vw := b.Heads, b.QK, b.V
	if logitScale == 0 {
		logitScale = 1 / math.Sqrt(float64(qk))
	}
	xn := refLayerNorm(x, emb, p(prefix+"norm1/scale"), p(prefix+"norm1/offset"))
	// Projections as linear maps emb → heads·width: [emb, heads, width] is
	// row-major [emb, heads·width], and the result is [batch, tokens, heads, width].
	q := refLinear(xn, emb, h*qk, p(prefix+"attn/q/weights"), p(prefix+"attn/q/biases"))
	k := refLinear(xn, emb, h*qk, p(prefix+"attn/k/weights"), p(prefix+"attn/k/biases"))
	v := refLinear(xn, emb, h*vw, p(prefix+"attn/v/weights"), p(prefix+"attn/v/biases"))
	mixed := make([]float64, batch*tokens*h*vw) // [batch, tokens, heads, v]
	logits := make([]float64, tokens)
	for bi := range batch {
		for hi := range h {
			for t := range tokens {
				maxL := math.Inf(-1)
				for s := range tokens {
					var dot float64
					for d := range qk {
						dot += q[((bi*tokens+t)*h+hi)*qk+d] * k[((bi*tokens+s)*h+hi)*qk+d]
					}
					logits[s] = dot * logitScale
					maxL = max(maxL, logits[s])
				}
				var sum float64
				for s := range tokens {
					logits[s] = math.Exp(logits[s] - maxL)
					sum += logits[s]
				}
				for s := range tokens {
					prob := logits[s] / sum
					for d := range vw {
						mixed[((bi*tokens+t)*h+hi)*vw+d] += prob * v[((bi*tokens+s)*h+hi)*vw+d]
					}
				}
			}
		}
	}
	// Output projection [heads, v, emb] is row-major [heads·v, emb].
	out := refLinear(mixed, h*vw, emb, p(prefix+"attn/proj/weights"), p(prefix+"attn/proj/biases"))
	for i := range out {
		out[i] += x[i]
	}
	return out
}

func refGELU(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// refMLP is x + fc2(GELU(fc1(LayerNorm(x)))).
func refMLP(p params, prefix string, x []float64, emb, hidden int) []float64 {
	if hidden == 0 {
		return append([]float64(nil), x...)
	}
	xn := refLayerNorm(x, emb, p(prefix+"norm2/scale"), p(prefix+"norm2/offset"))
	hid := refLinear(xn, emb, hidden, p(prefix+"mlp/fc1/weights"), p(prefix+"mlp/fc1/biases"))
	for i, v := range hid {
		hid[i] = refGELU(v)
	}
	out := refLinear(hid, hidden, emb, p(prefix+"mlp/fc2/weights"), p(prefix+"mlp/fc2/biases"))
	for i := range out {
		out[i] += x[i]
	}
	return out
}

func refBlock(p params, prefix string, x []float64, batch, tokens, emb int, b arch.Block) []float64 {
	return refMLP(p, prefix, refAttention(p, prefix, x, batch, tokens, emb, b, 0), emb, b.MLP)
}

// refModel maps NCHW images [batch, channels, image, image] to logits [batch, classes].
func refModel(p params, images []float64, batch int, s arch.Spec) []float64 {
	c, im, ps, e := s.Channels, s.Image, s.Patch, s.EMB
	n := im / ps
	tokens := s.Tokens()
	// Patch embedding: a P×P convolution with stride P, kernel rows ordered
	// (channel, row, column) as timm's conv weight [emb, c, p, p].
	pw, pb := p("patch_embed/weights"), p("patch_embed/biases")
	x := make([]float64, batch*tokens*e)
	cls, pos := p("cls_token"), p("pos_embed")
	var dist []float64
	if s.Distilled() {
		dist = p("dist_token")
	}
	for bi := range batch {
		row := func(t int) []float64 { return x[(bi*tokens+t)*e : (bi*tokens+t+1)*e] }
		copy(row(0), cls)
		if s.Distilled() {
			copy(row(1), dist)
		}
		for py := range n {
			for px := range n {
				out := row(s.ExtraTokens + py*n + px)
				for o := range e {
					sum := pb[o]
					for ci := range c {
						for i := range ps {
							for j := range ps {
								pix := images[((bi*c+ci)*im+py*ps+i)*im+px*ps+j]
								sum += pix * pw[((ci*ps+i)*ps+j)*e+o]
							}
						}
					}
					out[o] = sum
				}
			}
		}
		for t := range tokens {
			for o := range e {
				row(t)[o] += pos[t*e+o]
			}
		}
	}
	for i, b := range s.Blocks {
		x = refBlock(p, BlockScope(i)+"/", x, batch, tokens, e, b)
	}
	x = refLayerNorm(x, e, p("norm/scale"), p("norm/offset"))
	token := func(t int) []float64 {
		out := make([]float64, 0, batch*e)
		for bi := range batch {
			out = append(out, x[(bi*tokens+t)*e:(bi*tokens+t+1)*e]...)
		}
		return out
	}
	logits := refLinear(token(0), e, s.Classes, p("head/weights"), p("head/biases"))
	if s.Distilled() {
		d := refLinear(token(1), e, s.Classes, p("head_dist/weights"), p("head_dist/biases"))
		for i := range logits {
			logits[i] = (logits[i] + d[i]) / 2
		}
	}
	return logits
}
