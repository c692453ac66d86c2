package profiler

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

// Options an adaptive sweep cannot use are refused before anything is
// measured, naming the option.
func TestAdaptiveRefusals(t *testing.T) {
	synth := "replay:" + testtables.Path(t, testtables.NViTSynthetic)
	for _, tc := range []struct {
		name   string
		opts   PlanOptions
		option string
		want   string
	}{
		{"no target", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{Holdout: 10}}, "accuracy", "needs an accuracy target, a budget or a time limit"},
		{"accuracy 100", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{AccuracyPct: 100}}, "accuracy", "above 0 and below 100, got 100"},
		{"negative accuracy", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{AccuracyPct: -5}}, "accuracy", "got -5"},
		{"NaN accuracy", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{AccuracyPct: math.NaN()}}, "accuracy", "got NaN"},
		{"negative holdout", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{AccuracyPct: 5, Holdout: -1}}, "holdout", "must not be negative"},
		{"small budget", PlanOptions{Device: synth, Adaptive: &AdaptiveOptions{AccuracyPct: 5, Budget: 60}}, "budget",
			"60 configurations is less than the first round needs: 73 (an initial design of 13 spanning every axis, a validation sample of 60, 0 rest and model configurations)"},
		{"shards", PlanOptions{Device: synth, Shard: 0, Shards: 2, Adaptive: &AdaptiveOptions{AccuracyPct: 5}}, "shard", "cannot be split into shards"},
		{"blocks without MLP 0", PlanOptions{Device: synth, EMB: []int{256}, Heads: []int{1, 3}, QK: []int{1}, V: []int{1}, MLP: []int{128, 256},
			Blocks: true, Adaptive: &AdaptiveOptions{AccuracyPct: 5}}, "mlp", "add MLP 0"},
		{"blocks on the cpu", PlanOptions{Preset: "quick", Blocks: true, Adaptive: &AdaptiveOptions{Budget: 100}}, "mlp", "add MLP 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(tc.opts)
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Option != tc.option || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewPlan: %v; want an *OptionError for %s with %q", err, tc.option, tc.want)
			}
		})
	}
}

// synthSweep sweeps the synthetic table's blocks adaptively to 95% within
// ±5% in at most 190 blocks.
func synthSweep(t *testing.T) (RunResult, tablefmt.Table) {
	t.Helper()
	p, err := NewPlan(PlanOptions{Device: "replay:" + testtables.Path(t, testtables.NViTSynthetic),
		Adaptive: &AdaptiveOptions{AccuracyPct: 5, Budget: 190}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "t.jsonl")
	res, err := p.Run(context.Background(), out, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tab, _, err := tablefmt.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	return res, tab
}

// On the synthetic table (NViT's grid, additive blocks with staircases and
// a kernel dip), the adaptive sweep meets its target within its budget, and
// the model fitted to the table it wrote predicts every one of the 9,375
// blocks, as the generator gives them, within 5% for at least 99% and
// within 10% for all. The table holds only what was measured, its
// validation rows marked, its sampling in the header; eval reproduces the
// validation figure the sweep stated.
func TestAdaptiveMeetsItsTargetOnTheSyntheticTable(t *testing.T) {
	res, tab := synthSweep(t)
	a := res.Adaptive
	if a == nil || !a.Met || a.Stop != StopMet || a.Measured > 190 || a.Grid != 9375 || len(tab.Rows) != a.Measured {
		t.Fatalf("result %+v, %d rows", a, len(tab.Rows))
	}
	s := tab.Header.Sampling
	if s == nil || s.Strategy != tablefmt.SamplingAdaptive || s.AccuracyPct != 5 || s.Share != 0.95 || !s.Decompose || s.Grid != 9375 || s.Holdout != a.Holdout {
		t.Errorf("sampling %+v", s)
	}
	val := 0
	for _, r := range tab.Rows {
		if r.Validation {
			val++
		}
	}
	if val != a.Holdout || val == 0 {
		t.Errorf("%d validation rows, validation sample %d", val, a.Holdout)
	}
	m, err := costmodel.Fit(tab, costmodel.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in5, worst := 0, 0.0
	for _, e := range testtables.NViTSyntheticEntries() {
		r := tablefmt.Row{Kind: tablefmt.KindBlock, EMB: e.EMB, Heads: e.Heads, QK: e.QK, V: e.V, MLP: e.MLP}
		p, err := m.RowMS(r)
		if err != nil {
			t.Fatal(err)
		}
		rel := math.Abs(p/(e.Seconds*1e3) - 1)
		worst = max(worst, rel)
		if rel <= 0.05 {
			in5++
		}
	}
	if share := float64(in5) / 9375; share < 0.99 || worst > 0.10 {
		t.Errorf("%.2f%% of the blocks within 5%%, worst %.1f%%: want ≥ 99%% and ≤ 10%%", 100*share, 100*worst)
	}
	ev, err := costmodel.Eval(tab, costmodel.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range ev.Groups {
		if g.How == costmodel.HowValidation && (g.N != a.Validation.N || float64(g.Within5) != a.Validation.WithinPct) {
			t.Errorf("eval's validation %+v, the sweep's %+v", g.Metrics, a.Validation)
		}
	}
	if line := a.String(); !strings.HasPrefix(line, "adaptive sweep: target met (95% within ±5%) after 1 round:") || !strings.HasSuffix(line, "of 9375 configurations (1.6%)") {
		t.Errorf("last line %q", line)
	}
}

// quickPlan plans an adaptive sweep of the recorded quick table to a third
// of its grid.
func quickPlan(t *testing.T, path, params string, opts PlanOptions) *Plan {
	t.Helper()
	opts.Device = "replay:" + path + params
	opts.Adaptive = &AdaptiveOptions{Budget: 27}
	p, err := NewPlan(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cancelAfter cancels the sweep's context once n configurations were
// timed, as Ctrl-C would.
type cancelAfter struct {
	Measurer
	n      *atomic.Int32
	cancel context.CancelFunc
}

func (c cancelAfter) Prepare(ctx context.Context, r tablefmt.Row) (Prepared, error) {
	if c.n.Add(-1) < 0 {
		c.cancel()
		return nil, ctx.Err()
	}
	return c.Measurer.Prepare(ctx, r)
}

// An adaptive sweep interrupted in its first round and resumed ends as one
// never interrupted: the same configurations, each once. Interrupted in a
// later round, resumed, it goes on from what its table holds and spends
// the same budget, each configuration once.
func TestAdaptiveResumes(t *testing.T) {
	path := testtables.Path(t, testtables.QuickCPU)
	whole := filepath.Join(t.TempDir(), "whole.jsonl")
	if _, err := quickPlan(t, path, "", PlanOptions{}).Run(context.Background(), whole, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	want, _, _ := tablefmt.ReadTable(whole)
	for _, tc := range []struct {
		name  string
		after int32
		same  bool
	}{{"first round", 7, true}, {"later round", 21, false}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "t.jsonl")
			p := quickPlan(t, path, "", PlanOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := &atomic.Int32{}
			n.Store(tc.after)
			_, err := p.runAdaptive(ctx, out, p.Header, []Measurer{cancelAfter{p.replay, n, cancel}}, RunOptions{Again: "resume"})
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted: ") {
				t.Fatalf("interrupted sweep: %v", err)
			}
			cut, _, _ := tablefmt.ReadTable(out)
			res, err := quickPlan(t, path, "", PlanOptions{}).Run(context.Background(), out, RunOptions{Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := tablefmt.ReadTable(out)
			if len(got.Index()) != len(got.Rows) || res.Adaptive.Measured != len(got.Rows) || len(got.Rows) > 27 {
				t.Errorf("%d rows, %d configurations, %d measured: want each once, within the budget", len(got.Rows), len(got.Index()), res.Adaptive.Measured)
			}
			for _, r := range cut.Rows {
				if g, ok := got.Index()[r.Key()]; !ok || g.MedianMS != r.MedianMS || g.Validation != r.Validation {
					t.Errorf("%s measured before the interruption: %+v", r.Key(), g)
				}
			}
			if tc.same && !sameKeys(got, want) {
				t.Errorf("resumed: %d configurations, uninterrupted %d: want the same", len(got.Index()), len(want.Index()))
			}
		})
	}
}

func sameKeys(a, b tablefmt.Table) bool {
	ka, kb := a.Index(), b.Index()
	if len(ka) != len(kb) {
		return false
	}
	for k, r := range ka {
		if s, ok := kb[k]; !ok || s.Validation != r.Validation {
			return false
		}
	}
	return true
}

// Passes apply to every round's configurations: with two passes of a noisy
// replay, the first pass's table holds every configuration and each row of
// the table combines both, validation marks kept. Three workers sharing the
// replay finish rows in any order, and the sweep chooses alike whatever it
// is.
func TestAdaptivePassesAndWorkers(t *testing.T) {
	path := testtables.Path(t, testtables.QuickCPU)
	run := func(workers int) (tablefmt.Table, tablefmt.Table) {
		out := filepath.Join(t.TempDir(), "t.jsonl")
		p := quickPlan(t, path, "?noise=0.05&seed=3", PlanOptions{Passes: new(2), Workers: new(workers)})
		if _, err := p.Run(context.Background(), out, RunOptions{Remeasure: new(time.Duration(0))}); err != nil {
			t.Fatal(err)
		}
		last, _, err1 := tablefmt.ReadTable(out)
		first, _, err2 := tablefmt.ReadTable(PassFiles(out, 2)[0])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return first, last
	}
	first, last := run(1)
	if !sameKeys(first, last) {
		t.Errorf("pass 1 holds %d configurations, the table %d", len(first.Index()), len(last.Index()))
	}
	for _, r := range last.Rows {
		if len(r.PassesMS) != 2 || r.PassesMS[0] != first.Index()[r.Key()].MedianMS || r.MedianMS != min(r.PassesMS[0], r.PassesMS[1]) {
			t.Errorf("%s: %v ms of passes %v", r.Key(), r.MedianMS, r.PassesMS)
		}
	}
	_, a := run(3)
	_, b := run(3)
	if !sameKeys(a, b) {
		t.Errorf("three workers: %d and %d configurations", len(a.Index()), len(b.Index()))
	}
	for k, r := range a.Index() {
		if s := b.Index()[k]; s.MedianMS != r.MedianMS {
			t.Errorf("%s: %v, then %v", k, r.MedianMS, s.MedianMS)
		}
	}
}

// Configurations the device cannot measure are reported at the end; the
// sweep goes on with the others and does not choose them again.
func TestAdaptiveGoesOnPastFailures(t *testing.T) {
	path := testtables.Path(t, testtables.QuickCPU)
	p := quickPlan(t, path, "", PlanOptions{Preset: "quick", EMB: []int{64, 80, 128}, Models: []string{"none"}})
	res, err := p.Run(context.Background(), filepath.Join(t.TempDir(), "t.jsonl"), RunOptions{})
	var fe *FailedError
	if !errors.As(err, &fe) || res.Adaptive == nil || res.Adaptive.Rounds < 2 {
		t.Fatalf("%v, %+v: want a *FailedError after several rounds", err, res.Adaptive)
	}
	seen := map[string]bool{}
	for _, f := range fe.Failed {
		if f.Row.EMB != 80 || !errors.Is(f, ErrNotInTable) || seen[f.Row.Key()] {
			t.Errorf("failure %v", f)
		}
		seen[f.Row.Key()] = true
	}
}

// A table is resumed only by a sweep that samples it the same way: not by
// one with another validation sample, nor by an adaptive sweep of a table of
// the whole grid.
func TestAdaptiveResumeRefusesOtherSampling(t *testing.T) {
	path := testtables.Path(t, testtables.QuickCPU)
	out := filepath.Join(t.TempDir(), "t.jsonl")
	if _, err := quickPlan(t, path, "", PlanOptions{}).Run(context.Background(), out, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	other, err := NewPlan(PlanOptions{Device: "replay:" + path, Adaptive: &AdaptiveOptions{Budget: 27, Holdout: 6}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Run(context.Background(), out, RunOptions{Resume: true}); !errors.Is(err, ErrSamplingDiffers) ||
		!strings.Contains(err.Error(), "was sampled otherwise: adaptive up to a budget of 81 configurations, validation 8, seed 1, this sweep adaptive up to a budget of 81 configurations, validation 6, seed 1") {
		t.Errorf("resumed with another validation sample: %v", err)
	}
	whole := filepath.Join(t.TempDir(), "whole.jsonl")
	p, _ := NewPlan(PlanOptions{Device: "replay:" + path})
	if _, err := p.Run(context.Background(), whole, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := quickPlan(t, path, "", PlanOptions{}).Run(context.Background(), whole, RunOptions{Resume: true}); !errors.Is(err, ErrSamplingDiffers) ||
		!strings.Contains(err.Error(), "was sampled otherwise: the whole grid, this sweep adaptive") {
		t.Errorf("a table of the whole grid resumed adaptively: %v", err)
	}
	if _, err := p.Run(context.Background(), out, RunOptions{Resume: true}); !errors.Is(err, ErrSamplingDiffers) ||
		!strings.Contains(err.Error(), "this sweep the whole grid") {
		t.Errorf("an adaptive table resumed as the whole grid: %v", err)
	}
}

// A time budget is checked between rounds: one already spent stops the
// sweep after its first round, with what it measured.
func TestAdaptiveTimeBudget(t *testing.T) {
	p, err := NewPlan(PlanOptions{Device: "replay:" + testtables.Path(t, testtables.QuickCPU), Adaptive: &AdaptiveOptions{Time: 1}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), filepath.Join(t.TempDir(), "t.jsonl"), RunOptions{})
	if err != nil || res.Adaptive.Stop != StopTime || res.Adaptive.Rounds != 1 || res.Adaptive.Met {
		t.Errorf("%+v, %v: want a stop for time after the first round", res.Adaptive, err)
	}
	if !strings.HasPrefix(res.Adaptive.String(), "adaptive sweep: time spent after 1 round: ") {
		t.Errorf("last line %q", res.Adaptive)
	}
}

// Axes of one value (a single EMB) have nothing to bisect or cross-validate.
func TestAdaptiveOneValueAxes(t *testing.T) {
	p, err := NewPlan(PlanOptions{Device: "replay:" + testtables.Path(t, testtables.QuickCPU), Preset: "quick",
		EMB: []int{96}, Heads: []int{2}, Models: []string{"none"}, Adaptive: &AdaptiveOptions{Budget: 20}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), filepath.Join(t.TempDir(), "t.jsonl"), RunOptions{})
	if err != nil || res.Adaptive.Measured > 20 || res.Adaptive.Rounds < 2 {
		t.Errorf("%+v, %v", res.Adaptive, err)
	}
}
