package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
)

// series is one strategy's points, in order of measurements.
type series struct {
	name   string
	points []point
}

// tableResult is every strategy on one table.
type tableResult struct {
	bt        benchTable
	grid      int   // configurations of the grid an adaptive sweep chooses from
	evaluated int   // configurations the strategies are judged on
	full      point // the full grid, 5-fold cross-validated
	series    []series
	adaptive  []profiler.AdaptiveResult // the adaptive runs' results, as series
	commands  []string
}

// runTable runs every strategy on bt.
func runTable(bt benchTable, seeds int, trace bool) (tableResult, error) {
	rows := evaluated(bt.table)
	r := tableResult{bt: bt, evaluated: len(rows)}
	full, err := fullGrid(bt.table, rows)
	if err != nil {
		return r, err
	}
	r.full = full
	type run struct {
		name  string
		opts  profiler.AdaptiveOptions
		prior string
	}
	runs := []run{{name: "adaptive", opts: bt.adaptive}}
	if bt.prior != "" {
		runs = append(runs, run{"adaptive, prior " + bt.priorName, bt.adaptive, bt.prior})
	}
	for i := 0; i < len(runs); i++ {
		s, res, grid, cmd, err := adaptive(bt, runs[i].opts, runs[i].prior, rows, trace)
		if err != nil {
			return r, fmt.Errorf("%s: %w", runs[i].name, err)
		}
		s.name = runs[i].name
		r.series, r.adaptive, r.grid = append(r.series, s), append(r.adaptive, res), grid
		r.commands = append(r.commands, cmd)
		if i == 0 { // then on past the target, to show how accuracy grows with measurements
			runs = slices.Insert(runs, 1, run{name: "adaptive, no target", opts: profiler.AdaptiveOptions{Budget: min(4*res.Measured, grid)}})
		}
	}
	n := r.adaptive[0].Measured
	sizes := []int{n / 2, n, 2 * n, 4 * n}
	r.series = append(r.series, randomSeries("random, grid", bt.table, rows, gridUniverse(bt.table), sizes, seeds))
	if cross := crossUniverse(bt.table); cross != nil {
		r.series = append(r.series, randomSeries("random, cross", bt.table, rows, cross, sizes, seeds))
	}
	return r, nil
}

// fullGrid is the accuracy of fitting the whole table: each row predicted
// by the model fitted without its fold (costmodel.Eval, 5 folds).
func fullGrid(t tablefmt.Table, rows []tablefmt.Row) (point, error) {
	ev, err := costmodel.Eval(t, costmodel.EvalOptions{})
	if err != nil {
		return point{}, err
	}
	want := map[string]bool{}
	for _, r := range rows {
		want[r.Key()] = true
	}
	var errs []float64
	for _, er := range ev.Rows {
		if want[er.Key] && er.Fold > 0 {
			errs = append(errs, absErr(float64(er.ErrPct)))
		}
	}
	a := summarise(errs)
	return point{measured: len(t.Index()), all: a, heldOut: a}, nil
}

// adaptive sweeps bt's table adaptively by replay under opts (with a prior
// table when prior is not empty; a third of the grid without a target or
// budget), scoring each round's model on rows.
func adaptive(bt benchTable, opts profiler.AdaptiveOptions, prior string, rows []tablefmt.Row, trace bool) (series, profiler.AdaptiveResult, int, string, error) {
	var s series
	fail := func(err error) (series, profiler.AdaptiveResult, int, string, error) {
		return s, profiler.AdaptiveResult{}, 0, "", err
	}
	device := "replay:" + bt.path
	if prior != "" {
		o, err := tablefmt.Open(prior, tablefmt.OpenOptions{})
		if err != nil {
			return fail(err)
		}
		opts.Prior, opts.PriorPath = &o.Table, prior
	}
	if opts.Budget == 0 && opts.AccuracyPct == 0 {
		whole, err := profiler.NewPlan(profiler.PlanOptions{Device: device})
		if err != nil {
			return fail(err)
		}
		opts.Budget = len(whole.Configs) / 3 // the goal for CPU tables
	}
	opts.Round = scorer(&s, rows, trace)
	plan, err := profiler.NewPlan(profiler.PlanOptions{Device: device, Adaptive: &opts})
	if err != nil {
		return fail(err)
	}
	dir, err := os.MkdirTemp("", "adaptive-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	res, err := plan.Run(context.Background(), filepath.Join(dir, "t.jsonl"), profiler.RunOptions{})
	if err != nil {
		return fail(err)
	}
	return s, *res.Adaptive, len(plan.Configs), command(device, opts, prior), nil
}

// command is the nvitprof command line of an adaptive replay.
func command(device string, opts profiler.AdaptiveOptions, prior string) string {
	cmd := "nvitprof sweep --device " + device
	if opts.AccuracyPct > 0 {
		cmd += fmt.Sprintf(" --accuracy %g", opts.AccuracyPct)
	}
	if opts.Budget > 0 {
		cmd += fmt.Sprintf(" --budget %d", opts.Budget)
	}
	if prior != "" {
		cmd += " --prior " + prior
	}
	return cmd + " --out OUT"
}

// scorer adds a point to s for each round, its model scored on rows.
func scorer(s *series, rows []tablefmt.Row, trace bool) func(profiler.AdaptiveRound) {
	return func(r profiler.AdaptiveRound) {
		p := score(r.Model, rows, keysOf(r.Table), r.Measured)
		s.points = append(s.points, p)
		if trace {
			log.Printf("  round %d: %d measured, validation %.1f%%, all: ±5%% %.2f%% max %.1f%%", r.Round, r.Measured, r.Validation.WithinPct, p.all.W5, p.all.Worst)
		}
	}
}

func keysOf(t tablefmt.Table) map[string]bool {
	k := map[string]bool{}
	for _, r := range t.Rows {
		k[r.Key()] = true
	}
	return k
}

func absErr(pct float64) float64 {
	if pct < 0 {
		return -pct
	}
	return pct
}

// gridUniverse is what a random sample of the grid draws from: every
// attention and MLP row of a decomposed table, every block of a table of
// blocks. Rest rows are always measured (as the adaptive sweep does).
func gridUniverse(t tablefmt.Table) []tablefmt.Row { return evaluated(t) }

// crossUniverse is, for a table of whole blocks, the adaptive sweep's
// candidates: blocks without MLP and blocks at the middle attention of
// each EMB (nil for a decomposed table).
func crossUniverse(t tablefmt.Table) []tablefmt.Row {
	rows := evaluated(t)
	if len(rows) == 0 || rows[0].Kind != tablefmt.KindBlock {
		return nil
	}
	var heads, qk, v []int
	for _, r := range rows {
		heads, qk, v = addSorted(heads, r.Heads), addSorted(qk, r.QK), addSorted(v, r.V)
	}
	mid := func(a []int) int { return a[(len(a)-1)/2] }
	var out []tablefmt.Row
	for _, r := range rows {
		if r.MLP == 0 || (r.Heads == mid(heads) && r.QK == mid(qk) && r.V == mid(v)) {
			out = append(out, r)
		}
	}
	return out
}

func addSorted(a []int, x int) []int {
	if i, ok := slices.BinarySearch(a, x); !ok {
		return slices.Insert(a, i, x)
	}
	return a
}

// randomSeries fits random samples of universe (plus the table's rest rows)
// of each size, seeds times, and averages their accuracy on rows.
func randomSeries(name string, t tablefmt.Table, rows, universe []tablefmt.Row, sizes []int, seeds int) series {
	s := series{name: name}
	var rest []tablefmt.Row
	for _, r := range t.Index() {
		if r.Kind == tablefmt.KindRest {
			rest = append(rest, r)
		}
	}
	h := t.Header
	if len(universe) > 0 && universe[0].Kind == tablefmt.KindBlock && name == "random, cross" {
		h.Sampling = &tablefmt.Sampling{Strategy: tablefmt.SamplingAdaptive, Share: 1, Decompose: true}
	}
	for _, n := range sizes {
		k := n - len(rest)
		if k < 2 || k > len(universe) {
			continue
		}
		var pts []point
		for seed := range seeds {
			rng := rand.New(rand.NewPCG(uint64(seed+1), 0x72616e646f6d))
			sample := tablefmt.Table{Header: h, Rows: slices.Clone(rest)}
			for _, i := range rng.Perm(len(universe))[:k] {
				sample.Rows = append(sample.Rows, universe[i])
			}
			m, err := costmodel.Fit(sample, costmodel.FitOptions{})
			if err != nil {
				continue
			}
			pts = append(pts, score(m, rows, keysOf(sample), n))
		}
		if len(pts) > 0 {
			s.points = append(s.points, meanPoint(pts))
		}
	}
	return s
}

// meanPoint averages the accuracy of points of one size.
func meanPoint(pts []point) point {
	out := point{measured: pts[0].measured}
	mean := func(get func(point) accuracy) accuracy {
		var a accuracy
		for _, p := range pts {
			g := get(p)
			a.N, a.W5, a.W10, a.Median, a.Worst = g.N, a.W5+g.W5, a.W10+g.W10, a.Median+g.Median, a.Worst+g.Worst
		}
		n := float64(len(pts))
		a.W5, a.W10, a.Median, a.Worst = a.W5/n, a.W10/n, a.Median/n, a.Worst/n
		return a
	}
	out.all = mean(func(p point) accuracy { return p.all })
	out.heldOut = mean(func(p point) accuracy { return p.heldOut })
	return out
}
