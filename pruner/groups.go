package pruner

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// GroupSizes are how many units of each dimension are pruned together.
type GroupSizes struct {
	EMB, Heads, QK, V, MLP int
}

// NViTGroupSizes are NViT's group sizes, chosen for DeiT-B (EMB 768, 12
// heads, QK = V = 64, MLP 3072).
var NViTGroupSizes = GroupSizes{EMB: 16, Heads: 2, QK: 8, V: 8, MLP: 16}

// ScaledGroupSizes scales NViT's sizes to s: each size times s's largest
// width of that dimension over DeiT-B's, rounded, at least 1. DeiT-B gets
// NViT's sizes; a model with EMB 64, 4 heads of 16 and MLP 128 gets EMB 1,
// heads 1, QK 2, V 2, MLP 1.
func ScaledGroupSizes(s arch.Spec) GroupSizes {
	var h, qk, v, m int
	for _, b := range s.Blocks {
		h, qk, v, m = max(h, b.Heads), max(qk, b.QK), max(v, b.V), max(m, b.MLP)
	}
	scale := func(nvit, have, deitB int) int {
		return max(1, int(math.Round(float64(nvit)*float64(have)/float64(deitB))))
	}
	return GroupSizes{EMB: scale(16, s.EMB, 768), Heads: scale(2, h, 12), QK: scale(8, qk, 64), V: scale(8, v, 64), MLP: scale(16, m, 3072)}
}

func (g GroupSizes) of(d arch.Dimension) int {
	switch d {
	case arch.DimEMB:
		return g.EMB
	case arch.DimHeads:
		return g.Heads
	case arch.DimQK:
		return g.QK
	case arch.DimV:
		return g.V
	}
	return g.MLP
}

// Validate refuses sizes below 1.
func (g GroupSizes) Validate() error {
	if g.EMB < 1 || g.Heads < 1 || g.QK < 1 || g.V < 1 || g.MLP < 1 {
		return fmt.Errorf("pruner: group sizes must be at least 1, got %+v", g)
	}
	return nil
}

// Group is a set of units of one layer (EMB, or one dimension of one block)
// pruned together: the next-least salient units of that layer.
type Group struct {
	Dim      arch.Dimension
	Block    int     // −1 for EMB
	Units    []int   // indices into the current model
	Saliency float64 // sum of the units' saliency
}

// layer is one dimension of one block (or EMB), its groups in order of
// increasing saliency.
type layer struct {
	dim    arch.Dimension
	block  int
	groups []Group
	next   int // groups[:next] are selected
}

// makeLayers sorts each layer's units by saliency and chunks them into
// groups of the layer's size.
func makeLayers(sal *PerUnit, sizes GroupSizes) []*layer {
	var out []*layer
	sal.each(func(d arch.Dimension, b int, v []float64) {
		if len(v) == 0 {
			return
		}
		order := iota(len(v))
		sort.SliceStable(order, func(i, j int) bool { return v[order[i]] < v[order[j]] })
		l := &layer{dim: d, block: b}
		size := sizes.of(d)
		for start := 0; start < len(order); start += size {
			units := slices.Clone(order[start:min(start+size, len(order))])
			var s float64
			for _, u := range units {
				s += v[u]
			}
			slices.Sort(units)
			l.groups = append(l.groups, Group{Dim: d, Block: b, Units: units, Saliency: s})
		}
		out = append(out, l)
	})
	return out
}

// ParseGroupSizes reads group sizes written as dim=N pairs, e.g.
// "emb=16,heads=2,qk=8,v=8,mlp=16" (all five, N ≥ 1). An empty text is the
// zero GroupSizes, which Options read as ScaledGroupSizes of the model.
func ParseGroupSizes(text string) (GroupSizes, error) {
	var g GroupSizes
	if text == "" {
		return g, nil
	}
	for _, part := range strings.Split(text, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 1 {
			return g, &GroupSizesError{text, "want dim=N pairs with N ≥ 1, e.g. emb=16,heads=2,qk=8,v=8,mlp=16"}
		}
		switch strings.ToLower(k) {
		case "emb":
			g.EMB = n
		case "heads", "head":
			g.Heads = n
		case "qk":
			g.QK = n
		case "v":
			g.V = n
		case "mlp":
			g.MLP = n
		default:
			return g, &GroupSizesError{text, fmt.Sprintf("unknown dimension %q (want emb, heads, qk, v, mlp)", k)}
		}
	}
	if g.EMB == 0 || g.Heads == 0 || g.QK == 0 || g.V == 0 || g.MLP == 0 {
		return g, &GroupSizesError{text, "give all five of emb, heads, qk, v, mlp"}
	}
	return g, nil
}

// String describes g, e.g. "mlp[b2]×16" or "emb×4".
func (g Group) String() string {
	if g.Dim == arch.DimEMB {
		return fmt.Sprintf("emb×%d", len(g.Units))
	}
	return fmt.Sprintf("%s[b%d]×%d", g.Dim, g.Block, len(g.Units))
}
