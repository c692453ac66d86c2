package profiler

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Measurer measures configurations on one device (or through one external
// runner). Prepare may run while another configuration's Time runs: that is
// how compilation overlaps timing.
type Measurer interface {
	// Prepare builds and compiles what measuring row needs.
	Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error)
	// Overlap reports whether Prepare may run during another Time: only
	// where preparing leaves the device alone (not GoMLX: compiling steals
	// the CPU's cores, and XLA's GPU autotuning runs kernels).
	Overlap() bool
}

// Prepared is a configuration ready to be timed.
type Prepared interface {
	// Time measures and returns the row with its latency filled in.
	Time(ctx context.Context) (tablefmt.Row, error)
	// Close releases the compiled programs.
	Close()
}

// SweepOptions tune Sweep.
type SweepOptions struct {
	// Progress, when set, is called after each configuration (from one
	// goroutine at a time) with the number done so far and the total.
	Progress func(done, total int, row tablefmt.Row, err error)
}

// ConfigError records a configuration that could not be measured.
type ConfigError struct {
	Row tablefmt.Row
	Err error
}

// Error names the configuration and why it failed.
func (e *ConfigError) Error() string { return fmt.Sprintf("%s: %v", e.Row.Key(), e.Err) }

// Unwrap returns the measurement error.
func (e *ConfigError) Unwrap() error { return e.Err }

// SweepResult summarises a sweep.
type SweepResult struct {
	Measured int            // rows written by this run
	Failed   []*ConfigError // configurations that failed; the sweep went on
}

// Sweep measures every configuration with the measurers (one goroutine each,
// sharing the work) and appends each row to w as soon as it is measured. It
// stops at ctx's cancellation (everything measured by then is in w) and at
// the first error writing to w, which it returns.
func Sweep(ctx context.Context, configs []tablefmt.Row, measurers []Measurer, w *tablefmt.Writer, opts SweepOptions) (SweepResult, error) {
	if len(measurers) == 0 {
		return SweepResult{}, errors.New("sweep: no device to measure on")
	}
	// A failed write stops the workers: every row after it would be
	// measured only to be dropped (a full disk does not empty itself).
	sweepCtx, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan tablefmt.Row)
	go func() {
		defer close(jobs)
		for _, c := range configs {
			select {
			case jobs <- c:
			case <-sweepCtx.Done():
				return
			}
		}
	}()

	var (
		mu       sync.Mutex
		res      SweepResult
		writeErr error
		done     int
	)
	record := func(row tablefmt.Row, err error) {
		if err == nil {
			// A row its readers would refuse is a failure, retried on resume.
			if cerr := row.CheckLatency(); cerr != nil {
				err = fmt.Errorf("implausible measurement: %w", cerr)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		if err == nil && writeErr == nil {
			if werr := w.Write(row); werr != nil {
				writeErr = werr
				stop()
			} else {
				res.Measured++
			}
		}
		if err != nil && sweepCtx.Err() == nil {
			res.Failed = append(res.Failed, &ConfigError{Row: row, Err: err})
		}
		if opts.Progress != nil {
			opts.Progress(done, len(configs), row, err)
		}
	}

	var wg sync.WaitGroup
	for _, m := range measurers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runMeasurer(sweepCtx, m, jobs, record)
		}()
	}
	wg.Wait()
	if writeErr != nil {
		return res, fmt.Errorf("sweep: %w", writeErr)
	}
	return res, ctx.Err()
}

type prepared struct {
	row tablefmt.Row
	p   Prepared
	err error
}

// runMeasurer feeds one measurer; with overlap, the next configuration
// compiles while the current one is timed.
func runMeasurer(ctx context.Context, m Measurer, jobs <-chan tablefmt.Row, record func(tablefmt.Row, error)) {
	timeOne := func(pr prepared) {
		if pr.err != nil {
			record(pr.row, pr.err)
			return
		}
		defer pr.p.Close()
		if ctx.Err() != nil {
			return
		}
		row, err := pr.p.Time(ctx)
		if ctx.Err() != nil {
			return // interrupted mid-measurement: nothing half-measured is written
		}
		if err != nil {
			row = pr.row
		}
		record(row, err)
	}
	if !m.Overlap() {
		for r := range jobs {
			p, err := m.Prepare(ctx, r)
			timeOne(prepared{r, p, err})
		}
		return
	}
	ready := make(chan prepared, 1) // one configuration compiled ahead
	go func() {
		defer close(ready)
		for r := range jobs {
			p, err := m.Prepare(ctx, r)
			ready <- prepared{r, p, err}
		}
	}()
	for pr := range ready {
		timeOne(pr)
	}
}

// Shard returns the configurations of shard i of n (0-based): every n-th,
// so each shard gets a similar mix of sizes.
func Shard(configs []tablefmt.Row, i, n int) ([]tablefmt.Row, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= i < n", i, n)
	}
	var out []tablefmt.Row
	for k, c := range configs {
		if k%n == i {
			out = append(out, c)
		}
	}
	return out, nil
}

// Remaining drops the configurations a resumed table already holds.
func Remaining(configs []tablefmt.Row, have tablefmt.Table) []tablefmt.Row {
	idx := have.Index()
	var out []tablefmt.Row
	for _, c := range configs {
		if _, ok := idx[c.Key()]; !ok {
			out = append(out, c)
		}
	}
	return out
}
