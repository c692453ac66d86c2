package profiler

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/nvitprof/nvitprof/costmodel"
)

// CombinePasses is the row a multi-pass sweep keeps for one configuration:
// of last and the same configuration's rows from earlier passes, the one
// with the lowest latency (its spread and noise flag come with it), with
// the samples of every pass, and a note listing each pass's latency. A
// slow spell of a shared machine lasts longer than one configuration takes
// to measure, so only a pass at another time can see past it.
func CombinePasses(last costmodel.Row, earlier []costmodel.Row) costmodel.Row {
	if len(earlier) == 0 {
		return last
	}
	best := last
	samples := last.Samples
	var each []string
	for _, r := range earlier {
		samples += r.Samples
		each = append(each, fmt.Sprintf("%.4g", r.MedianMS))
		if r.MedianMS < best.MedianMS {
			best.MedianMS, best.SpreadMS, best.Noisy = r.MedianMS, r.SpreadMS, r.Noisy
		}
	}
	each = append(each, fmt.Sprintf("%.4g", last.MedianMS))
	best.Samples = samples
	note := fmt.Sprintf("fastest of %d passes (%s ms)", len(each), strings.Join(each, ", "))
	if last.Note != "" {
		note = last.Note + "; " + note
	}
	best.Note = note
	return best
}

// PassSpread gathers, during the last pass of a multi-pass sweep, how far
// apart each configuration's passes were: slowest / fastest − 1. Safe for
// concurrent use.
type PassSpread struct {
	mu   sync.Mutex
	devs []float64
}

func (s *PassSpread) add(rows []costmodel.Row) {
	lo, hi := math.Inf(1), 0.0
	for _, r := range rows {
		lo, hi = min(lo, r.MedianMS), max(hi, r.MedianMS)
	}
	if len(rows) < 2 || lo <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devs = append(s.devs, hi/lo-1)
}

// Median is the median over the configurations seen of slowest / fastest
// pass − 1, and how many configurations that is. Quiet two-pass sweeps here
// gave 1.6–4.5%; one caught in slow spells gave 24%, and its table
// disagreed with a rerun by 10% per configuration.
func (s *PassSpread) Median() (float64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.devs) == 0 {
		return 0, 0
	}
	d := slices.Clone(s.devs)
	slices.Sort(d)
	return quantile(d, 0.5), len(d)
}

// FloorOfPasses wraps m for the last pass of a multi-pass sweep: each row it
// measures comes back combined (CombinePasses) with the rows of the same
// configuration in the earlier passes' tables, and spread (if not nil)
// learns how far apart the passes were.
func FloorOfPasses(m Measurer, earlier []costmodel.Table, spread *PassSpread) Measurer {
	byKey := map[string][]costmodel.Row{}
	for _, t := range earlier {
		for _, r := range t.Rows {
			byKey[r.Key()] = append(byKey[r.Key()], r)
		}
	}
	return floorMeasurer{m, byKey, spread}
}

type floorMeasurer struct {
	Measurer
	earlier map[string][]costmodel.Row
	spread  *PassSpread
}

func (f floorMeasurer) Prepare(ctx context.Context, row costmodel.Row) (Prepared, error) {
	p, err := f.Measurer.Prepare(ctx, row)
	if err != nil {
		return nil, err
	}
	return floorPrepared{p, f.earlier[row.Key()], f.spread}, nil
}

type floorPrepared struct {
	Prepared
	earlier []costmodel.Row
	spread  *PassSpread
}

func (f floorPrepared) Time(ctx context.Context) (costmodel.Row, error) {
	row, err := f.Prepared.Time(ctx)
	if err != nil {
		return row, err
	}
	if f.spread != nil {
		f.spread.add(append(slices.Clone(f.earlier), row))
	}
	return CombinePasses(row, f.earlier), nil
}
