package costmodel

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/nvitprof/nvitprof/arch"
)

// PredictionReport is the latency of one architecture predicted by a model,
// and its speedup over a reference when one is given: what `nvitprof
// predict` prints (WriteText) or encodes (WriteJSON).
type PredictionReport struct {
	Name      string    `json:"name,omitempty"` // the architecture's
	Model     string    `json:"model"`          // the model's kind
	Source    string    `json:"source"`         // the model's table, or "(table)" when it has no path
	LatencyMS float64   `json:"latency_ms"`     // blocks + rest
	BlocksMS  []float64 `json:"blocks_ms"`
	RestMS    float64   `json:"rest_ms"`
	Rest      bool      `json:"rest"`            // whether RestMS is predicted (see Prediction)
	Batch     int       `json:"batch,omitempty"` // the table's batch; 0 when unknown
	// The reference, when there is one: its name, latency, the speedup
	// (reference latency / latency) and, for comparison with the speedup, the
	// ratio of multiply-accumulates (reference MACs / MACs).
	Ref          string   `json:"ref,omitempty"`
	RefLatencyMS float64  `json:"ref_latency_ms,omitempty"`
	Speedup      float64  `json:"speedup,omitempty"`
	MACRatio     float64  `json:"mac_ratio,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

// Report predicts s, and its speedup over ref when ref is not nil.
func (m *Model) Report(s arch.Spec, ref *arch.Spec) (*PredictionReport, error) {
	p, err := m.Latency(s)
	if err != nil {
		return nil, err
	}
	path := m.source.Path
	if path == "" {
		path = "(table)"
	}
	r := &PredictionReport{Name: s.Name, Model: string(m.kind), Source: path, LatencyMS: p.TotalMS,
		BlocksMS: p.BlocksMS, RestMS: p.RestMS, Rest: p.Rest, Batch: m.source.Header.Batch, Warnings: p.Warnings}
	if ref == nil {
		return r, nil
	}
	r.Ref = ref.Name
	if r.Ref == "" {
		r.Ref = "reference"
	}
	pr, err := m.Latency(*ref)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", r.Ref, err)
	}
	if p.TotalMS <= 0 {
		return nil, fmt.Errorf("costmodel: speedup: %s is predicted to take no time", nameOf(s))
	}
	r.RefLatencyMS, r.Speedup = pr.TotalMS, pr.TotalMS/p.TotalMS
	r.MACRatio = float64(ref.MACs()) / float64(s.MACs())
	return r, nil
}

// WriteText writes r in two lines or fewer, then its warnings as notes.
func (r *PredictionReport) WriteText(w io.Writer) error {
	name := r.Name
	if name == "" {
		name = "architecture"
	}
	batch := ""
	if r.Batch > 0 {
		batch = fmt.Sprintf(" per batch of %d", r.Batch)
	}
	rest := fmt.Sprintf("rest %.4g ms", r.RestMS)
	if !r.Rest {
		rest = "rest not in the table"
	}
	_, err := fmt.Fprintf(w, "%s: %.4g ms%s (%d blocks %.4g ms, %s) — %s model of %s\n",
		name, r.LatencyMS, batch, len(r.BlocksMS), r.LatencyMS-r.RestMS, rest, r.Model, r.Source)
	if r.Ref != "" {
		fmt.Fprintf(w, "speedup over %s (%.4g ms): %.3f× (MAC ratio %.2f×)\n", r.Ref, r.RefLatencyMS, r.Speedup, r.MACRatio)
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "note: %s\n", msg)
	}
	return err
}

// WriteJSON writes r as one line of JSON.
func (r *PredictionReport) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(r)
}
