package profiler

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// DefaultShare is the share of an adaptive sweep's validation sample that
// must be predicted within its accuracy target, unless told otherwise.
const DefaultShare = 0.95

// AdaptiveOptions make a sweep adaptive (PlanOptions.Adaptive): instead of
// the whole grid it measures a small design over every axis, then, round
// after round, the configurations the cost model is least sure of, and stops
// when a validation sample it measured for that purpose, never fitted, is
// predicted within the target, or at its budget.
type AdaptiveOptions struct {
	// AccuracyPct is the target: Share of the validation sample predicted
	// within ±AccuracyPct percent. 0: no target, measure up to the budget.
	AccuracyPct float64
	// Share is the part of the validation sample that must meet the
	// target, in (0, 1]; 0: DefaultShare.
	Share float64
	// Budget is the most configurations the sweep measures, validation,
	// rest and models included; 0: no limit.
	Budget int
	// Time is how long the sweep may measure: no round starts after it;
	// 0: no limit.
	Time time.Duration
	// Holdout is the size of the validation sample; 0: a tenth of the
	// configurations it is drawn from, at least 5 and at most 60.
	Holdout int
	// Seed draws the validation sample and the folds; 0: 1.
	Seed uint64
	// Prior, when not nil, is a table of another device or batch whose
	// predictions the model between rounds starts from: it fits a smooth
	// correction of the prior to the rows measured (costmodel.FitPrior).
	// PriorPath names it in messages.
	Prior     *tablefmt.Table
	PriorPath string
	// Round, when set, is called after each round's fit, for benchmarks
	// and progress.
	Round func(AdaptiveRound)
}

// AdaptiveRound is an adaptive sweep after the fit of one round.
type AdaptiveRound struct {
	Round    int // 1 for the initial design
	Measured int // configurations measured so far, validation included
	Fitted   int // of which fitted
	// Validation is how well Model predicts the validation rows measured.
	Validation Validation
	Model      *costmodel.Model
	// Table is the table as measured so far.
	Table tablefmt.Table
	// Next are the configurations the next round measures; none when the
	// sweep stops.
	Next []tablefmt.Row
}

// Validation is how well a model predicts a validation sample.
type Validation struct {
	costmodel.Metrics
	// WithinPct is the share of the sample within ±AccuracyPct, percent
	// (Metrics.Within5 and Within10 give ±5% and ±10%).
	WithinPct float64
	// AccuracyPct is the target's accuracy, percent.
	AccuracyPct float64
}

// AdaptiveResult is what an adaptive sweep did (RunResult.Adaptive).
type AdaptiveResult struct {
	// Grid is the number of configurations of the full grid; Measured how
	// many of them the table holds, validation included, Holdout of which
	// the validation sample.
	Grid, Measured, Holdout int
	Rounds                  int
	// TargetPct and Share are the target (AdaptiveOptions), TargetPct 0
	// for none.
	TargetPct, Share float64
	Validation       Validation
	// Met reports whether the target was met; Stop says why the sweep
	// stopped: StopMet, StopBudget, StopTime or StopGrid.
	Met  bool
	Stop string
}

// Why an adaptive sweep stopped (AdaptiveResult.Stop).
const (
	StopMet    = "target met"
	StopBudget = "budget spent"
	StopTime   = "time spent"
	StopGrid   = "grid measured"
)

// uncertaintyName is the criterion recorded in the header
// (tablefmt.Sampling.Uncertainty).
const uncertaintyName = "slab-cv"

// ErrAdaptiveShards is the error of an adaptive sweep asked to measure a
// shard of the grid.
var ErrAdaptiveShards = errors.New("an adaptive sweep chooses each configuration from everything measured before it, so it cannot be split into shards; measure with several devices or workers in one sweep instead")

// check reports options that cannot be used, as an *OptionError.
func (o AdaptiveOptions) check() error {
	switch {
	case math.IsNaN(o.AccuracyPct) || o.AccuracyPct < 0 || o.AccuracyPct >= 100:
		return optionErrorf("accuracy", "must be a percentage above 0 and below 100, got %g", o.AccuracyPct)
	case math.IsNaN(o.Share) || o.Share < 0 || o.Share > 1:
		return optionErrorf("share", "must be in (0, 1], got %g", o.Share)
	case o.Budget < 0:
		return optionErrorf("budget", "must not be negative, got %d", o.Budget)
	case o.Time < 0:
		return optionErrorf("budget", "a time budget must not be negative, got %s", o.Time)
	case o.Holdout < 0:
		return optionErrorf("holdout", "must not be negative, got %d", o.Holdout)
	case o.AccuracyPct == 0 && o.Budget == 0 && o.Time == 0:
		return optionErrorf("accuracy", "an adaptive sweep needs an accuracy target, a budget or a time limit")
	}
	return nil
}

// withDefaults fills in what o leaves zero.
func (o AdaptiveOptions) withDefaults() AdaptiveOptions {
	if o.Share == 0 {
		o.Share = DefaultShare
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// String describes a validation for a sweep's last line, e.g. "57 of 60
// validation configurations (95.0%) within ±5%, max error 6.1%".
func (v Validation) String() string {
	if v.N == 0 {
		return "no validation configurations predicted"
	}
	within := int(math.Round(v.WithinPct * float64(v.N) / 100))
	return fmt.Sprintf("%d of %d validation configurations (%.1f%%) within ±%g%%, max error %.1f%%",
		within, v.N, v.WithinPct, v.AccuracyPct, float64(v.MaxAPE))
}

// planAdaptive plans an adaptive sweep of configs under opts (nil: none)
// and records its sampling in h.
func planAdaptive(opts *AdaptiveOptions, configs []tablefmt.Row, h *tablefmt.Header) (*sampler, error) {
	if opts == nil {
		return nil, nil
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	s, err := newSampler(configs, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	h.Sampling = s.describe()
	return s, nil
}
