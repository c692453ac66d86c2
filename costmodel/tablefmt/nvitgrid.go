package tablefmt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// NViTGridError says how a LUT's grid differs from NViT's (NViTGrid) and
// what NVlabs/NViT's loader would do with the file. That loader
// (nvit/pruning_core/pruning_engine_general.py, at NVlabs/NViT commit
// 48feca4, lines 317–339) hard-codes NViT's axes and indexes the JSON by
// their keys, measurement['EMB_'+str(e)]['QK_'+str(h)+'_'+str(q)]['V_'+str(v)]['MLP_'+str(m)],
// to fill a scipy RegularGridInterpolator: a key it does not find stops it
// with a KeyError, and entries off its axes are never read.
type NViTGridError struct {
	Axes       []string // the axes that differ, as "EMB 64,96,128 (NViT's 256,512,768)"
	MissingKey string   // the first key the loader looks up and does not find; "" when it finds them all
}

// Error describes the difference and its consequence in one line.
func (e *NViTGridError) Error() string {
	what := "NViT's loader reads only its own axes: it would load this file and ignore the entries off them"
	if e.MissingKey != "" {
		what = fmt.Sprintf("NViT's loader hard-codes its axes and would stop with KeyError: '%s'", e.MissingKey)
	}
	return fmt.Sprintf("the grid is not NViT's: %s; %s", strings.Join(e.Axes, ", "), what)
}

// CheckNViT returns nil when a LUT over g has exactly the keys of NViT's
// grid (the order of axis values aside), else a *NViTGridError.
func (g LUTGrid) CheckNViT() error {
	n := NViTGrid()
	var diffs []string
	for _, a := range []struct {
		name      string
		got, nvit []int
	}{{"EMB", g.EMB, n.EMB}, {"heads", g.Heads, n.Heads}, {"QK", g.QK, n.QK}, {"V", g.V, n.V}, {"MLP", g.MLP, n.MLP}} {
		got := slices.Sorted(slices.Values(a.got))
		if !slices.Equal(slices.Compact(got), a.nvit) {
			diffs = append(diffs, fmt.Sprintf("%s %s (NViT's %s)", a.name, axisText(got), axisText(a.nvit)))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return &NViTGridError{Axes: diffs, MissingKey: g.nvitMissingKey()}
}

// nvitMissingKey is the first key NViT's loader would not find in a LUT
// holding every configuration of g: the loader walks its own axes, EMB
// (without its zero plane), heads, QK, V, MLP, the last fastest.
func (g LUTGrid) nvitMissingKey() string {
	for e := range NViTGrid().Entries() {
		b := e.Block
		switch {
		case !slices.Contains(g.EMB, e.EMB):
			return embKey(e.EMB)
		case !slices.Contains(g.Heads, b.Heads) || !slices.Contains(g.QK, b.QK):
			return qkKey(b.Heads, b.QK)
		case !slices.Contains(g.V, b.V):
			return vKey(b.V)
		case !slices.Contains(g.MLP, b.MLP):
			return mlpKey(b.MLP)
		}
	}
	return ""
}

// axisText writes sorted values compactly: a run of five or more equal
// steps as "128..3072 by 128".
func axisText(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	var parts []string
	for i := 0; i < len(v); {
		j := i + 1
		if j < len(v) {
			step := v[j] - v[i]
			for j+1 < len(v) && v[j+1]-v[j] == step {
				j++
			}
			if j-i+1 >= 5 {
				parts = append(parts, fmt.Sprintf("%d..%d by %d", v[i], v[j], step))
				i = j + 1
				continue
			}
		}
		parts = append(parts, strconv.Itoa(v[i]))
		i++
	}
	return strings.Join(parts, ",")
}
