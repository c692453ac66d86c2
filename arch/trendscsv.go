package arch

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
)

// TrendsCSVColumns are the columns WriteTrendsCSV writes.
var TrendsCSVColumns = []string{"model", "block", "dimension", "value", "emb", "dense", "dense_emb", "kept", "per_emb", "rule", "residual"}

// WriteTrendsCSV writes one row per model, block (counting from 1, as
// figures and prose do) and per-block dimension: the value, the model's
// EMB, the dense reference's value and EMB and the kept fraction (empty
// without a reference), value/EMB, and, with a fit, the fitted rule's value
// at the model's EMB and the residual value − rule (empty where the value
// is a removed sub-block or a QK/V width without heads).
func WriteTrendsCSV(w io.Writer, t *Trends, fit *RuleFit) error {
	var regen map[string]Spec
	if fit != nil {
		regen = map[string]Spec{}
		for _, m := range t.Models {
			r := fit.Rule
			r.EMB = m.EMB
			s, err := r.Spec()
			if err != nil {
				return fmt.Errorf("arch: trends CSV: the rule at EMB %d: %w", m.EMB, err)
			}
			regen[m.Name] = s
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(TrendsCSVColumns); err != nil {
		return err
	}
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	for _, p := range t.Points() {
		row := []string{p.Model, strconv.Itoa(p.Block + 1), string(p.Dim), strconv.Itoa(p.Value), strconv.Itoa(p.EMB),
			"", "", num(p.Kept), num(p.PerEMB), "", ""}
		if t.Dense != nil {
			row[5], row[6] = strconv.Itoa(p.Dense), strconv.Itoa(p.DenseEMB)
		}
		if s, ok := regen[p.Model]; ok {
			rv := s.Blocks[p.Block].Get(p.Dim)
			row[9] = strconv.Itoa(rv)
			if p.Defined && p.Value > 0 {
				row[10] = strconv.Itoa(p.Value - rv)
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
