package profiler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// runAdaptive measures the plan adaptively into out. Each round is a
// SweepTable of every configuration chosen so far, so that each of its
// passes measures only what its table lacks (the new configurations), then
// a fit of the table, a validation, and the choice of the next round.
// Resumed, the configurations already in the tables (the first pass's
// holds every one begun) join the first round, and the loop goes on from
// what they measured. Configurations that fail are not chosen again in this
// run; the error lists them at the end.
func (p *Plan) runAdaptive(ctx context.Context, out string, h tablefmt.Header, ms []Measurer, opts RunOptions) (RunResult, error) {
	s := p.sampler
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	chosen, err := s.resume(PassFiles(out, h.Method.Passes), h, opts.Resume)
	if err != nil {
		return RunResult{Header: h}, err
	}
	fmt.Fprintln(log, s)
	r := adaptiveRun{out: out, header: h, measurers: markValidation(ms, s.isHoldout), opts: opts, chosen: chosen,
		excluded: map[string]bool{}, res: RunResult{Header: h},
		ar: &AdaptiveResult{Grid: s.grid, Holdout: len(s.holdout), TargetPct: s.opts.AccuracyPct, Share: s.opts.Share}}
	r.res.Adaptive = r.ar
	start := time.Now()
	var t tablefmt.Table
	for round := 1; ; round++ {
		if t, err = r.measure(ctx, round); err != nil {
			return r.res, err
		}
		next, stop, err := s.round(round, t, keysOf(t), r.excluded, len(ms), time.Since(start), r.ar)
		if err != nil {
			return r.res, err
		}
		fmt.Fprintf(log, "adaptive round %d: %d of %d configurations measured; %s; %s\n",
			round, r.ar.Measured, r.ar.Grid, r.ar.Validation, nextOrStop(next, stop))
		if stop != "" {
			r.ar.Stop = stop
			break
		}
		r.chosen = append(r.chosen, next...)
	}
	// Measuring disagreeing configurations again once, after the last round,
	// rather than in every round.
	if h.Method.Passes > 1 && r.res.SpreadN > 0 {
		a, err := agree(ctx, out, t, r.measurers, remeasureBudget(r.res.Passes, opts), opts)
		r.res.Agreement = a
		if err != nil && ctx.Err() == nil {
			return r.res, err
		}
	}
	if r.failed != nil {
		return r.res, r.failed
	}
	return r.res, nil
}

// adaptiveRun is an adaptive sweep under way.
type adaptiveRun struct {
	out       string
	header    tablefmt.Header
	measurers []Measurer
	opts      RunOptions
	chosen    []tablefmt.Row  // every configuration chosen so far
	excluded  map[string]bool // configurations that failed
	failed    *FailedError
	res       RunResult
	ar        *AdaptiveResult
}

// measure measures what round chose (every pass) and returns the table,
// its rows in key order. Configurations that failed leave the chosen.
func (r *adaptiveRun) measure(ctx context.Context, round int) (tablefmt.Table, error) {
	opts := r.opts
	opts.Resume = r.opts.Resume || round > 1
	opts.Remeasure = new(time.Duration(0)) // once, after the last round (runAdaptive)
	opts.Progress = roundProgress(r.opts.Progress, round)
	rr, err := SweepTable(ctx, r.out, r.header, r.chosen, r.measurers, opts)
	r.res.Header, r.res.Passes = rr.Header, append(r.res.Passes, rr.Passes...)
	if rr.SpreadN > 0 {
		r.res.Spread, r.res.SpreadN = rr.Spread, rr.SpreadN
	}
	var f *FailedError
	if errors.As(err, &f) {
		r.failed = r.failed.join(f)
		for _, ce := range f.Failed {
			r.excluded[ce.Row.Key()] = true
		}
		r.chosen = slices.DeleteFunc(r.chosen, func(c tablefmt.Row) bool { return r.excluded[c.Key()] })
	} else if err != nil {
		return tablefmt.Table{}, err
	}
	t, _, err := tablefmt.ReadTable(r.out)
	if err != nil {
		return t, err
	}
	// Workers append rows in the order they finish: fit them in one order,
	// so that rounding, and what the next round chooses, do not depend on it.
	slices.SortStableFunc(t.Rows, func(a, b tablefmt.Row) int { return strings.Compare(a.Key(), b.Key()) })
	return t, nil
}

// round fits t, validates, and chooses the next configurations (none, and
// why, when the sweep stops), filling in ar.
func (s *sampler) round(round int, t tablefmt.Table, done, excluded map[string]bool, measurers int, elapsed time.Duration, ar *AdaptiveResult) ([]tablefmt.Row, string, error) {
	fitted := s.sync(t)
	full, err := s.fitModel(t)
	if err != nil {
		return nil, "", fmt.Errorf("adaptive round %d: %w", round, err)
	}
	v := s.validate(full, t)
	ar.Rounds, ar.Measured, ar.Validation = round, len(done), v
	ar.Met = s.opts.AccuracyPct > 0 && v.N > 0 && v.WithinPct >= 100*s.opts.Share-1e-9
	var next []tablefmt.Row
	stop := ""
	switch {
	case ar.Met:
		stop = StopMet
	case s.opts.Budget > 0 && len(done) >= s.opts.Budget:
		stop = StopBudget
	case s.opts.Time > 0 && elapsed >= s.opts.Time:
		stop = StopTime
	default:
		left := -1
		if s.opts.Budget > 0 {
			left = s.opts.Budget - len(done)
		}
		var short bool
		next, short = s.refine(t, max(2*measurers, (fitted+7)/8), left)
		next = slices.DeleteFunc(next, func(r tablefmt.Row) bool { return excluded[r.Key()] })
		switch {
		case len(next) > 0:
		case short:
			stop = StopBudget
		default:
			stop = StopGrid
		}
	}
	if s.opts.Round != nil {
		s.opts.Round(AdaptiveRound{Round: round, Measured: len(done), Fitted: fitted, Validation: v, Model: full, Table: t, Next: next})
	}
	return next, stop, nil
}

// sync adds the candidates t measured to their designs, so that a resumed
// sweep goes on from what its table holds, and returns how many rows of t
// are fitted.
func (s *sampler) sync(t tablefmt.Table) int {
	n := 0
	for _, r := range t.Index() {
		c := s.where[r.Key()]
		if c == nil || r.Validation {
			continue
		}
		n++
		p := point(c.kind, r)
		c.design[pointKey(p)] = true
		for d, v := range p {
			c.chosen[d] = addValue(c.chosen[d], v)
		}
	}
	return n
}

func nextOrStop(next []tablefmt.Row, stop string) string {
	if stop != "" {
		return "stop: " + stop
	}
	return fmt.Sprintf("next %d", len(next))
}

// resume is what the first round measures: the first round's
// configurations, and, resuming, those already begun in the tables (the
// first pass's table holds every one), whose header must record the same
// sampling.
func (s *sampler) resume(files []string, h tablefmt.Header, resume bool) ([]tablefmt.Row, error) {
	chosen := s.first()
	if !resume {
		return chosen, nil
	}
	have := map[string]bool{}
	for _, r := range chosen {
		have[r.Key()] = true
	}
	inGrid := s.gridKeys()
	for _, path := range []string{files[0], files[len(files)-1]} {
		t, _, err := tablefmt.ReadTable(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := sameSampling(path, t.Header.Sampling, h.Sampling); err != nil {
			return nil, err
		}
		for _, r := range t.Rows {
			if k := r.Key(); !have[k] && inGrid[k] {
				have[k] = true
				chosen = append(chosen, configOf(r))
			}
		}
	}
	return chosen, nil
}

// gridKeys is the set of the full grid's keys.
func (s *sampler) gridKeys() map[string]bool {
	keys := make(map[string]bool, len(s.configs))
	for _, r := range s.configs {
		keys[r.Key()] = true
	}
	return keys
}

// configOf is the configuration r measured, without its measurement.
func configOf(r tablefmt.Row) tablefmt.Row {
	return tablefmt.Row{Kind: r.Kind, Name: r.Name, EMB: r.EMB, Heads: r.Heads, QK: r.QK, V: r.V, MLP: r.MLP, Dim: r.Dim}
}

// ErrSamplingDiffers is wrapped by the error of a resumed adaptive sweep
// whose table was sampled otherwise (another target, validation sample or
// seed), or is not adaptive at all.
var ErrSamplingDiffers = errors.New("sampled otherwise")

// sameSampling refuses to resume a table whose header records another
// sampling than want.
func sameSampling(path string, have, want *tablefmt.Sampling) error {
	switch {
	case have == nil && want == nil:
		return nil
	case have == nil || want == nil || *have != *want:
		return fmt.Errorf("%s was %w: %s, this sweep %s", path, ErrSamplingDiffers, describeSampling(have), describeSampling(want))
	}
	return nil
}

func describeSampling(s *tablefmt.Sampling) string {
	if s == nil {
		return "the whole grid"
	}
	target := "up to a budget"
	if s.AccuracyPct > 0 {
		target = fmt.Sprintf("to %g%% within ±%g%%", 100*s.Share, s.AccuracyPct)
	}
	prior := ""
	if s.Prior != "" {
		prior = fmt.Sprintf(", prior %.12s", s.Prior)
	}
	return fmt.Sprintf("%s %s of %d configurations, validation %d, seed %d%s", s.Strategy, target, s.Grid, s.Holdout, s.Seed, prior)
}

// refuseSampled refuses to resume, as a sweep of the whole grid, tables an
// adaptive sweep wrote: their header would say they were sampled.
func refuseSampled(files []string) error {
	for _, path := range files {
		t, _, err := tablefmt.ReadTable(path)
		if err == nil && t.Header.Sampling != nil {
			return sameSampling(path, t.Header.Sampling, nil)
		}
	}
	return nil
}

// roundProgress labels each pass's progress with its round.
func roundProgress(p func(string, int) Progress, round int) func(string, int) Progress {
	if p == nil {
		return nil
	}
	return func(label string, total int) Progress { return p(fmt.Sprintf("round %d %s", round, label), total) }
}

// markValidation wraps ms so that the rows of the validation sample come
// back marked (tablefmt.Row.Validation): measurers, and external runners,
// see configurations only.
func markValidation(ms []Measurer, keys map[string]bool) []Measurer {
	out := make([]Measurer, len(ms))
	for i, m := range ms {
		out[i] = validationMarker{m, keys}
	}
	return out
}

type validationMarker struct {
	Measurer
	keys map[string]bool
}

// Unwrap is the measurer v marks the rows of (see sumPhases).
func (v validationMarker) Unwrap() Measurer { return v.Measurer }

func (v validationMarker) Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error) {
	p, err := v.Measurer.Prepare(ctx, row)
	if err != nil {
		return nil, err
	}
	return markedPrepared{p, v.keys[row.Key()]}, nil
}

type markedPrepared struct {
	Prepared
	validation bool
}

func (p markedPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	r, err := p.Prepared.Time(ctx)
	r.Validation = p.validation
	return r, err
}

// String is the sweep's last line, e.g. "adaptive sweep: target met (95%
// within ±5%) after 7 rounds: 57 of 60 validation configurations (95.0%)
// within ±5%, max error 6.1%; measured 172 of 9375 configurations (1.8%)".
func (r AdaptiveResult) String() string {
	what := r.Stop
	switch {
	case r.Met:
		what = fmt.Sprintf("target met (%g%% within ±%g%%)", 100*r.Share, r.TargetPct)
	case r.TargetPct > 0:
		what = fmt.Sprintf("target (%g%% within ±%g%%) not met, %s", 100*r.Share, r.TargetPct, r.Stop)
	}
	rounds := "rounds"
	if r.Rounds == 1 {
		rounds = "round"
	}
	return fmt.Sprintf("adaptive sweep: %s after %d %s: %s; measured %d of %d configurations (%.1f%%)",
		what, r.Rounds, rounds, r.Validation, r.Measured, r.Grid, 100*float64(r.Measured)/float64(max(r.Grid, 1)))
}
