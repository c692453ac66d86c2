package profiler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ErrTableExists is wrapped by the error of a sweep that would write over a
// table (or a pass file) it was not asked to resume: "PATH exists".
var ErrTableExists = errors.New("exists")

// BusySpread is the median disagreement of a multi-pass sweep's passes
// (RunResult.Spread) above which the machine was too busy for them to agree:
// the table may be off by about as much.
const BusySpread = 0.10

// RunOptions say how to run a sweep and whom to tell.
type RunOptions struct {
	// Resume continues the tables already there, measuring only what they
	// lack (their headers must agree). Without it a sweep refuses to write
	// over any of its tables (ErrTableExists).
	Resume bool
	// Log receives the sweep's report, a few lines per pass: what it
	// measured and where its time went, and rows of a resumed table that
	// cannot be read. Nil discards it.
	Log io.Writer
	// Progress, when set, is called as each pass starts with its label
	// ("sweep", or "sweep pass 2/3" of several) and the number of
	// configurations it will measure; the Progress it returns follows the
	// pass. Without it, a pass's remarks (what a resumed table held, which
	// configuration failed and why) are not reported either.
	Progress func(label string, total int) Progress
	// Again says how to continue after an interruption or to retry failed
	// configurations, e.g. "rerun with --resume"; it ends those errors.
	Again string
	// Remeasure is the time the last pass of a multi-pass sweep may spend
	// measuring again the configurations whose passes disagree (see
	// Agreement); nil: as long as the longest earlier pass of this run took,
	// at least MinRemeasure; 0: none.
	Remeasure *time.Duration
}

// Progress follows one pass of a sweep.
type Progress interface {
	// Step says that done configurations are finished (measured or
	// failed), key the last of them.
	Step(done int, key string)
	// Logf is a remark about the pass, one line.
	Logf(format string, args ...any)
	// Finish ends the pass.
	Finish()
}

// RunResult is what a sweep did.
type RunResult struct {
	// Header is the table's header, its device fields filled in.
	Header tablefmt.Header
	// Passes are the passes run, in order; the last one wrote the table.
	Passes []PassResult
	// Spread is, over SpreadN configurations, the median of how far apart
	// their passes were: slowest / fastest − 1 (PassSpread). Both are 0
	// with one pass, and when a pass stopped before its end.
	Spread  float64
	SpreadN int
	// Adaptive is what an adaptive sweep (PlanOptions.Adaptive) did; nil
	// for a sweep of the whole grid.
	Adaptive *AdaptiveResult
	// Agreement is how far the passes of a multi-pass sweep confirm each
	// row; zero with one pass.
	Agreement Agreement
}

// Busy reports whether the passes disagreed by more than BusySpread.
func (r RunResult) Busy() bool { return r.SpreadN > 0 && r.Spread > BusySpread }

// PassResult is what one pass of a sweep did.
type PassResult struct {
	Path     string         // the pass's table
	Measured int            // rows this run wrote
	Noisy    int            // of which flagged noisy
	Failed   []*ConfigError // configurations that could not be measured
	Elapsed  time.Duration
	// Phases is where the measurers' time went during the pass, nil when
	// they do not say (external runners).
	Phases *Phases
}

// FailedError is the error of a sweep that went over every configuration
// but could not measure some: its tables hold the others.
type FailedError struct {
	Failed []*ConfigError
	Again  string // how to retry them (RunOptions.Again)
}

// Error counts the failures and shows the first.
func (e *FailedError) Error() string {
	msg := fmt.Sprintf("%d configurations failed (first: %v)", len(e.Failed), e.Failed[0])
	if e.Again != "" {
		msg += "; " + e.Again + " to retry them"
	}
	return msg
}

// join adds the failures of a later pass to e's (either may be nil). A later
// pass never tries what an earlier one failed (SweepTable), so none repeats.
func (e *FailedError) join(later *FailedError) *FailedError {
	if e == nil {
		return later
	}
	return &FailedError{Failed: append(slices.Clone(e.Failed), later.Failed...), Again: e.Again}
}

// interruptedError is a pass stopped by its context: it says where the rows
// are and unwraps to the context's error.
type interruptedError struct {
	measured    int
	path, again string
	err         error
}

func (e *interruptedError) Error() string {
	msg := fmt.Sprintf("interrupted: %d rows are in %s", e.measured, e.path)
	if e.again != "" {
		msg += "; " + e.again + " to continue"
	}
	return msg
}

func (e *interruptedError) Unwrap() error { return e.err }

// PassFiles are the tables of a sweep in passes passes into out: one per
// earlier pass beside it (t.jsonl: t.pass1.jsonl, ...), then out itself,
// whose rows combine every pass.
func PassFiles(out string, passes int) []string {
	ext := filepath.Ext(out)
	var files []string
	for p := 1; p < passes; p++ {
		files = append(files, fmt.Sprintf("%s.pass%d%s", strings.TrimSuffix(out, ext), p, ext))
	}
	return append(files, out)
}

// refuseExisting returns an error wrapping ErrTableExists for the first of
// files that exists.
func refuseExisting(files []string) error {
	for _, path := range files {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s %w", path, ErrTableExists)
		}
	}
	return nil
}

// Run measures the plan into the table at out (and its pass files, see
// SweepTable): it opens the devices or starts the runners, fills in the
// header's device fields, and on the CPU measures with the plan's Threads.
// ctx's cancellation stops it with every row measured so far on disk, and an
// error that unwraps to ctx's; configurations that failed are a
// *FailedError once the tables are written. The result holds what each pass
// did, also alongside a *FailedError.
func (p *Plan) Run(ctx context.Context, out string, opts RunOptions) (RunResult, error) {
	if !opts.Resume {
		if err := refuseExisting(p.PassFiles(out)); err != nil {
			return RunResult{}, err
		}
	} else if p.sampler == nil {
		if err := refuseSampled(p.PassFiles(out)); err != nil {
			return RunResult{}, err
		}
	}
	if err := p.checkMemory(); err != nil {
		return RunResult{}, err
	}
	if err := p.learnRunnerKind(ctx); err != nil {
		return RunResult{}, err
	}
	var res RunResult
	run := func() error {
		h := p.Header
		h.Notes = slices.Clone(h.Notes)
		ms, closeAll, err := p.startMeasurers(ctx, &h)
		if err != nil {
			return err
		}
		defer closeAll()
		if p.sampler != nil {
			res, err = p.runAdaptive(ctx, out, h, ms, opts)
			return err
		}
		res, err = SweepTable(ctx, out, h, p.Configs, ms, opts)
		return err
	}
	if p.CPU && p.opts.Threads != nil {
		return res, WithThreads(*p.opts.Threads, run)
	}
	return res, run()
}

// SweepTable measures configs with measurers into the table at out under
// header h, in h's passes (Method.Passes). Each pass but the last goes into
// a pass file beside out (PassFiles) and says so in a header note; the last
// writes out, each of its rows combining the passes (FloorOfPasses). A
// table already there is resumed (RunOptions.Resume) or refused. A pass
// whose configurations failed does not stop the later ones, which measure
// only what it measured: a configuration that failed (out of memory, say)
// would fail again in every pass, and a row the earlier passes lack could not
// combine them as the header says; resuming retries it in the first pass.
func SweepTable(ctx context.Context, out string, h tablefmt.Header, configs []tablefmt.Row, measurers []Measurer, opts RunOptions) (RunResult, error) {
	files := PassFiles(out, h.Method.Passes)
	if !opts.Resume {
		if err := refuseExisting(files); err != nil {
			return RunResult{}, err
		}
	}
	var (
		res     RunResult
		earlier []tablefmt.Table
		spread  PassSpread
		failed  *FailedError
	)
	for i, file := range files {
		ps := pass{file: file, header: h, measurers: measurers, label: "sweep"}
		if len(files) > 1 {
			ps.label = fmt.Sprintf("sweep pass %d/%d", i+1, len(files))
			ps.header.Notes = append(slices.Clone(h.Notes), passNote(out, i, len(files)))
		}
		if i == len(files)-1 && len(earlier) > 0 {
			ps.measurers = make([]Measurer, len(measurers))
			for k, m := range measurers {
				ps.measurers[k] = FloorOfPasses(m, earlier, &spread)
			}
		}
		if i > 0 {
			ps.only = keysOf(earlier[i-1])
		}
		t, pr, err := ps.run(ctx, configs, opts)
		res.Passes, res.Header = append(res.Passes, pr), ps.header
		var f *FailedError
		if errors.As(err, &f) {
			failed = failed.join(f)
		} else if err != nil {
			return res, err
		}
		earlier = append(earlier, t)
	}
	res.Spread, res.SpreadN = spread.Median()
	if len(files) > 1 && res.SpreadN > 0 {
		last := earlier[len(earlier)-1]
		a, err := agree(ctx, out, last, measurers, remeasureBudget(res.Passes, opts), opts)
		res.Agreement = a
		if err != nil && ctx.Err() == nil {
			return res, err
		}
	}
	if failed != nil {
		return res, failed
	}
	return res, nil
}

// passNote is the header note of pass i (0-based) of n into out.
func passNote(out string, i, n int) string {
	base := filepath.Base(out)
	if i < n-1 {
		return fmt.Sprintf("pass %d of %d; the table is %s", i+1, n, base)
	}
	ext := filepath.Ext(out)
	return fmt.Sprintf("each row combines %d passes (each depth's fastest execution); the earlier ones are in %s.pass*%s",
		n, strings.TrimSuffix(base, ext), ext)
}

// keysOf is the set of t's row keys.
func keysOf(t tablefmt.Table) map[string]bool {
	keys := make(map[string]bool, len(t.Rows))
	for _, r := range t.Rows {
		keys[r.Key()] = true
	}
	return keys
}

// learnRunnerKind asks an external runner whose device kind the plan does
// not know which it measures, and when it is a CPU plans again with the
// CPU's defaults, so that they follow the device (the header, defaults and
// all, travels in the hello, so a runner must be asked first).
func (p *Plan) learnRunnerKind(ctx context.Context) error {
	if len(p.opts.Runner) == 0 || p.opts.RunnerKind != "" {
		return nil
	}
	m, err := StartRunner(ctx, p.opts.Runner, nil, p.Header, nil)
	if err != nil {
		return err
	}
	kind := m.Hello().DeviceKind
	if err := m.Close(); err != nil {
		return err
	}
	opts := p.opts
	opts.RunnerKind = cmp.Or(kind, KindExternal)
	if kind != KindCPU {
		p.opts = opts
		return nil
	}
	q, err := NewPlan(opts)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}
