package costmodel

import (
	"fmt"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// fitTable is what Fit fits of t: without its validation rows, which an
// adaptive sweep measured never to be fitted (tablefmt.Row.Validation),
// and decomposed into attention and MLP (Decompose) when t's header says
// its blocks were sampled for that (tablefmt.Sampling.Decompose).
func fitTable(t tablefmt.Table) tablefmt.Table {
	t, _ = splitValidation(t)
	if s := t.Header.Sampling; s != nil && s.Decompose {
		t, _ = Decompose(t)
	}
	return t
}

// evalTable is what Eval cross-validates of t, as Fit sees it (fitTable),
// and t's validation rows apart.
func evalTable(t tablefmt.Table) (fitted tablefmt.Table, validation []tablefmt.Row) {
	return fitTable(t), validationRows(t)
}

// splitValidation is t without its validation rows, and those rows.
func splitValidation(t tablefmt.Table) (tablefmt.Table, []tablefmt.Row) {
	v := validationRows(t)
	if len(v) == 0 {
		return t, nil
	}
	out := t
	out.Rows = slices.DeleteFunc(slices.Clone(t.Rows), func(r tablefmt.Row) bool { return r.Validation })
	return out, v
}

// validationRows are the last rows of t's configurations that are marked
// validation, in order of first appearance.
func validationRows(t tablefmt.Table) []tablefmt.Row {
	var out []tablefmt.Row
	for _, rows := range rowsByKind(t) {
		for _, r := range rows {
			if r.Validation {
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b tablefmt.Row) int { return kindOrder(a.Kind) - kindOrder(b.Kind) })
	return out
}

func kindOrder(k tablefmt.Kind) int { return slices.Index(tablefmt.Kinds(), k) }

// addValidation adds a group per kind of the validation rows, each
// predicted by full, the model fitted without them.
func (e *Evaluation) addValidation(full *Model, rows []tablefmt.Row) {
	byKind := map[tablefmt.Kind][]EvalRow{}
	var kinds []tablefmt.Kind
	for _, r := range rows {
		er := EvalRow{Kind: r.Kind, Key: r.Key(), Name: r.Name, MeasuredMS: r.MedianMS}
		if v, err := full.RowMS(r); err != nil {
			er.Refused = err.Error()
		} else {
			er.PredictedMS = NullFloat(v)
		}
		if byKind[r.Kind] == nil {
			kinds = append(kinds, r.Kind)
		}
		byKind[r.Kind] = append(byKind[r.Kind], finishRow(er))
	}
	for _, k := range kinds {
		e.Rows = append(e.Rows, byKind[k]...)
		e.Groups = append(e.Groups, summarise(k, HowValidation, e.Folds, byKind[k]))
	}
}

// HowValidation is the Group.How of validation rows: measured by an
// adaptive sweep to check its model, never fitted, predicted by the model
// fitted to the rest of the table.
const HowValidation = "validation"

// RowMS predicts the configuration row r measured: an attn row as a block
// without MLP, an mlp row as a block without heads, a block (BlockMS), the
// rest at r's EMB, or a model row's whole model (Latency, under the table's
// geometry).
func (m *Model) RowMS(r tablefmt.Row) (float64, error) {
	tokens := m.source.Header.Tokens
	switch r.Kind {
	case tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock:
		return m.BlockMS(r.EMB, tokens, r.Block())
	case tablefmt.KindRest:
		c := m.comps[tablefmt.KindRest]
		if c == nil {
			return 0, fmt.Errorf("costmodel: the table has no rest rows to predict %s", r.Key())
		}
		return c.at([]int{r.EMB})
	case tablefmt.KindModel:
		s, err := m.source.Header.ModelSpec(r)
		if err != nil {
			return 0, fmt.Errorf("costmodel: %s: %w", r.Key(), err)
		}
		p, err := m.Latency(s)
		return p.TotalMS, err
	}
	return 0, fmt.Errorf("costmodel: cannot predict a row of kind %q", r.Kind)
}
