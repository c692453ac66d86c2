package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nvitprof/nvitprof/arch"
)

// FamilyColumns are the columns of WriteFamilyCSV.
func FamilyColumns() []string {
	return []string{"name", "budget", "target_ms", "latency_ms", "speedup", "emb", "heads", "qk", "v", "mlp",
		"params", "macs", "rule_emb", "rule_latency_ms", "snap_moves", "snap_params_gain_pct", "reference", "ref_latency_ms", "same_as"}
}

// WriteFamilyCSV writes a family of variants (arch.Family) as CSV, one row
// per variant with the columns of FamilyColumns: its budget, target and
// latency (ms), speedup over the reference (of latency refMS), per-block
// dimensions (space-separated), counts, the rule's width and latency before
// snapping, what snapping changed, and, when an earlier budget gave the
// same architecture, that variant's name (same_as; empty otherwise).
func WriteFamilyCSV(w io.Writer, fam []arch.Variant, refMS float64) error {
	cw := csv.NewWriter(w)
	cw.Write(FamilyColumns())
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	ints := func(v []int) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, " ")
	}
	same := sameAs(fam)
	for i, v := range fam {
		d := v.Spec.Dim()
		moves, gain := "0", "0"
		if v.Snap != nil {
			moves, gain = strconv.Itoa(len(v.Snap.Moves)), f(100*v.Snap.ParamsGain())
		}
		cw.Write([]string{v.Spec.Name, f(v.Budget), f(v.TargetMS), f(v.Latency), f(refMS / v.Latency), strconv.Itoa(d.EMB),
			ints(d.Head), ints(d.QK), ints(d.V), ints(d.MLP), strconv.FormatInt(v.Spec.Params(), 10), strconv.FormatInt(v.Spec.MACs(), 10),
			strconv.Itoa(v.RuleEMB), f(v.RuleLat), moves, gain, v.Reference, f(refMS), same[i]})
	}
	cw.Flush()
	return cw.Error()
}

// WriteFamilyText writes a family for people: the reference (of latency
// refMS) on one line, then a table of the variants with their budget,
// latency, speedup, EMB, counts and what snapping changed, and a line for
// each variant whose architecture an earlier budget already gave.
func WriteFamilyText(w io.Writer, fam []arch.Variant, ref arch.Spec, refMS float64) error {
	name := ref.Name
	if name == "" {
		name = "reference"
	}
	fmt.Fprintf(w, "reference %s: %.4g ms predicted, %s params, %s MACs\n", name, refMS,
		FormatCount(ref.Params()), FormatCount(ref.MACs()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tbudget\tlatency ms\tspeedup\tEMB\tparams\tMACs\tsnap\t")
	for _, v := range fam {
		snap := "-"
		if v.Snap != nil {
			snap = fmt.Sprintf("%d moves, params %+.1f%%", len(v.Snap.Moves), 100*v.Snap.ParamsGain())
		}
		fmt.Fprintf(tw, "%s\t%.2f×\t%.4g\t%.2f×\t%d\t%s\t%s\t%s\t\n", v.Spec.Name, v.Budget, v.Latency, refMS/v.Latency,
			v.Spec.EMB, FormatCount(v.Spec.Params()), FormatCount(v.Spec.MACs()), snap)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, s := range sameAs(fam) {
		if s != "" {
			fmt.Fprintf(w, "%s is the same architecture as %s\n", fam[i].Spec.Name, s)
		}
	}
	return nil
}

// sameAs is, for each variant, the name of the first earlier variant of
// the same architecture; "" for the first of each.
func sameAs(fam []arch.Variant) []string {
	out := make([]string, len(fam))
	first := map[string]string{}
	for i, v := range fam {
		k := dimKey(v.Spec)
		if n, ok := first[k]; ok {
			out[i] = n
		} else {
			first[k] = v.Spec.Name
		}
	}
	return out
}

// FormatCount writes a count for people: 5717416 as 5.72M, 1.26G, 12.3k.
func FormatCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
