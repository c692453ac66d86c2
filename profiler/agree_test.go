package profiler

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// scriptMeasurer answers each configuration's successive measurements from
// a script (the last value repeats), counting them.
type scriptMeasurer struct {
	mu     sync.Mutex
	script map[string][]float64
	n      map[string]int
}

func (m *scriptMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	return scriptPrepared{m, row}, nil
}

func (m *scriptMeasurer) Overlap() bool { return false }

type scriptPrepared struct {
	m   *scriptMeasurer
	row tablefmt.Row
}

func (p scriptPrepared) Time(context.Context) (tablefmt.Row, error) {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	s, k := p.m.script[p.row.Key()], p.row.Key()
	row := p.row
	row.MedianMS, row.Samples = s[min(p.m.n[k], len(s)-1)], 1
	p.m.n[k]++
	return row, nil
}

func (p scriptPrepared) Close() {}

// After the last pass, the configurations whose passes disagree are
// measured again in up to maxRounds rounds, within the budget; the sweep
// counts those whose two fastest measurements agree within the noise
// threshold, and rewrites the table with their rows. Hand-made: three
// passes at 5% noise.
func TestLastPassMeasuresDisagreementAgain(t *testing.T) {
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "test", Tokens: 5, Batch: 1,
		Method: tablefmt.Method{Name: "differential", Passes: 3, NoiseThreshold: 0.05}}
	configs := []tablefmt.Row{
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 8},  // agrees at once: 10, 10.2
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 16}, // 10, 20, 30; then 10.3 agrees with 10
		{Kind: tablefmt.KindMLP, EMB: 8, MLP: 32}, // never agrees: 10, 20, 40, 80, ...
	}
	script := map[string][]float64{
		configs[0].Key(): {10, 10.2, 10.1},
		configs[1].Key(): {10, 20, 30, 10.3},
		configs[2].Key(): {10, 20, 40, 80, 160, 320, 640},
	}
	for _, tc := range []struct {
		name      string
		budget    *time.Duration
		again     int   // measurements taken again in all
		rounds    int   // rounds of measuring again
		confirmed int   // configurations confirmed
		passes    []int // passes_ms entries per configuration
		fit       bool
	}{
		{"default budget", nil, 1 + maxRounds, maxRounds, 2, []int{3, 4, 3 + maxRounds}, false},
		{"no budget", new(time.Duration(0)), 0, 0, 1, []int{3, 3, 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &scriptMeasurer{script: script, n: map[string]int{}}
			out := filepath.Join(t.TempDir(), "t.jsonl")
			res, err := SweepTable(t.Context(), out, h, configs, []Measurer{m}, RunOptions{Remeasure: tc.budget})
			if err != nil {
				t.Fatal(err)
			}
			a := res.Agreement
			if a.Configs != 3 || a.Confirmed != tc.confirmed || a.Again != tc.again || a.Rounds != tc.rounds || a.Fit() != tc.fit || a.Threshold != 0.05 {
				t.Errorf("agreement %+v; want %d confirmed of 3, %d again", a, tc.confirmed, tc.again)
			}
			tab, _, err := tablefmt.ReadTable(out)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range configs {
				r := tab.Index()[c.Key()]
				if len(r.PassesMS) != tc.passes[i] || r.MedianMS != slices.Min(r.PassesMS) {
					t.Errorf("%s: %v ms, passes %v; want %d entries, the fastest kept", c.Key(), r.MedianMS, r.PassesMS, tc.passes[i])
				}
			}
		})
	}
}

func TestConfirmed(t *testing.T) {
	for _, tc := range []struct {
		ms   []float64
		want bool
	}{
		{[]float64{10}, false},
		{[]float64{10, 10.49}, true},
		{[]float64{10.6, 30, 10}, false},
		{[]float64{30, 10.4, 10}, true},
		{[]float64{0, 0}, true},
		{[]float64{0, 1}, false},
	} {
		if got := confirmed(tablefmt.Row{PassesMS: tc.ms}, 0.05); got != tc.want {
			t.Errorf("%v: %v", tc.ms, got)
		}
	}
}
