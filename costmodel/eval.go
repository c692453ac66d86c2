package costmodel

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"gonum.org/v1/gonum/stat"
)

// EvalOptions tune Eval.
type EvalOptions struct {
	Kind  ModelKind // default ModelHW
	Folds int       // k of k-fold cross-validation; default 5, at least 2
	Seed  uint64    // shuffles the rows into folds; default 1
	// Path and Format describe the table's file, recorded in the Source.
	Path, Format string
	// Replicate, when not nil, is a second measurement of the table's
	// configurations: Eval adds its Agreement with the table (the noise
	// floor), ReplicatePath naming it.
	Replicate     *tablefmt.Table
	ReplicatePath string
}

// Metrics summarise predictions against measurements. Errors are relative
// to the measurement: (predicted − measured) / measured.
type Metrics struct {
	// Every figure is NaN (null in JSON) without predictions.
	N        int       `json:"n"`         // predictions
	MAPE     NullFloat `json:"mape"`      // mean absolute percentage error, %
	RMSPE    NullFloat `json:"rmspe"`     // root mean square percentage error, %
	Within5  NullFloat `json:"within_5"`  // share of predictions within ±5%, %
	Within10 NullFloat `json:"within_10"` // share within ±10%, %
	// MedianAPE is the median absolute percentage error, %: robust to
	// a few outliers, which MAPE is not.
	MedianAPE NullFloat `json:"median_ape"`
	MaxAPE    NullFloat `json:"max_ape"` // largest absolute percentage error, %
	// Spearman is the rank correlation of predicted and measured latencies
	// (NaN, null in JSON, with fewer than 3 predictions or no spread).
	Spearman NullFloat `json:"spearman"`
}

// NullFloat is a float64 that JSON encodes NaN (no value) as null.
type NullFloat float64

// MarshalJSON writes f, or null for NaN and infinities.
func (f NullFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *NullFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = NullFloat(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = NullFloat(v)
	return err
}

// Group is the evaluation of one kind of row.
type Group struct {
	Kind tablefmt.Kind `json:"kind"`
	// How says where the predictions come from: "k-fold" (each row predicted
	// by a model fitted without its fold), or "not fitted" (block rows of a
	// table that also measured attn and mlp, and model rows: predicted from
	// the components, never used to fit).
	How     string `json:"how"`
	Rows    int    `json:"rows"`    // rows of this kind (distinct configurations)
	Refused int    `json:"refused"` // rows the model would not predict (see Warnings)
	Metrics
	Warnings []string `json:"warnings,omitempty"`
}

// EvalRow is one evaluated row: its measurement, its prediction (or why
// there is none) and the fold that held it out.
type EvalRow struct {
	Kind        tablefmt.Kind `json:"kind"`
	Key         string        `json:"key"`
	Name        string        `json:"name,omitempty"`
	Fold        int           `json:"fold"` // 1..k for k-fold rows, 0 for rows never fitted
	MeasuredMS  float64       `json:"measured_ms"`
	PredictedMS NullFloat     `json:"predicted_ms"` // NaN (null) when refused
	ErrPct      NullFloat     `json:"err_pct"`      // (predicted − measured) / measured, %; NaN when refused
	Refused     string        `json:"refused,omitempty"`
}

// Evaluation is what Eval found.
type Evaluation struct {
	Model    ModelKind `json:"model"`
	Folds    int       `json:"folds"`
	Seed     uint64    `json:"seed"`
	Source   Source    `json:"source"`
	Groups   []Group   `json:"groups"`
	Rows     []EvalRow `json:"rows"`
	Warnings []string  `json:"warnings,omitempty"`
	// Replicate, when set (see Agreement), is how well a second measurement
	// of the same configurations agrees with the table: the noise floor.
	Replicate     []Group `json:"replicate,omitempty"`
	ReplicatePath string  `json:"replicate_path,omitempty"`
	// ReplicateAll pools the replicate's configurations of every kind
	// (when it has more than one): the median disagreement of two tables.
	ReplicateAll *Group `json:"replicate_all,omitempty"`
}

// Eval measures how well a model of opt.Kind predicts configurations it was
// not fitted to. The rows of each fitted component (attn, mlp, rest, and
// block when the table has no attn and mlp rows) are shuffled (seeded) into
// k folds; each fold is predicted by a model fitted to every other row.
// Block rows of a decomposed table and model rows are never fitted: they are
// predicted by the model fitted to the whole table (blocks as attention +
// MLP, models as blocks + rest). Rows the model refuses (a held-out axis
// value beyond the model's range) are counted, not hidden. An adaptive
// sweep's validation rows are reported in groups of their own (How is
// HowValidation), predicted by the model fitted to the rest of the table,
// which is what the sweep stated.
func Eval(t tablefmt.Table, opt EvalOptions) (*Evaluation, error) {
	if opt.Kind == "" {
		opt.Kind = ModelHW
	}
	if opt.Folds == 0 {
		opt.Folds = 5
	}
	if opt.Folds < 2 {
		return nil, fmt.Errorf("costmodel: eval: %d folds: want at least 2", opt.Folds)
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	ev := &Evaluation{Model: opt.Kind, Folds: opt.Folds, Seed: opt.Seed}
	if opt.Replicate != nil {
		if err := ev.addReplicate(t, *opt.Replicate, opt.ReplicatePath); err != nil {
			return nil, err
		}
	}
	full, err := Fit(t, FitOptions{Kind: opt.Kind, Path: opt.Path, Format: opt.Format})
	if err != nil {
		return nil, err
	}
	ev.Source = full.source
	t, validation := evalTable(t) // as Fit sees it; an adaptive sweep's validation rows apart
	byKind := rowsByKind(t)
	decomposed := len(byKind[tablefmt.KindAttn]) > 0 && len(byKind[tablefmt.KindMLP]) > 0
	for _, k := range []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock, tablefmt.KindRest, tablefmt.KindModel} {
		rows := byKind[k]
		if len(rows) == 0 {
			continue
		}
		var er []EvalRow
		how := "k-fold"
		switch {
		case k == tablefmt.KindModel || (k == tablefmt.KindBlock && decomposed):
			how = "not fitted"
			er = predictUnfitted(full, t.Header, rows)
		default:
			er, err = kfold(t, k, rows, opt)
			if err != nil {
				return nil, err
			}
		}
		ev.Rows = append(ev.Rows, er...)
		ev.Groups = append(ev.Groups, summarise(k, how, opt.Folds, er))
	}
	ev.addValidation(full, validation)
	if len(byKind[tablefmt.KindModel]) == 0 {
		ev.Warnings = append(ev.Warnings, "the table has no model rows: no whole-model error")
	}
	if len(byKind[tablefmt.KindRest]) == 0 {
		ev.Warnings = append(ev.Warnings, "the table has no rest rows: whole-model predictions count the blocks only")
	}
	return ev, nil
}

// addReplicate sets the agreement of t with a replicate measured again.
func (e *Evaluation) addReplicate(t, replicate tablefmt.Table, path string) error {
	groups, all, err := agreement(t, replicate)
	if err != nil {
		return err
	}
	e.Replicate, e.ReplicatePath = groups, path
	if len(groups) > 1 {
		e.ReplicateAll = &all
	}
	return nil
}

// rowsByKind is the last row of each configuration of t, by kind, in order
// of first appearance.
func rowsByKind(t tablefmt.Table) map[tablefmt.Kind][]tablefmt.Row {
	idx := t.Index()
	byKind := map[tablefmt.Kind][]tablefmt.Row{}
	seen := map[string]bool{}
	for _, r := range t.Rows {
		if k := r.Key(); !seen[k] {
			seen[k] = true
			byKind[r.Kind] = append(byKind[r.Kind], idx[k])
		}
	}
	return byKind
}

// kfold predicts every row of kind k from a model fitted without its fold.
func kfold(t tablefmt.Table, k tablefmt.Kind, rows []tablefmt.Row, opt EvalOptions) ([]EvalRow, error) {
	h := fnv.New64a()
	h.Write([]byte(k))
	rng := rand.New(rand.NewPCG(opt.Seed, h.Sum64()))
	perm := rng.Perm(len(rows))
	fold := make(map[string]int, len(rows))
	for i, p := range perm {
		fold[rows[p].Key()] = i%opt.Folds + 1
	}
	out := make([]EvalRow, 0, len(rows))
	for f := 1; f <= opt.Folds; f++ {
		var train tablefmt.Table
		train.Header = t.Header
		var test []tablefmt.Row
		for _, r := range t.Rows {
			if r.Kind == k && fold[r.Key()] == f {
				continue
			}
			train.Rows = append(train.Rows, r)
		}
		for _, r := range rows {
			if fold[r.Key()] == f {
				test = append(test, r)
			}
		}
		if len(test) == 0 {
			continue
		}
		m, err := Fit(train, FitOptions{Kind: opt.Kind})
		var c *component
		if err == nil {
			c = m.comps[k]
		}
		for _, r := range test {
			e := EvalRow{Kind: k, Key: r.Key(), Name: r.Name, Fold: f, MeasuredMS: r.MedianMS}
			switch {
			case err != nil:
				e.Refused = err.Error()
			case c == nil:
				e.Refused = fmt.Sprintf("no %s rows are left to fit when fold %d is held out", k, f)
			default:
				v, perr := c.at(rowPoint(r))
				if perr != nil {
					e.Refused = perr.Error()
				} else {
					e.PredictedMS = NullFloat(v)
				}
			}
			out = append(out, finishRow(e))
		}
	}
	return out, nil
}

// predictUnfitted predicts block rows from the components and model rows
// from blocks + rest, with the model fitted to the whole table.
func predictUnfitted(m *Model, h tablefmt.Header, rows []tablefmt.Row) []EvalRow {
	out := make([]EvalRow, 0, len(rows))
	for _, r := range rows {
		e := EvalRow{Kind: r.Kind, Key: r.Key(), Name: r.Name, MeasuredMS: r.MedianMS}
		var v float64
		var err error
		if r.Kind == tablefmt.KindBlock {
			v, err = m.BlockMS(r.EMB, h.Tokens, r.Block())
		} else {
			var s Prediction
			spec, serr := h.ModelSpec(r)
			if serr != nil {
				err = serr
			} else if s, err = m.Latency(spec); err == nil {
				v = s.TotalMS
			}
		}
		if err != nil {
			e.Refused = err.Error()
		} else {
			e.PredictedMS = NullFloat(v)
		}
		out = append(out, finishRow(e))
	}
	return out
}

func finishRow(e EvalRow) EvalRow {
	if e.Refused != "" {
		e.PredictedMS, e.ErrPct = NullFloat(math.NaN()), NullFloat(math.NaN())
		return e
	}
	if e.MeasuredMS > 0 {
		e.ErrPct = NullFloat(100 * (float64(e.PredictedMS) - e.MeasuredMS) / e.MeasuredMS)
	} else {
		e.ErrPct = NullFloat(math.NaN())
	}
	return e
}

// summarise computes a group's metrics over its predicted rows.
func summarise(k tablefmt.Kind, how string, folds int, rows []EvalRow) Group {
	g := Group{Kind: k, How: how, Rows: len(rows)}
	var meas, pred []float64
	for _, r := range rows {
		if r.Refused != "" || math.IsNaN(float64(r.ErrPct)) {
			g.Refused++
			continue
		}
		meas = append(meas, r.MeasuredMS)
		pred = append(pred, float64(r.PredictedMS))
	}
	g.Metrics = ComputeMetrics(pred, meas)
	if g.Refused > 0 {
		first := ""
		for _, r := range rows {
			if r.Refused != "" {
				first = r.Refused
				break
			}
		}
		if first == "" {
			first = "a measured latency of 0"
		}
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d of %d rows not predicted, e.g. %s", g.Refused, len(rows), first))
	}
	switch {
	case g.N == 0:
		g.Warnings = append(g.Warnings, "no predictions: no metrics")
	case g.N < 20:
		g.Warnings = append(g.Warnings, fmt.Sprintf("only %d %s rows: the figures are rough", g.N, how))
	}
	if how == "k-fold" && len(rows) < 2*folds {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d rows over %d folds: most folds hold out a whole axis value, so this measures extrapolation", len(rows), folds))
	}
	return g
}

// ComputeMetrics compares predictions with measurements (equal lengths,
// measurements positive).
func ComputeMetrics(pred, meas []float64) Metrics {
	if len(pred) != len(meas) {
		panic("costmodel: ComputeMetrics: slice length mismatch")
	}
	m := Metrics{N: len(pred), Spearman: NullFloat(math.NaN())}
	if m.N == 0 {
		nan := NullFloat(math.NaN())
		m.MAPE, m.RMSPE, m.Within5, m.Within10, m.MedianAPE, m.MaxAPE = nan, nan, nan, nan, nan, nan
		return m
	}
	var sa, ss, maxA float64
	var w5, w10 int
	abs := make([]float64, len(pred))
	for i := range pred {
		e := (pred[i] - meas[i]) / meas[i]
		a := math.Abs(e)
		abs[i] = 100 * a
		sa += a
		ss += e * e
		maxA = math.Max(maxA, 100*a)
		// A hair of tolerance so that exactly 5% counts as within 5%.
		if a <= 0.05+1e-12 {
			w5++
		}
		if a <= 0.10+1e-12 {
			w10++
		}
	}
	n := float64(m.N)
	m.MAPE = NullFloat(100 * sa / n)
	m.RMSPE = NullFloat(100 * math.Sqrt(ss/n))
	m.Within5 = NullFloat(100 * float64(w5) / n)
	m.Within10 = NullFloat(100 * float64(w10) / n)
	m.MedianAPE = NullFloat(median(abs))
	m.MaxAPE = NullFloat(maxA)
	m.Spearman = NullFloat(Spearman(pred, meas))
	return m
}

// Spearman is the rank correlation of x and y (ties get their mean rank):
// the Pearson correlation (gonum stat.Correlation) of the ranks. It is NaN
// with fewer than 3 values or when either has no spread.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("costmodel: Spearman: slice length mismatch")
	}
	if len(x) < 3 {
		return math.NaN()
	}
	rx, ry := ranks(x), ranks(y)
	if slices.Min(rx) == slices.Max(rx) || slices.Min(ry) == slices.Max(ry) {
		return math.NaN()
	}
	return stat.Correlation(rx, ry, nil)
}

// median sorts v and returns its median.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// ranks returns 1-based ranks with ties averaged.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}
