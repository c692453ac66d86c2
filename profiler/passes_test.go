package profiler

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func TestCombinePassesKeepsTheFastest(t *testing.T) {
	row := func(ms, spread float64, noisy bool) tablefmt.Row {
		return tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 64, MLP: 128, MedianMS: ms, SpreadMS: spread, Samples: 3, Noisy: noisy}
	}
	got := CombinePasses(row(13, 0.5, false), []tablefmt.Row{row(9.5, 0.2, true), row(11, 0.1, false)})
	if got.MedianMS != 9.5 || got.SpreadMS != 0.2 || got.Noisy || got.Samples != 9 {
		t.Errorf("combined %+v; want 9.5 ms with its spread 0.2, 9 samples, not noisy (two passes were not)", got)
	}
	if got := CombinePasses(row(13, 0.5, true), []tablefmt.Row{row(9.5, 0.2, true)}); !got.Noisy {
		t.Errorf("every pass noisy, combined not: %+v", got)
	}
	if want := []float64{9.5, 11, 13}; !slices.Equal(got.PassesMS, want) || got.Note != "" {
		t.Errorf("passes %v (note %q), want %v", got.PassesMS, got.Note, want)
	}
	if got := CombinePasses(row(7, 0.1, false), nil); got.MedianMS != 7 || got.PassesMS != nil || got.Samples != 3 {
		t.Errorf("one pass changed the row: %+v", got)
	}
}

func TestCombinePassesCombinesFloorsDepthByDepth(t *testing.T) {
	row := func(low, high, spread float64, noisy bool) tablefmt.Row {
		est := (high - low) / 2
		r := tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 64, MLP: 128, MedianMS: max(est, 0), SpreadMS: spread, Samples: 3,
			Noisy: noisy || est < 0, Floors: &tablefmt.Floors{Depths: [2]int{1, 3}, MS: [2]float64{low, high}}}
		return r
	}
	// Pass 2's shallow stack ran in a slow spell: its own difference (8.5 ms)
	// is too low. Depth by depth the floors are 10 and 30 ms: (30 − 10) / 2.
	got := CombinePasses(row(14, 31, 0.3, false), []tablefmt.Row{row(10, 30, 0.2, false), row(11, 33, 0.1, true)})
	if got.MedianMS != 10 || got.SpreadMS != 0.2 || got.Noisy || got.Samples != 9 {
		t.Errorf("combined %+v; want 10 ms with the spread of the pass with the fastest deep stack, not noisy", got)
	}
	if got.Floors == nil || got.Floors.MS != [2]float64{10, 30} {
		t.Errorf("combined floors %+v, want 10 and 30 ms", got.Floors)
	}
	if want := []float64{10, 11, 8.5}; !slices.Equal(got.PassesMS, want) || got.Note != "" {
		t.Errorf("passes %v (note %q), want %v", got.PassesMS, got.Note, want)
	}
	// A tiny unit: pass 1's difference was clipped to 0; the floors give
	// (1.08 − 1.0) / 2, not the 0 that the fastest pass would.
	got = CombinePasses(row(1.0, 1.3, 0.01, false), []tablefmt.Row{row(1.1, 1.08, 0.01, false)})
	if math.Abs(got.MedianMS-0.04) > 1e-12 || got.Noisy {
		t.Errorf("tiny unit: %+v, want 0.04 ms, not noisy", got)
	}
	// The last pass's own clip is not the row's: the floors 1.0 and 1.1 ms
	// give (1.1 − 1.0) / 2.
	clippedLast := row(1.2, 1.1, 0.01, false)
	clippedLast.Note = "differential estimate -0.05 ms clipped to 0"
	got = CombinePasses(clippedLast, []tablefmt.Row{row(1.0, 1.3, 0.01, false)})
	if math.Abs(got.MedianMS-0.05) > 1e-12 || got.Note != "" || got.Noisy {
		t.Errorf("clipped last pass: %+v, want 0.05 ms, no note, not noisy", got)
	}
	// A combination that clips says so.
	got = CombinePasses(row(1.2, 1.1, 0.01, false), []tablefmt.Row{row(1.3, 1.15, 0.01, false)})
	if got.MedianMS != 0 || !got.Noisy || got.Note != "the floors' estimate -0.05 ms clipped to 0" {
		t.Errorf("clipped combination: %+v, want 0 ms, noisy, a note", got)
	}
	// Without floors in every pass, the fastest positive latency is kept.
	noFloors := row(10, 30, 0.2, false)
	noFloors.Floors = nil
	clipped := row(1.1, 1.08, 0.01, false)
	clipped.Floors = nil
	if got := CombinePasses(noFloors, []tablefmt.Row{row(12, 30, 0.1, false), clipped}); got.MedianMS != 9 || got.Floors != nil || got.Noisy {
		t.Errorf("mixed passes: %+v, want the fastest positive latency, 9 ms, and no floors", got)
	}
}

// fixedMeasurer returns a fixed latency for every configuration.
type fixedMeasurer struct{ ms float64 }

func (f fixedMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	return fixedPrepared{row, f.ms}, nil
}
func (f fixedMeasurer) Overlap() bool { return false }

type fixedPrepared struct {
	row tablefmt.Row
	ms  float64
}

func (p fixedPrepared) Time(context.Context) (tablefmt.Row, error) {
	p.row.MedianMS, p.row.Samples = p.ms, 2
	return p.row, nil
}
func (p fixedPrepared) Close() {}

func TestFloorOfPassesCombinesByKey(t *testing.T) {
	a := tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 64, MLP: 128}
	b := tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 64, MLP: 192}
	earlier := tablefmt.Table{Rows: []tablefmt.Row{{Kind: a.Kind, EMB: 64, MLP: 128, MedianMS: 4, Samples: 2}}}
	var spread PassSpread
	m := FloorOfPasses(fixedMeasurer{ms: 5}, []tablefmt.Table{earlier}, &spread)
	for _, tc := range []struct {
		row  tablefmt.Row
		want float64
		note bool
	}{{a, 4, true}, {b, 5, false}} { // b has no earlier pass (it failed there): kept as measured
		p, err := m.Prepare(t.Context(), tc.row)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Time(t.Context())
		if err != nil || got.MedianMS != tc.want || (got.PassesMS != nil) != tc.note {
			t.Errorf("%s: %+v, %v; want %g ms", tc.row.Key(), got, err, tc.want)
		}
	}
	if got, n := spread.Median(); n != 1 || math.Abs(got-0.25) > 1e-12 { // 5 / 4 − 1, for a only
		t.Errorf("spread %g over %d, want 0.25 over 1", got, n)
	}
}

func TestPassSpreadIsTheMedianSlowestOverFastest(t *testing.T) {
	mlp := func(width int, ms ...float64) []tablefmt.Row {
		var rs []tablefmt.Row
		for _, v := range ms {
			rs = append(rs, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 64, MLP: width, MedianMS: v})
		}
		return rs
	}
	var s PassSpread
	s.add(mlp(64, 10, 11))      // 0.1
	s.add(mlp(128, 20, 30, 24)) // 0.5
	s.add(mlp(192, 40, 40.8))   // 0.02
	s.add(mlp(256, 5))          // one pass: nothing to compare
	s.add(mlp(320, 0, 3))       // a zero latency: no ratio
	if got, n := s.Median(); math.Abs(got-0.1) > 1e-12 || n != 3 {
		t.Errorf("Median = %g over %d, want 0.1 over 3", got, n)
	}
	var empty PassSpread
	if got, n := empty.Median(); got != 0 || n != 0 {
		t.Errorf("empty: %g over %d", got, n)
	}
}
