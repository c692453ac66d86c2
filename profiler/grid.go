package profiler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Grid is what a sweep measures: dimension values and how to combine them.
// Configurations come out as costmodel rows without measurements.
type Grid struct {
	EMB, Heads, QK, V, MLP []int

	// Decomposed measures attention sub-blocks over (EMB, heads, QK, V), MLP
	// sub-blocks over (EMB, MLP) and the rest of the model per EMB, as NViT's
	// latency table needs; otherwise whole blocks over the full product.
	Decomposed bool
	// Validation adds this many full blocks, spread over the grid, whose
	// latency checks that attention + MLP add up.
	Validation int
	// Models are whole models measured too (their geometry must match the table's).
	Models []arch.Spec
}

// Validate reports an impossible grid.
func (g Grid) Validate() error {
	check := func(name string, vs []int, zeroOK bool) error {
		if len(vs) == 0 {
			return fmt.Errorf("grid: no %s values", name)
		}
		for _, v := range vs {
			if v < 0 || (v == 0 && !zeroOK) {
				return fmt.Errorf("grid: %s value %d is not positive", name, v)
			}
		}
		return nil
	}
	if err := check("EMB", g.EMB, false); err != nil {
		return err
	}
	if err := check("heads", g.Heads, false); err != nil {
		return err
	}
	if err := check("QK", g.QK, false); err != nil {
		return err
	}
	if err := check("V", g.V, false); err != nil {
		return err
	}
	if err := check("MLP", g.MLP, true); err != nil {
		return err
	}
	if g.Validation < 0 {
		return fmt.Errorf("grid: validation count %d is negative", g.Validation)
	}
	return nil
}

// Configs lists every configuration of g, attention first, then MLP, rest,
// blocks and models; duplicates removed.
func (g Grid) Configs() []tablefmt.Row {
	var rows []tablefmt.Row
	seen := map[string]bool{}
	add := func(r tablefmt.Row) {
		if k := r.Key(); !seen[k] {
			seen[k] = true
			rows = append(rows, r)
		}
	}
	if g.Decomposed {
		for _, e := range g.EMB {
			for _, h := range g.Heads {
				for _, qk := range g.QK {
					for _, v := range g.V {
						add(tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: h, QK: qk, V: v})
					}
				}
			}
		}
		for _, e := range g.EMB {
			for _, m := range g.MLP {
				if m > 0 {
					add(tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m})
				}
			}
		}
		for _, e := range g.EMB {
			add(tablefmt.Row{Kind: tablefmt.KindRest, EMB: e})
		}
		for _, b := range g.validationBlocks() {
			add(b)
		}
	} else {
		for _, e := range g.EMB {
			for _, h := range g.Heads {
				for _, qk := range g.QK {
					for _, v := range g.V {
						for _, m := range g.MLP {
							add(tablefmt.Row{Kind: tablefmt.KindBlock, EMB: e, Heads: h, QK: qk, V: v, MLP: m})
						}
					}
				}
			}
		}
	}
	for _, s := range g.Models {
		d := s.Dim()
		add(tablefmt.Row{Kind: tablefmt.KindModel, Name: s.Name, EMB: s.EMB, Dim: &d})
	}
	return rows
}

// validationBlocks picks g.Validation full blocks spread over the grid: the
// i-th takes each axis at the i-th point of a Halton sequence, one prime
// base per axis (the smallest for MLP, the longest axis, whose early points
// then spread widest), so every axis's values are visited evenly and independently
// of the other axes' (a shared stride would lock axes whose lengths share a
// factor onto a few values), and a resumed sweep picks the same blocks.
func (g Grid) validationBlocks() []tablefmt.Row {
	var rows []tablefmt.Row
	pick := func(vs []int, i, base int) int { return vs[int(radicalInverse(i+1, base)*float64(len(vs)))] }
	for i := range g.Validation {
		rows = append(rows, tablefmt.Row{Kind: tablefmt.KindBlock,
			EMB: pick(g.EMB, i, 11), Heads: pick(g.Heads, i, 7), QK: pick(g.QK, i, 5),
			V: pick(g.V, i, 3), MLP: pick(g.MLP, i, 2)})
	}
	return rows
}

// radicalInverse mirrors i's base-b digits about the radix point
// (0.d₁d₂d₃… for i = …d₃d₂d₁), a number in [0, 1): van der Corput's sequence.
func radicalInverse(i, b int) float64 {
	r, f := 0.0, 1.0
	for ; i > 0; i /= b {
		f /= float64(b)
		r += f * float64(i%b)
	}
	return r
}

// ParseInts reads a dimension list: comma-separated values and ranges
// "lo:hi" (step 1) or "lo:hi:step", e.g. "1:12", "128:3072:128", "256,512".
func ParseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty value in %q", s)
		}
		f := strings.Split(part, ":")
		nums := make([]int, len(f))
		for i, x := range f {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q in %q is not an integer", x, s)
			}
			nums[i] = n
		}
		switch len(nums) {
		case 1:
			out = append(out, nums[0])
		case 2, 3:
			lo, hi, step := nums[0], nums[1], 1
			if len(nums) == 3 {
				step = nums[2]
			}
			if step <= 0 || hi < lo {
				return nil, fmt.Errorf("range %q: want lo:hi[:step] with lo <= hi and step > 0", part)
			}
			if (hi-lo)/step > 100000 {
				return nil, fmt.Errorf("range %q has more than 100000 values", part)
			}
			for v := lo; v <= hi; v += step {
				out = append(out, v)
			}
		default:
			return nil, fmt.Errorf("range %q: want lo:hi[:step]", part)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
