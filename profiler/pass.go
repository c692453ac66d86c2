package profiler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// pass is one pass of a sweep: its table, header, measurers and progress
// label. A non-nil only limits it to the configurations whose keys it holds.
type pass struct {
	file      string
	header    tablefmt.Header
	measurers []Measurer
	only      map[string]bool
	label     string
}

// run measures what the pass's table lacks of configs (creating or resuming
// it) and returns the table as it ends. With failed configurations it
// returns the table and a *FailedError.
func (ps pass) run(ctx context.Context, configs []tablefmt.Row, opts RunOptions) (tablefmt.Table, PassResult, error) {
	pr := PassResult{Path: ps.file}
	w, res, err := tablefmt.Resume(ps.file, ps.header, tablefmt.WriterOptions{})
	if err != nil {
		return tablefmt.Table{}, pr, err
	}
	defer w.Close()
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	limited := configs
	if ps.only != nil {
		limited = slices.DeleteFunc(slices.Clone(configs), func(r tablefmt.Row) bool { return !ps.only[r.Key()] })
	}
	todo := Remaining(limited, res.Table)
	prog := Progress(nopProgress{})
	if opts.Progress != nil {
		prog = opts.Progress(ps.label, len(todo))
	}
	ps.reportResume(prog, log, res, len(configs), len(limited), len(todo))

	start := time.Now()
	phasesBefore, _ := sumPhases(ps.measurers)
	result, err := Sweep(ctx, todo, ps.measurers, w, SweepOptions{
		Progress: func(done, total int, row tablefmt.Row, rerr error) {
			if rerr != nil {
				if ctx.Err() == nil { // after a cancellation, stopped runners are no news
					prog.Logf("%s: %v", row.Key(), rerr)
				}
			} else if row.Noisy {
				pr.Noisy++
			}
			prog.Step(done, row.Key())
		},
	})
	prog.Finish()
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	pr.Measured, pr.Failed, pr.Elapsed = result.Measured, result.Failed, time.Since(start)
	if ph, ok := sumPhases(ps.measurers); ok {
		spent := ph.Sub(phasesBefore)
		pr.Phases = &spent
	}
	ps.report(log, pr)
	if err != nil {
		if errors.Is(err, ctx.Err()) {
			return tablefmt.Table{}, pr, &interruptedError{measured: pr.Measured, path: ps.file, again: opts.Again, err: err}
		}
		return tablefmt.Table{}, pr, err
	}
	t, err := readPassTable(ps.file, res.Skipped, log)
	if err == nil && len(pr.Failed) > 0 {
		err = &FailedError{Failed: pr.Failed, Again: opts.Again}
	}
	return t, pr, err
}

// reportResume says what the pass leaves out and what its table held: of
// all configurations, limited are the pass's and todo still to measure.
func (ps pass) reportResume(prog Progress, log io.Writer, res tablefmt.Resumed, all, limited, todo int) {
	if n := all - limited; n > 0 {
		prog.Logf("%s: leaving out %d configurations the previous pass could not measure", ps.file, n)
	}
	if n := limited - todo; n > 0 {
		prog.Logf("resuming %s: %d of %d configurations already measured", ps.file, n, limited)
	}
	if res.Truncated > 0 {
		prog.Logf("resuming %s: removed a torn last line (%d bytes)", ps.file, res.Truncated)
	}
	if n := len(res.Skipped); n > 0 { // not a remark: Log has it even without a Progress
		fmt.Fprintf(log, "resuming %s: %d unreadable rows kept as they are (first: %v); the configurations lacking a row will be measured again\n",
			ps.file, n, res.Skipped[0])
	}
}

// report says what the pass measured, and where the time per configuration
// went when the measurers say.
func (ps pass) report(log io.Writer, pr PassResult) {
	fmt.Fprintf(log, "%s: %d configurations measured in %s (%.1f/min) on %s, %d noisy, %d failed\n",
		ps.file, pr.Measured, pr.Elapsed.Round(time.Second), float64(pr.Measured)/pr.Elapsed.Minutes(),
		ps.header.DeviceName, pr.Noisy, len(pr.Failed))
	if pr.Phases != nil && pr.Measured > 0 {
		fmt.Fprintf(log, "%s: time per configuration: %s\n", ps.file, pr.Phases.Per(pr.Measured))
	}
}

// readPassTable reads the table at path as a pass left it. Its unreadable
// lines that were there when the pass resumed it (before) are reported, not
// an error: Resume keeps every complete line, and whatever configuration such
// a line held lacked a row, so the pass measured it again (or it failed and
// the pass says so). Any other unreadable line is an error, as this run's
// rows are validated before they are written.
func readPassTable(path string, before []*tablefmt.SyntaxError, log io.Writer) (tablefmt.Table, error) {
	t, bad, err := tablefmt.ReadTable(path)
	if err != nil {
		return t, err
	}
	known := make(map[int]bool, len(before))
	for _, e := range before {
		known[e.Line] = true
	}
	fresh := slices.DeleteFunc(slices.Clone(bad), func(e *tablefmt.SyntaxError) bool { return known[e.Line] })
	if len(fresh) > 0 {
		return t, fmt.Errorf("%s: %d unreadable rows (first: %v)", path, len(fresh), fresh[0])
	}
	if len(bad) > 0 {
		fmt.Fprintf(log, "%s: %d unreadable rows kept as found at the start (first: %v); readers skip them\n", path, len(bad), bad[0])
	}
	return t, nil
}

// sumPhases adds up where the measurers that say so spent their time; ok is
// false when none does (external runners).
func sumPhases(ms []Measurer) (sum Phases, ok bool) {
	for _, m := range ms {
		for { // a wrapper (the last pass's floors) hides Phases behind its embedded interface
			w, wraps := m.(interface{ Unwrap() Measurer })
			if !wraps {
				break
			}
			m = w.Unwrap()
		}
		if p, has := m.(interface{ Phases() Phases }); has {
			sum, ok = sum.Add(p.Phases()), true
		}
	}
	return sum, ok
}

// nopProgress follows a pass for no one.
type nopProgress struct{}

func (nopProgress) Step(int, string)    {}
func (nopProgress) Logf(string, ...any) {}
func (nopProgress) Finish()             {}
