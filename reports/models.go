package reports

import (
	"errors"
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// TableModel is a whole model a table measured: a model row as a Spec in
// the table's geometry, with its measured latency.
type TableModel struct {
	Spec      arch.Spec
	LatencyMS float64
}

// TableModels returns the model rows of t that describe a valid whole model
// in the geometry of t's header, in the table's order. A header without a
// patch size has no geometry, hence no models.
func TableModels(t tablefmt.Table) []TableModel {
	var out []TableModel
	for _, r := range t.Rows {
		if s, ok := tableModel(t.Header, r); ok {
			out = append(out, TableModel{Spec: s, LatencyMS: r.MedianMS})
		}
	}
	return out
}

func tableModel(h tablefmt.Header, r tablefmt.Row) (arch.Spec, bool) {
	if r.Kind != tablefmt.KindModel || r.Dim == nil || h.Patch <= 0 {
		return arch.Spec{}, false
	}
	blocks, err := r.Dim.Blocks()
	if err != nil {
		return arch.Spec{}, false
	}
	s := h.Geometry().Model(r.Name, r.Dim.EMB, blocks)
	return s, s.Validate() == nil
}

// DeiTFamily is DeiT-T, -S and -B in the geometry of h: the presets (plain
// and distilled) whose tokens and image size are h's; else, when h gives a
// patch size, 12-block DeiT shapes of EMB 192, 384 and 768 over h's
// geometry, named "deit-192-shaped" and so on; else none.
func DeiTFamily(h tablefmt.Header) []arch.Spec {
	var out []arch.Spec
	for _, n := range []string{"deit-t", "deit-s", "deit-b"} {
		for _, name := range []string{n, n + "-distilled"} {
			s, _ := arch.Preset(name)
			if s.Tokens() == h.Tokens && (h.Image == 0 || h.Image == s.Image) {
				out = append(out, s)
			}
		}
	}
	if len(out) > 0 || h.Patch <= 0 {
		return out
	}
	g := h.Geometry()
	for _, e := range []int{192, 384, 768} {
		out = append(out, arch.DeiT(fmt.Sprintf("deit-%d-shaped", e), e, 12, g))
	}
	return out
}

// ErrNoGeometry is Reference's answer for a header that gives no model
// geometry (no patch size or no tokens) and a table without models: there
// is nothing to build a reference from.
var ErrNoGeometry = errors.New("reports: the table's header gives no geometry")

// Reference chooses the architecture latency budgets are fractions of, for
// a table with header h and measured models: DeiT-B-distilled, or DeiT-B,
// when h's tokens, image size and classes are theirs (zero: unknown,
// matching any); else the largest of models by MACs (named "table model"
// when it has no name); else a DeiT-B shape over h's geometry,
// "deit-b-shaped".
func Reference(h tablefmt.Header, models []TableModel) (arch.Spec, error) {
	for _, name := range []string{"deit-b-distilled", "deit-b"} {
		s, _ := arch.Preset(name)
		if h.Tokens == s.Tokens() && (h.Image == 0 || h.Image == s.Image) && (h.Classes == 0 || h.Classes == s.Classes) {
			return s, nil
		}
	}
	var best arch.Spec
	for _, m := range models {
		if m.Spec.MACs() > best.MACs() {
			best = m.Spec
		}
	}
	if best.EMB > 0 {
		if best.Name == "" {
			best.Name = "table model"
		}
		return best, nil
	}
	g := h.Geometry()
	if g.Patch <= 0 || h.Tokens <= 0 {
		return arch.Spec{}, ErrNoGeometry
	}
	return arch.DeiT("deit-b-shaped", 768, 12, g), nil
}

// dimKey identifies an architecture by its geometry and dimensions.
func dimKey(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("%d/%d/%d %v %v %v %v %v", s.Tokens(), s.Image, s.Classes, d.EMB, d.Head, d.QK, d.V, d.MLP)
}

func isDeiT(s arch.Spec, h tablefmt.Header) bool {
	for _, d := range DeiTFamily(h) {
		if dimKey(d) == dimKey(s) {
			return true
		}
	}
	return false
}

// latencyLabel says what a latency axis measures: ms per batch of N.
func latencyLabel(h tablefmt.Header) string {
	if h.Batch > 0 {
		return fmt.Sprintf("Latency (ms, batch %d)", h.Batch)
	}
	return "Latency (ms)"
}
