package prunemnist

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
)

// Model is one model of the comparison: the dense model or a pruned one.
type Model struct {
	Name        string   `json:"name"`
	Dim         arch.Dim `json:"dim"`
	Params      int64    `json:"params"`
	MACs        int64    `json:"macs"`
	Accuracy    float64  `json:"accuracy"` // top-1 on the test images, a fraction
	PredictedMS float64  `json:"predicted_ms"`
	MeasuredMS  float64  `json:"measured_ms"`
	SpreadMS    float64  `json:"measured_spread_ms"`
	PredSpeedup float64  `json:"predicted_speedup"` // over the dense model
	MeasSpeedup float64  `json:"measured_speedup"`

	spec    arch.Spec
	weights *pruner.Weights
}

// Summary is what a Run found.
type Summary struct {
	Device      string  `json:"device"`
	Cores       int     `json:"cores"`
	Threads     int     `json:"measure_threads"` // GOMAXPROCS while measuring
	Batch       int     `json:"batch"`
	Target      float64 `json:"target"`
	Eta         float64 `json:"eta"`
	TestImages  int     `json:"test_images"`
	Models      []Model `json:"models"`
	Rule        *Rule   `json:"rule,omitempty"` // fitted to the pruned models
	TrainS      float64 `json:"train_s"`
	SweepS      float64 `json:"sweep_s"`
	PruneS      float64 `json:"prune_s"`
	MeasureS    float64 `json:"measure_s"`
	TotalS      float64 `json:"total_s"`
	SweepRows   int     `json:"sweep_rows"`
	ModelSource string  `json:"cost_model"`
	// Sweep is the sweep's result (how far apart its passes were); not
	// written to summary.json.
	Sweep profiler.RunResult `json:"-"`
}

// Rule is the redistribution rule fitted to the pruned models and the
// family generated from it.
type Rule struct {
	Rule     string        `json:"rule"`    // arch.Rule.String
	Profile  string        `json:"profile"` // the ε profile along the depth
	Exact    bool          `json:"exact"`   // regenerates the pruned models exactly
	LogRMS   float64       `json:"log_rms"` // RMS of ln(fitted / kept) over every width
	Variants []RuleVariant `json:"variants"`
	Dir      string        `json:"dir"` // trends figure, CSV and rule.json
}

// RuleVariant is one architecture generated from the fitted rule.
type RuleVariant struct {
	Budget      float64  `json:"budget"` // fraction of the dense model's predicted latency
	Dim         arch.Dim `json:"dim"`
	Params      int64    `json:"params"`
	PredictedMS float64  `json:"predicted_ms"`
}

// write writes s as summary.json and summary.md into dir.
func (s *Summary) write(dir string) error {
	err := atomicfile.WriteFile(filepath.Join(dir, "summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "summary.md"), s.WriteMarkdown)
}

// WriteMarkdown writes s as a short Markdown page: the models side by side,
// each pruned model against the dense one and against the latency-blind
// run, the fitted rule and where the time went.
func (s *Summary) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# nvitprof demo prune-mnist\n\nmeasured on %s (training on %d threads), batch %d; cost model: %s (%d configurations swept)\n",
		s.Device, s.Cores, s.Batch, s.ModelSource, s.SweepRows)
	fmt.Fprintf(w, "target %.2f × dense predicted latency; latency-aware eta %g; top-1 on %d MNIST test images\n\n", s.Target, s.Eta, s.TestImages)
	fmt.Fprintf(w, "| model | dims | params | top-1 | predicted ms | measured ms | predicted speedup | measured speedup |\n|---|---|---|---|---|---|---|---|\n")
	for _, m := range s.Models {
		fmt.Fprintf(w, "| %s | EMB %d, heads %v, QK %v, V %v, MLP %v | %d | %.2f%% | %.4g | %.4g ± %.2g | %.2f× | %.2f× |\n",
			m.Name, m.Dim.EMB, m.Dim.Head, m.Dim.QK, m.Dim.V, m.Dim.MLP, m.Params, 100*m.Accuracy, m.PredictedMS, m.MeasuredMS, m.SpreadMS, m.PredSpeedup, m.MeasSpeedup)
	}
	if len(s.Models) > 1 {
		fmt.Fprintln(w)
		s.writeAgainstDense(w)
		s.writeAgainstBlind(w)
	}
	s.writeRule(w)
	_, err := fmt.Fprintf(w, "\ntimes: train %.0f s, sweep %.0f s, prune %.0f s, evaluate+measure %.0f s, total %.0f s\n",
		s.TrainS, s.SweepS, s.PruneS, s.MeasureS, s.TotalS)
	return err
}

func (s *Summary) writeAgainstDense(w io.Writer) {
	for _, m := range s.Models[1:] {
		what := map[string]string{"aware": fmt.Sprintf("NViT score, eta %g", s.Eta), "knapsack": "HALP knapsack", "blind": "eta = 0"}[m.Name]
		fmt.Fprintf(w, "%-8s (%s): top-1 %+.2f points vs dense; measured speedup %.2f× vs predicted %.2f× (%+.1f%%)\n",
			m.Name, what, 100*(m.Accuracy-s.Models[0].Accuracy), m.MeasSpeedup, m.PredSpeedup, 100*(m.MeasSpeedup/m.PredSpeedup-1))
	}
}

// writeAgainstBlind compares each latency-aware run with the blind one at
// their predicted latencies.
func (s *Summary) writeAgainstBlind(w io.Writer) {
	i := slices.IndexFunc(s.Models, func(m Model) bool { return m.Name == "blind" })
	if i <= 0 {
		return
	}
	b, dense := s.Models[i], s.Models[0].PredictedMS
	fmt.Fprintln(w)
	for _, m := range s.Models[1:] {
		if m.Name != b.Name {
			fmt.Fprintf(w, "%-8s - blind: top-1 %+.2f points at %.1f%% against %.1f%% of the dense model's predicted latency (one seed: bench/prune-pairs.sh repeats it)\n",
				m.Name, 100*(m.Accuracy-b.Accuracy), 100*m.PredictedMS/dense, 100*b.PredictedMS/dense)
		}
	}
}

func (s *Summary) writeRule(w io.Writer) {
	r := s.Rule
	if r == nil {
		return
	}
	exact := fmt.Sprintf("not exact: RMS %.1f%% in log space", 100*r.LogRMS)
	if r.Exact {
		exact = "regenerates the pruned models exactly"
	}
	fmt.Fprintf(w, "\nrule fitted to the pruned models (%s; %s): %s; profile %s\n", r.Dir, exact, r.Rule, r.Profile)
	for _, v := range r.Variants {
		fmt.Fprintf(w, "  %.2f× budget: EMB %d, heads %v, MLP %v: %d params, predicted %.4g ms\n",
			v.Budget, v.Dim.EMB, v.Dim.Head, v.Dim.MLP, v.Params, v.PredictedMS)
	}
}

// dimLine is an architecture's dims on one line.
func dimLine(s arch.Spec) string {
	d := s.Dim()
	return fmt.Sprintf("EMB %d, heads %v, QK %v, V %v, MLP %v", d.EMB, d.Head, d.QK, d.V, d.MLP)
}
