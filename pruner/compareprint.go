package pruner

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteComparisons prints cs as text: per setting, a table of the methods
// (runs, top-1 by seed, mean, predicted latency range, mean parameters) and
// each method's paired difference from the blind runs; then the pools over
// the settings of one target (Pool) that span two settings or more.
func WriteComparisons(w io.Writer, cs []Comparison) error {
	for i, c := range cs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := writeComparison(w, c); err != nil {
			return err
		}
	}
	for _, p := range Pool(cs) {
		if p.Settings < 2 {
			continue
		}
		if _, err := fmt.Fprintf(w, "\npooled over the %d settings at target %.3g: %s − %s, %d pairs: %+.3f ± %.3f points (standard error); not worse in %d of %d\n",
			p.Settings, p.Target, p.Method, BlindMethod, len(p.Diffs), p.Mean, p.SE, p.NotWorse, len(p.Diffs)); err != nil {
			return err
		}
	}
	return nil
}

// writeComparison prints one setting: its header line, the methods' table
// and the paired differences.
func writeComparison(w io.Writer, c Comparison) error {
	s := c.Setting
	fmt.Fprintf(w, "target %.3g × dense; dense %s, predicted %.4g ms, top-1 %.2f%%; cost model %s\n",
		s.Target, s.Dense, s.DenseMS, 100*s.DenseAcc, s.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  method\truns\ttop-1 % by seed\tmean\tpredicted, % of dense\tparams (mean)")
	for _, m := range c.MethodNames() {
		writeMethodRow(tw, m, c.Methods[m])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range c.Paired {
		per := make([]string, len(p.Diffs))
		for i, d := range p.Diffs {
			per[i] = fmt.Sprintf("%+.2f", d)
		}
		se := "n/a with one seed"
		if !math.IsNaN(p.SE) {
			se = fmt.Sprintf("± %.3f", p.SE)
		}
		fmt.Fprintf(w, "  %s − %s, paired over %d seeds: %+.3f %s points (standard error); not worse in %d of %d; per seed %s\n",
			p.Method, BlindMethod, len(p.Diffs), p.Mean, se, p.NotWorse, len(p.Diffs), strings.Join(per, " "))
	}
	if len(c.Paired) == 0 && len(c.Methods) > 1 {
		fmt.Fprintf(w, "  no pairs: no %s run shares a seed with the others\n", BlindMethod)
	}
	return nil
}

// writeMethodRow is a method's row of the table: its runs' top-1 by seed
// and mean, the range of their predicted latency and their mean size.
func writeMethodRow(w io.Writer, method string, rs []RunSummary) {
	var accs []string
	var sum, params float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		accs = append(accs, fmt.Sprintf("%d: %.2f", r.Seed, 100*r.Final.Accuracy))
		sum += 100 * r.Final.Accuracy
		params += float64(r.Final.Params)
		lo, hi = math.Min(lo, 100*r.Final.Relative), math.Max(hi, 100*r.Final.Relative)
	}
	n := float64(len(rs))
	fmt.Fprintf(w, "  %s\t%d\t%s\t%.2f\t%.1f–%.1f\t%.0f\n", method, len(rs), strings.Join(accs, " "), sum/n, lo, hi, params/n)
}

// comparisonJSON is one setting of the JSON output.
type comparisonJSON struct {
	Target   float64          `json:"target"`
	Dense    string           `json:"dense"`
	DenseMS  float64          `json:"dense_ms"`
	DenseTop float64          `json:"dense_top1"`
	Model    string           `json:"cost_model"`
	Runs     []runJSON        `json:"runs"`
	Paired   []pairedDiffJSON `json:"paired"`
}

type runJSON struct {
	Dir         string  `json:"dir"`
	Method      string  `json:"method"`
	Seed        uint64  `json:"seed"`
	Top1        float64 `json:"top1"`
	PredictedMS float64 `json:"predicted_ms"`
	Relative    float64 `json:"relative"`
	Params      int64   `json:"params"`
	Dims        string  `json:"dims"`
}

type pairedDiffJSON struct {
	Method   string    `json:"method"`
	Seeds    []uint64  `json:"seeds"`
	Diffs    []float64 `json:"diffs"`
	Mean     float64   `json:"mean"`
	SE       *float64  `json:"se"` // null with one seed
	NotWorse int       `json:"not_worse"`
}

// comparisonsJSON is the JSON output: the settings and the pools over
// settings of one target.
type comparisonsJSON struct {
	Settings []comparisonJSON `json:"settings"`
	Pooled   []pooledJSON     `json:"pooled"`
}

type pooledJSON struct {
	Target   float64 `json:"target"`
	Settings int     `json:"settings"`
	pairedDiffJSON
}

func pairedJSON(p PairedDiff) pairedDiffJSON {
	pj := pairedDiffJSON{Method: p.Method, Seeds: p.Seeds, Diffs: p.Diffs, Mean: p.Mean, NotWorse: p.NotWorse}
	if !math.IsNaN(p.SE) {
		se := p.SE
		pj.SE = &se
	}
	return pj
}

// settingJSON is c as the JSON output has it: top-1 in percent, every run
// by method, the pairs.
func settingJSON(c Comparison) comparisonJSON {
	s := c.Setting
	j := comparisonJSON{Target: s.Target, Dense: s.Dense, DenseMS: s.DenseMS, DenseTop: 100 * s.DenseAcc, Model: s.Model,
		Runs: []runJSON{}, Paired: []pairedDiffJSON{}}
	for _, m := range c.MethodNames() {
		for _, r := range c.Methods[m] {
			j.Runs = append(j.Runs, runJSON{Dir: r.Dir, Method: m, Seed: r.Seed, Top1: 100 * r.Final.Accuracy,
				PredictedMS: r.Final.PredictedMS, Relative: r.Final.Relative, Params: r.Final.Params, Dims: r.Final.Dim.String()})
		}
	}
	for _, p := range c.Paired {
		j.Paired = append(j.Paired, pairedJSON(p))
	}
	return j
}

// WriteComparisonsJSON writes cs as one indented JSON object: "settings"
// (per setting: target, dense model, cost model, runs with top-1 in
// percent, paired differences with "se" null for one seed) and "pooled"
// (Pool).
func WriteComparisonsJSON(w io.Writer, cs []Comparison) error {
	out := comparisonsJSON{Settings: []comparisonJSON{}, Pooled: []pooledJSON{}}
	for _, c := range cs {
		out.Settings = append(out.Settings, settingJSON(c))
	}
	for _, p := range Pool(cs) {
		out.Pooled = append(out.Pooled, pooledJSON{Target: p.Target, Settings: p.Settings, pairedDiffJSON: pairedJSON(p.PairedDiff)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
