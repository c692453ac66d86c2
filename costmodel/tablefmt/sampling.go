package tablefmt

import (
	"fmt"
	"math"
)

// SamplingAdaptive is the strategy of an adaptive sweep (Sampling.Strategy):
// a small design over every axis, then the configurations a cost model is
// least sure of, until a validation sample is predicted well enough.
const SamplingAdaptive = "adaptive"

// Sampling, in the header of a table an adaptive sweep wrote
// (Header.Sampling), says how its configurations were chosen from the grid.
// A table without it measured every configuration of its grid.
type Sampling struct {
	// Strategy is how configurations were chosen: SamplingAdaptive.
	Strategy string `json:"strategy"`
	// AccuracyPct and Share are the target: Share of the validation rows
	// (Row.Validation) predicted within ±AccuracyPct percent. AccuracyPct 0:
	// no target, the sweep measured up to its budget.
	AccuracyPct float64 `json:"accuracy_pct,omitempty"`
	Share       float64 `json:"share"`
	// Grid is the number of configurations the sweep chose from.
	Grid int `json:"grid"`
	// Holdout is the size of the validation sample, measured and never
	// fitted.
	Holdout int `json:"holdout"`
	// Seed picked the validation sample and broke ties.
	Seed uint64 `json:"seed"`
	// Uncertainty names what chose the next configurations to measure, e.g.
	// "kfold-disagreement+cv-error".
	Uncertainty string `json:"uncertainty"`
	// Decompose says that the table's whole blocks are fitted as attention
	// plus MLP (costmodel.Decompose): the sweep measured blocks without MLP
	// for the attention and blocks at one attention configuration per EMB for
	// the MLP.
	Decompose bool `json:"decompose,omitempty"`
	// Prior, when the model between rounds started from another table, is
	// that table's SHA-256 (Table.Hash) and PriorSummary its header's
	// Summary: the model was the prior's predictions times a correction
	// fitted to this table's rows.
	Prior        string `json:"prior_sha256,omitempty"`
	PriorSummary string `json:"prior_summary,omitempty"`
}

// Validate reports a sampling record that no sweep writes.
func (s Sampling) Validate() error {
	switch {
	case s.Strategy != SamplingAdaptive:
		return fmt.Errorf("sampling.strategy %q: want %q", s.Strategy, SamplingAdaptive)
	case math.IsNaN(s.AccuracyPct) || s.AccuracyPct < 0 || s.AccuracyPct >= 100:
		return fmt.Errorf("sampling.accuracy_pct must be in [0, 100), got %v", s.AccuracyPct)
	case !(s.Share > 0 && s.Share <= 1):
		return fmt.Errorf("sampling.share must be in (0, 1], got %v", s.Share)
	case s.Grid < 0 || s.Holdout < 0:
		return fmt.Errorf("sampling.grid and sampling.holdout must not be negative, got %d and %d", s.Grid, s.Holdout)
	}
	return nil
}
