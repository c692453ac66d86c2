package pruner

import (
	"fmt"
	"math"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// axisRole says which prunable unit an index along one axis of a variable
// belongs to: a dimension (EMB, heads, QK, V, MLP) and, for the per-block
// dimensions, the block. Dim "" marks an axis no unit owns (patch pixels,
// tokens, classes).
type axisRole struct {
	Dim   arch.Dimension
	Block int
}

var noRole = axisRole{}

// roles lists, for every variable of s's layout, the role of each axis:
// which unit owns each slice of it. A unit owns every parameter whose index
// along an axis of its role is the unit's index; an EMB channel thus owns
// its column or row in every matrix, its norm entries, its token and
// position-embedding entries and its row of the classifier; a head its
// slices of q, k, v (and their biases) and proj; a QK dimension (head
// alignment: the same index in every head of the block) its slice of q and
// k; a V dimension its slice of v and proj; an MLP neuron its fc1 column and
// bias and its fc2 row.
func roles(s arch.Spec) map[string][]axisRole {
	emb := axisRole{Dim: arch.DimEMB}
	out := map[string][]axisRole{}
	for _, v := range blocks.Layout(s) {
		p := v.Path()
		var r []axisRole
		switch {
		case p == "patch_embed/weights":
			r = []axisRole{noRole, emb}
		case p == blocks.VarPosEmbed:
			r = []axisRole{noRole, emb}
		case p == "head/weights" || p == "head_dist/weights":
			r = []axisRole{emb, noRole}
		case p == "head/biases" || p == "head_dist/biases":
			r = []axisRole{noRole}
		case len(v.Scope) >= 1 && len(v.Scope[0]) > 6 && v.Scope[0][:6] == "block_":
			var b int
			fmt.Sscanf(v.Scope[0], "block_%d", &b)
			h := axisRole{arch.DimHeads, b}
			qk := axisRole{arch.DimQK, b}
			vv := axisRole{arch.DimV, b}
			m := axisRole{arch.DimMLP, b}
			switch rest := v.Path()[len(v.Scope[0])+1:]; rest {
			case "attn/q/weights", "attn/k/weights":
				r = []axisRole{emb, h, qk}
			case "attn/q/biases", "attn/k/biases":
				r = []axisRole{h, qk}
			case "attn/v/weights":
				r = []axisRole{emb, h, vv}
			case "attn/v/biases":
				r = []axisRole{h, vv}
			case "attn/proj/weights":
				r = []axisRole{h, vv, emb}
			case "mlp/fc1/weights":
				r = []axisRole{emb, m}
			case "mlp/fc1/biases":
				r = []axisRole{m}
			case "mlp/fc2/weights":
				r = []axisRole{m, emb}
			default: // norms, proj and fc2 biases: [emb]
				r = []axisRole{emb}
			}
		default: // patch bias, tokens, final norm: [emb]
			r = []axisRole{emb}
		}
		if len(r) != len(v.Dims) {
			panic(fmt.Sprintf("pruner: roles of %s: %d roles for shape %v", p, len(r), v.Dims))
		}
		out[p] = r
	}
	return out
}

// PerUnit holds one number per prunable unit of a model: per EMB channel,
// and per block per head, QK dimension, V dimension and MLP neuron.
type PerUnit struct {
	EMB               []float64
	Heads, QK, V, MLP [][]float64 // [block][unit]
}

// NewPerUnit returns zeros shaped like s's units (QK and V are empty in a
// block without heads).
func NewPerUnit(s arch.Spec) *PerUnit {
	p := &PerUnit{EMB: make([]float64, s.EMB)}
	for _, b := range s.Blocks {
		qk, v := b.QK, b.V
		if b.Heads == 0 {
			qk, v = 0, 0
		}
		p.Heads = append(p.Heads, make([]float64, b.Heads))
		p.QK = append(p.QK, make([]float64, qk))
		p.V = append(p.V, make([]float64, v))
		p.MLP = append(p.MLP, make([]float64, b.MLP))
	}
	return p
}

// Of returns the slice of dimension d (block b for per-block dimensions).
func (p *PerUnit) Of(d arch.Dimension, b int) []float64 {
	switch d {
	case arch.DimEMB:
		return p.EMB
	case arch.DimHeads:
		return p.Heads[b]
	case arch.DimQK:
		return p.QK[b]
	case arch.DimV:
		return p.V[b]
	case arch.DimMLP:
		return p.MLP[b]
	}
	panic("pruner: unknown dimension " + string(d))
}

// each calls fn for every slice of p with its dimension and block (block −1
// for EMB).
func (p *PerUnit) each(fn func(d arch.Dimension, b int, v []float64)) {
	fn(arch.DimEMB, -1, p.EMB)
	for b := range p.Heads {
		fn(arch.DimHeads, b, p.Heads[b])
		fn(arch.DimQK, b, p.QK[b])
		fn(arch.DimV, b, p.V[b])
		fn(arch.DimMLP, b, p.MLP[b])
	}
}

// unitSums adds, for every unit, the sum of prod over the parameters it owns:
// prod holds one value per parameter, in w's layout (e.g. w·∂L/∂w).
func unitSums(s arch.Spec, prod map[string][]float32) *PerUnit {
	out := NewPerUnit(s)
	rs := roles(s)
	for _, v := range blocks.Layout(s) {
		vals := prod[v.Path()]
		r := rs[v.Path()]
		dims := v.Dims
		strides := make([]int, len(dims))
		st := 1
		for a := len(dims) - 1; a >= 0; a-- {
			strides[a] = st
			st *= dims[a]
		}
		for a, role := range r {
			if role == noRole {
				continue
			}
			dst := out.Of(role.Dim, role.Block)
			// Sum over every axis but a.
			outer, inner := 1, strides[a]
			for k := range a {
				outer *= dims[k]
			}
			n := dims[a]
			for o := range outer {
				base := o * n * inner
				for u := range n {
					var sum float64
					for _, x := range vals[base+u*inner : base+(u+1)*inner] {
						sum += float64(x)
					}
					dst[u] += sum
				}
			}
		}
	}
	return out
}

// Keep lists the units that stay, by index into the current model: EMB
// channels, and per block the heads, the QK and V dimensions (shared by all
// heads of the block) and the MLP neurons. Indices are sorted.
type Keep struct {
	EMB   []int
	Heads [][]int
	QK    [][]int
	V     [][]int
	MLP   [][]int
}

// KeepAll keeps every unit of s.
func KeepAll(s arch.Spec) Keep {
	k := Keep{EMB: iota(s.EMB)}
	for _, b := range s.Blocks {
		qk, v := b.QK, b.V
		if b.Heads == 0 {
			qk, v = 0, 0
		}
		k.Heads = append(k.Heads, iota(b.Heads))
		k.QK = append(k.QK, iota(qk))
		k.V = append(k.V, iota(v))
		k.MLP = append(k.MLP, iota(b.MLP))
	}
	return k
}

func iota(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (k Keep) of(r axisRole) []int {
	switch r.Dim {
	case arch.DimEMB:
		return k.EMB
	case arch.DimHeads:
		return k.Heads[r.Block]
	case arch.DimQK:
		return k.QK[r.Block]
	case arch.DimV:
		return k.V[r.Block]
	case arch.DimMLP:
		return k.MLP[r.Block]
	}
	return nil
}

// Spec is the architecture left after keeping k's units of s. A block whose
// heads are all removed loses its attention (QK and V become 0), one whose
// MLP neurons are all removed its MLP.
func (k Keep) Spec(s arch.Spec) (arch.Spec, error) {
	if len(k.Heads) != len(s.Blocks) || len(k.QK) != len(s.Blocks) || len(k.V) != len(s.Blocks) || len(k.MLP) != len(s.Blocks) {
		return arch.Spec{}, fmt.Errorf("pruner: keep lists for %d blocks, the model has %d", len(k.Heads), len(s.Blocks))
	}
	check := func(what string, idx []int, n int) error {
		for i, x := range idx {
			if x < 0 || x >= n || (i > 0 && x <= idx[i-1]) {
				return fmt.Errorf("pruner: keep %s: indices %v must be increasing and in [0, %d)", what, idx, n)
			}
		}
		return nil
	}
	out := s.Clone()
	if err := check("EMB", k.EMB, s.EMB); err != nil {
		return arch.Spec{}, err
	}
	out.EMB = len(k.EMB)
	for i, b := range s.Blocks {
		qk, v := b.QK, b.V
		if b.Heads == 0 {
			qk, v = 0, 0
		}
		for _, c := range []struct {
			what string
			idx  []int
			n    int
		}{{"heads", k.Heads[i], b.Heads}, {"QK", k.QK[i], qk}, {"V", k.V[i], v}, {"MLP", k.MLP[i], b.MLP}} {
			if err := check(fmt.Sprintf("%s of block %d", c.what, i), c.idx, c.n); err != nil {
				return arch.Spec{}, err
			}
		}
		nb := arch.Block{Heads: len(k.Heads[i]), QK: len(k.QK[i]), V: len(k.V[i]), MLP: len(k.MLP[i])}
		if nb.Heads == 0 {
			nb.QK, nb.V = 0, 0
		} else if nb.QK == 0 || nb.V == 0 {
			return arch.Spec{}, fmt.Errorf("pruner: block %d keeps %d heads with QK %d and V %d: remove the heads instead", i, nb.Heads, nb.QK, nb.V)
		}
		out.Blocks[i] = nb
	}
	if err := out.Validate(); err != nil {
		return arch.Spec{}, fmt.Errorf("pruner: %w", err)
	}
	return out, nil
}

// Prune returns the physically smaller weights that keep k's units of w:
// every variable sliced along each axis to the kept units of its role, and
// the queries of a block whose QK width shrinks rescaled so that its
// attention logits stay those of the kept dimensions (keepAttentionScale).
func Prune(w *Weights, k Keep) (*Weights, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	ns, err := k.Spec(w.Spec)
	if err != nil {
		return nil, err
	}
	rs := roles(w.Spec)
	old := map[string][]int{}
	for _, v := range blocks.Layout(w.Spec) {
		old[v.Path()] = v.Dims
	}
	out := &Weights{Spec: ns, Values: map[string][]float32{}}
	for _, v := range blocks.Layout(ns) {
		p := v.Path()
		sel := make([][]int, len(v.Dims))
		for a, r := range rs[p] {
			if r == noRole {
				sel[a] = iota(old[p][a])
			} else {
				sel[a] = k.of(r)
			}
		}
		out.Values[p] = gather(w.Values[p], old[p], sel)
	}
	keepAttentionScale(out, w.Spec)
	return out, nil
}

// keepAttentionScale scales the queries of every block whose QK width
// changed from old's by √(new/old). Attention divides the logits by √QK at
// the model's own width (blocks.Attention), so without this, pruning QK
// dimensions would multiply every logit by √(old/new) even when the removed
// dimensions contributed nothing; scaling q (weights and biases, per head
// alike since the width is the block's) keeps q·k/√QK as it was.
func keepAttentionScale(w *Weights, old arch.Spec) {
	for i, b := range w.Spec.Blocks {
		ob := old.Blocks[i]
		if b.Heads == 0 || b.QK == ob.QK {
			continue
		}
		f := math.Sqrt(float64(b.QK) / float64(ob.QK))
		pre := blocks.BlockScope(i) + "/" + blocks.ScopeAttn + "/" + blocks.ScopeQ + "/"
		for _, name := range []string{blocks.VarWeights, blocks.VarBiases} {
			v := w.Values[pre+name]
			for j := range v {
				v[j] = float32(float64(v[j]) * f)
			}
		}
	}
}

// gather selects the given indices along every axis of the row-major array x.
func gather(x []float32, dims []int, sel [][]int) []float32 {
	n := 1
	for _, s := range sel {
		n *= len(s)
	}
	out := make([]float32, 0, n)
	strides := make([]int, len(dims))
	st := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = st
		st *= dims[a]
	}
	var rec func(a, off int)
	rec = func(a, off int) {
		if a == len(dims) {
			out = append(out, x[off])
			return
		}
		for _, i := range sel[a] {
			rec(a+1, off+i*strides[a])
		}
	}
	if n > 0 {
		rec(0, 0)
	}
	return out
}

// removeFrom returns idx without the positions in drop (positions into idx).
func removeFrom(idx []int, drop []int) []int {
	out := make([]int, 0, len(idx))
	for i, x := range idx {
		if !slices.Contains(drop, i) {
			out = append(out, x)
		}
	}
	return out
}

// without removes the groups' units from k (indices into the model k keeps
// all of).
func (k Keep) without(groups []Group) Keep {
	drop := map[axisRole][]int{}
	for _, g := range groups {
		r := axisRole{Dim: g.Dim, Block: max(g.Block, 0)}
		if g.Dim == arch.DimEMB {
			r.Block = 0
		}
		drop[r] = append(drop[r], g.Units...)
	}
	filter := func(idx []int, r axisRole) []int {
		d := drop[r]
		out := make([]int, 0, len(idx))
		for _, x := range idx {
			if !slices.Contains(d, x) {
				out = append(out, x)
			}
		}
		return out
	}
	out := Keep{EMB: filter(k.EMB, axisRole{Dim: arch.DimEMB})}
	for b := range k.Heads {
		heads := filter(k.Heads[b], axisRole{arch.DimHeads, b})
		qk, v := filter(k.QK[b], axisRole{arch.DimQK, b}), filter(k.V[b], axisRole{arch.DimV, b})
		if len(heads) == 0 {
			qk, v = nil, nil
		}
		out.Heads = append(out.Heads, heads)
		out.QK = append(out.QK, qk)
		out.V = append(out.V, v)
		out.MLP = append(out.MLP, filter(k.MLP[b], axisRole{arch.DimMLP, b}))
	}
	return out
}
