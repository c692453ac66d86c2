package profiler

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// CombinePasses is the row a multi-pass sweep keeps for one configuration,
// from last and the same configuration's rows from earlier passes. A slow
// spell of a shared machine lasts longer than one configuration takes to
// measure, so only a pass at another time can see past it.
//
// When every pass recorded its depths' floors (the min estimator), the
// floors are combined depth by depth: (fastest high − fastest low) / span,
// the same estimate one long pass would give. Keeping the fastest pass's
// difference instead would favour a pass whose shallow stack was slowed, and
// a tiny unit's difference clipped to 0 would always win. Rows without
// floors keep the fastest positive latency. The spread is that of the pass
// that ran fastest at the high depth (or was fastest); the combined row is
// noisy when every pass was or when its floors' difference is negative.
// Samples add up, and PassesMS lists each pass's own latency in pass order.
func CombinePasses(last tablefmt.Row, earlier []tablefmt.Row) tablefmt.Row {
	if len(earlier) == 0 {
		return last
	}
	all := append(slices.Clone(earlier), last)
	floors, haveFloors := combinedFloors(all)
	best := fastestPass(all, haveFloors)
	out := last
	out.MedianMS, out.SpreadMS, out.Samples = best.MedianMS, best.SpreadMS, 0
	out.PassesMS = make([]float64, len(all))
	for i, r := range all {
		out.Samples += r.Samples
		out.PassesMS[i] = r.MedianMS
	}
	out.Noisy = !slices.ContainsFunc(all, func(r tablefmt.Row) bool { return !r.Noisy })
	if strings.Contains(last.Note, clippedNote) { // the last pass's own estimate, not the row's
		out.Note = ""
	}
	if haveFloors {
		out.Floors = &floors
		est := (floors.MS[1] - floors.MS[0]) / float64(floors.Depths[1]-floors.Depths[0])
		out.MedianMS = max(est, 0)
		if est <= 0 {
			out.Noisy = true
			out.Note = joinNotes(out.Note, fmt.Sprintf("the floors' estimate %.4g ms %s", est, clippedNote))
		}
	}
	return out
}

// clippedNote ends the note of a row whose negative estimate became 0 ms.
const clippedNote = "clipped to 0"

// joinNotes joins two remarks about a row, either of which may be empty.
func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// fastestPass is the row with the fastest high-depth floor when every row
// has floors (byFloors), else the one with the lowest positive latency (a
// zero, a clipped difference, only when all are zero).
func fastestPass(rows []tablefmt.Row, byFloors bool) tablefmt.Row {
	if byFloors {
		return slices.MinFunc(rows, func(a, b tablefmt.Row) int { return cmp.Compare(a.Floors.MS[1], b.Floors.MS[1]) })
	}
	best := rows[0]
	for _, r := range rows[1:] {
		if best.MedianMS <= 0 || (r.MedianMS > 0 && r.MedianMS < best.MedianMS) {
			best = r
		}
	}
	return best
}

// combinedFloors is the fastest floor of each depth over rows, if every row
// has floors at the same depths.
func combinedFloors(rows []tablefmt.Row) (tablefmt.Floors, bool) {
	var f tablefmt.Floors
	for i, r := range rows {
		if r.Floors == nil || (i > 0 && r.Floors.Depths != f.Depths) {
			return tablefmt.Floors{}, false
		}
		if i == 0 {
			f = *r.Floors
			continue
		}
		f.MS[0], f.MS[1] = min(f.MS[0], r.Floors.MS[0]), min(f.MS[1], r.Floors.MS[1])
	}
	return f, true
}

// PassSpread gathers, during the last pass of a multi-pass sweep, how far
// apart each configuration's passes were: slowest / fastest − 1. Safe for
// concurrent use.
type PassSpread struct {
	mu   sync.Mutex
	devs []float64
}

func (s *PassSpread) add(rows []tablefmt.Row) {
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
func FloorOfPasses(m Measurer, earlier []tablefmt.Table, spread *PassSpread) Measurer {
	byKey := map[string][]tablefmt.Row{}
	for _, t := range earlier {
		for _, r := range t.Rows {
			byKey[r.Key()] = append(byKey[r.Key()], r)
		}
	}
	return floorMeasurer{m, byKey, spread}
}

type floorMeasurer struct {
	Measurer
	earlier map[string][]tablefmt.Row
	spread  *PassSpread
}

// Unwrap is the measurer f combines the passes of, for callers that look
// for its other methods (Phases).
func (f floorMeasurer) Unwrap() Measurer { return f.Measurer }

func (f floorMeasurer) Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error) {
	p, err := f.Measurer.Prepare(ctx, row)
	if err != nil {
		return nil, err
	}
	return floorPrepared{p, f.earlier[row.Key()], f.spread}, nil
}

type floorPrepared struct {
	Prepared
	earlier []tablefmt.Row
	spread  *PassSpread
}

func (f floorPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	row, err := f.Prepared.Time(ctx)
	if err != nil {
		return row, err
	}
	if f.spread != nil {
		f.spread.add(append(slices.Clone(f.earlier), row))
	}
	return CombinePasses(row, f.earlier), nil
}
