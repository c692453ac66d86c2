package costmodel

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// WriteText writes the evaluation in the manner of benchstat: a table of
// metrics per kind of row, each whole model's error (a model row predicted
// from its parts), the replicate's agreement, then the warnings as numbered
// footnotes.
func (e *Evaluation) WriteText(w io.Writer) error {
	src := e.Source
	path := src.Path
	if path == "" {
		path = "(table)"
	}
	fmt.Fprintf(w, "table: %s (%s; %d rows fitted, sha256 %.12s)\n", path, src.Summary, src.Rows, src.SHA256)
	fmt.Fprintf(w, "model: %s, %d-fold cross-validation, seed %d\n\n", e.Model, e.Folds, e.Seed)
	notes, err := writeGroups(w, "predicted", e.Groups, nil)
	if err != nil {
		return err
	}
	if err := e.writeModels(w); err != nil {
		return err
	}
	if len(e.Replicate) > 0 {
		fmt.Fprintf(w, "\nreplicate: %s, the same configurations measured again (the floor for the errors above)\n\n", e.ReplicatePath)
		groups := e.Replicate
		if e.ReplicateAll != nil {
			groups = append(groups[:len(groups):len(groups)], *e.ReplicateAll)
		}
		if notes, err = writeGroups(w, "shared", groups, notes); err != nil {
			return err
		}
	}
	all := append(notes, e.Warnings...)
	if len(all) > 0 {
		fmt.Fprintln(w)
	}
	for i, n := range notes {
		fmt.Fprintf(w, "(%d) %s\n", i+1, n)
	}
	for _, n := range e.Warnings {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// writeGroups writes one metrics table (count is the heading of the N
// column) and returns notes with the groups' warnings appended, each marked
// in the table by its footnote number.
func writeGroups(w io.Writer, count string, groups []Group, notes []string) ([]string, error) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rows\tkind\t%s\tMAPE\tRMSPE\t±5%%\t±10%%\tmedian err\tmax err\tSpearman\t\t\n", count)
	for _, g := range groups {
		var marks string
		for _, wmsg := range g.Warnings {
			notes = append(notes, wmsg)
			marks += fmt.Sprintf("(%d)", len(notes))
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s %s\t\n", g.Rows, g.Kind, g.N,
			pct(g.MAPE), pct(g.RMSPE), pct(g.Within5), pct(g.Within10), pct(g.MedianAPE), pct(g.MaxAPE), corr(g.Spearman), g.How, marks)
	}
	return notes, tw.Flush()
}

// writeModels lists the model rows: a whole model measured against the sum
// of its predicted parts (blocks + rest), the check that a table's parts
// add up to what a model runs at.
func (e *Evaluation) writeModels(w io.Writer) error {
	var models []EvalRow
	for _, r := range e.Rows {
		if r.Kind == tablefmt.KindModel {
			models = append(models, r)
		}
	}
	if len(models) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nwhole models against their parts (blocks + rest), predicted:\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tmeasured\tpredicted\terr\t\n")
	for _, r := range models {
		name := r.Name
		if name == "" {
			name = r.Key
		}
		pred, errPct := "~", "~"
		if r.Refused == "" && !math.IsNaN(float64(r.PredictedMS)) {
			pred = fmt.Sprintf("%.4g ms", float64(r.PredictedMS))
		}
		if !math.IsNaN(float64(r.ErrPct)) {
			errPct = fmt.Sprintf("%+.1f%%", float64(r.ErrPct))
		}
		fmt.Fprintf(tw, "%s\t%.4g ms\t%s\t%s\t\n", name, r.MeasuredMS, pred, errPct)
	}
	return tw.Flush()
}

// WriteJSON writes the evaluation as indented JSON.
func (e *Evaluation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(e)
}

func pct(f NullFloat) string {
	v := float64(f)
	if math.IsNaN(v) {
		return "~"
	}
	switch {
	case v >= 99.95 && v < 100:
		return fmt.Sprintf("%.2f%%", v)
	case v < 10:
		return fmt.Sprintf("%.2f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

func corr(f NullFloat) string {
	v := float64(f)
	if math.IsNaN(v) {
		return "~"
	}
	return fmt.Sprintf("%.4f", v)
}

// EvalCSVColumns are the columns WriteCSV writes.
func EvalCSVColumns() []string {
	return []string{"kind", "key", "name", "fold", "measured_ms", "predicted_ms", "err_pct", "refused"}
}

// WriteCSV writes the predicted-vs-measured list, one line per row, for
// plotting. Refused rows have empty predicted_ms and err_pct.
func (e *Evaluation) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(EvalCSVColumns())
	num := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, r := range e.Rows {
		cw.Write([]string{string(r.Kind), r.Key, r.Name, strconv.Itoa(r.Fold), num(r.MeasuredMS), num(float64(r.PredictedMS)), num(float64(r.ErrPct)), r.Refused})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("costmodel: write predictions: %w", err)
	}
	return nil
}
