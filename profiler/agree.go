package profiler

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
)

// A busy machine's passes disagree: one caught a slow spell another did not.
// Slow spells last tens of seconds, longer than one configuration takes, so
// measuring a configuration again at once mostly sees the same spell. After
// the last pass of a multi-pass sweep, the configurations whose passes
// disagree are therefore measured again in rounds over just them, each
// round later than the one before, within a time budget, and each row
// combines everything measured of it. The sweep ends by saying how many
// configurations are confirmed: the two fastest of their measurements agree
// within the noise threshold, so the floor the row keeps was seen twice.

// maxRounds is how many rounds of measuring again a sweep takes at most.
const maxRounds = 3

// FitShare is the share of a multi-pass sweep's configurations that must be
// confirmed for the table to be called fit for use.
const FitShare = 0.90

// MinRemeasure is the least default time for measuring disagreeing
// configurations again (RunOptions.Remeasure).
const MinRemeasure = 30 * time.Second

// Agreement is how far a multi-pass sweep's configurations are confirmed.
type Agreement struct {
	Configs   int           // configurations in the table
	Confirmed int           // of which confirmed
	Again     int           // measurements taken again because passes disagreed
	Rounds    int           // rounds they took
	Spent     time.Duration // the time those took
	Budget    time.Duration // the time they were allowed
	Threshold float64       // the noise threshold
}

// Share is the confirmed share of the configurations (0 with none).
func (a Agreement) Share() float64 {
	if a.Configs == 0 {
		return 0
	}
	return float64(a.Confirmed) / float64(a.Configs)
}

// Fit reports whether the table is fit for use: at least FitShare of its
// configurations confirmed.
func (a Agreement) Fit() bool { return a.Configs > 0 && a.Share() >= FitShare }

// confirmed reports whether the two fastest of a row's measurements
// (PassesMS) agree within threshold; a row without them cannot be.
func confirmed(r tablefmt.Row, threshold float64) bool {
	if len(r.PassesMS) < 2 {
		return false
	}
	ms := slices.Sorted(slices.Values(r.PassesMS))
	if ms[0] <= 0 {
		return ms[1] <= 0
	}
	return ms[1]/ms[0]-1 <= threshold
}

// remeasureBudget is RunOptions.Remeasure, or its default: as long as the
// longest of the passes done, at least MinRemeasure.
func remeasureBudget(done []PassResult, opts RunOptions) time.Duration {
	if opts.Remeasure != nil {
		return *opts.Remeasure
	}
	budget := MinRemeasure
	for _, p := range done {
		budget = max(budget, p.Elapsed)
	}
	return budget
}

// agree measures again, in rounds, the configurations of the table at out
// (t, written by the last pass: every row combines the passes) whose
// measurements disagree, while budget lasts, and rewrites the table with their combined
// rows. A stop before the end (the budget, a cancellation) keeps what the
// finished rounds found; the table is rewritten atomically, so a kill
// leaves the last pass's table.
func agree(ctx context.Context, out string, t tablefmt.Table, measurers []Measurer,
	budget time.Duration, opts RunOptions) (Agreement, error) {
	a := Agreement{Threshold: cmp.Or(t.Header.Method.NoiseThreshold, DefaultNoise), Budget: budget}
	rows := t.Index()
	log := cmp.Or[io.Writer](opts.Log, io.Discard)
	start := time.Now()
	for round := 1; round <= maxRounds && budget > 0 && ctx.Err() == nil; round++ {
		todo := slices.DeleteFunc(slices.Clone(t.Rows), func(r tablefmt.Row) bool { return confirmed(rows[r.Key()], a.Threshold) })
		left := budget - time.Since(start)
		if len(todo) == 0 || left <= 0 {
			break
		}
		if round == 1 {
			fmt.Fprintf(log, "%s: %d configurations' passes disagree by more than %.0f%%: measuring them again, for up to %s\n",
				out, len(todo), 100*a.Threshold, budget.Round(time.Second))
		}
		got, err := remeasureRound(ctx, left, t.Header, todo, rows, measurers, opts, round)
		for _, r := range got {
			rows[r.Key()] = r
		}
		a.Again, a.Rounds = a.Again+len(got), round
		if err != nil && ctx.Err() != nil {
			break
		}
	}
	a.Spent = time.Since(start)
	for _, r := range t.Rows {
		a.Configs++
		if confirmed(rows[r.Key()], a.Threshold) {
			a.Confirmed++
		}
	}
	if a.Again == 0 {
		return a, nil
	}
	for i, r := range t.Rows {
		t.Rows[i] = rows[r.Key()]
	}
	return a, atomicfile.WriteFile(out, t.WriteJSONL)
}

// remeasureRound measures todo once more, each row combined with what was
// measured of it before (have), and stops when left runs out. It returns
// the rows it measured.
func remeasureRound(ctx context.Context, left time.Duration, h tablefmt.Header, todo []tablefmt.Row, have map[string]tablefmt.Row,
	measurers []Measurer, opts RunOptions, round int) ([]tablefmt.Row, error) {
	rctx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	wrapped := make([]Measurer, len(measurers))
	for i, m := range measurers {
		wrapped[i] = againMeasurer{m, have}
	}
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, h, tablefmt.WriterOptions{})
	if err != nil {
		return nil, err
	}
	prog := Progress(nopProgress{})
	if opts.Progress != nil {
		prog = opts.Progress(fmt.Sprintf("measuring again, round %d", round), len(todo))
	}
	_, err = Sweep(rctx, todo, wrapped, w, SweepOptions{Progress: func(done, _ int, row tablefmt.Row, _ error) { prog.Step(done, row.Key()) }})
	prog.Finish()
	t, _, rerr := tablefmt.Read(&buf, "round")
	if rerr != nil {
		return nil, rerr
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return t.Rows, err
	}
	return t.Rows, rctx.Err()
}

// againMeasurer measures a configuration once more and combines the new
// measurement with the row measured before (its floors and passes).
type againMeasurer struct {
	Measurer
	have map[string]tablefmt.Row
}

func (m againMeasurer) Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error) {
	p, err := m.Measurer.Prepare(ctx, row)
	if err != nil {
		return nil, err
	}
	return againPrepared{p, m.have[row.Key()]}, nil
}

type againPrepared struct {
	Prepared
	before tablefmt.Row
}

func (p againPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	row, err := p.Prepared.Time(ctx)
	if err != nil {
		return row, err
	}
	return combineAgain(p.before, row), nil
}

// combineAgain is before (a row combining passes) with one more
// measurement of its configuration: floors depth by depth, the new latency
// appended to PassesMS.
func combineAgain(before, again tablefmt.Row) tablefmt.Row {
	prev := before
	prev.PassesMS = nil
	out := CombinePasses(again, []tablefmt.Row{prev})
	out.PassesMS = append(slices.Clone(before.PassesMS), again.MedianMS)
	out.Samples = before.Samples + again.Samples
	return out
}
