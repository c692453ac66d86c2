package profiler

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

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

// FloorOfPasses wraps m for the last pass of a multi-pass sweep: each row it
// measures comes back combined (CombinePasses) with the rows of the same
// configuration in the earlier passes' tables.
func FloorOfPasses(m Measurer, earlier []costmodel.Table) Measurer {
	byKey := map[string][]costmodel.Row{}
	for _, t := range earlier {
		for _, r := range t.Rows {
			byKey[r.Key()] = append(byKey[r.Key()], r)
		}
	}
	return floorMeasurer{m, byKey}
}

type floorMeasurer struct {
	Measurer
	earlier map[string][]costmodel.Row
}

func (f floorMeasurer) Prepare(ctx context.Context, row costmodel.Row) (Prepared, error) {
	p, err := f.Measurer.Prepare(ctx, row)
	if err != nil {
		return nil, err
	}
	return floorPrepared{p, f.earlier[row.Key()]}, nil
}

type floorPrepared struct {
	Prepared
	earlier []costmodel.Row
}

func (f floorPrepared) Time(ctx context.Context) (costmodel.Row, error) {
	row, err := f.Prepared.Time(ctx)
	if err != nil {
		return row, err
	}
	return CombinePasses(row, f.earlier), nil
}

// PassSpread is how far a multi-pass sweep's passes were from the rows it
// kept: the median over configurations of the largest |earlier / kept − 1|
// over the earlier passes. A quiet machine gives a fraction of a percent;
// several percent means slow spells hit whole passes, and the kept rows
// (only as good as the faster pass) may still be off.
func PassSpread(earlier []costmodel.Table, kept costmodel.Table) float64 {
	var devs []float64
	idx := make([]map[string]costmodel.Row, len(earlier))
	for i, t := range earlier {
		idx[i] = t.Index()
	}
	for _, r := range kept.Rows {
		if r.MedianMS <= 0 {
			continue
		}
		worst, seen := 0.0, false
		for _, m := range idx {
			if e, ok := m[r.Key()]; ok {
				worst, seen = max(worst, math.Abs(e.MedianMS/r.MedianMS-1)), true
			}
		}
		if seen {
			devs = append(devs, worst)
		}
	}
	if len(devs) == 0 {
		return 0
	}
	slices.Sort(devs)
	return quantile(devs, 0.5)
}
