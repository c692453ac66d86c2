package profiler

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// overlapMeasurer's Time of one configuration waits until the next one is
// being prepared: it finishes only if Sweep compiles ahead.
type overlapMeasurer struct {
	mu       sync.Mutex
	prepared map[int]chan struct{} // closed when Prepare of MLP width k began
}

func (m *overlapMeasurer) started(mlp int) chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prepared[mlp] == nil {
		m.prepared[mlp] = make(chan struct{})
	}
	return m.prepared[mlp]
}

func (m *overlapMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	close(m.started(row.MLP))
	return overlapPrepared{m, row}, nil
}

func (m *overlapMeasurer) Overlap() bool { return true }

type overlapPrepared struct {
	m   *overlapMeasurer
	row tablefmt.Row
}

func (p overlapPrepared) Time(context.Context) (tablefmt.Row, error) {
	if p.row.MLP < 3 { // the last configuration has no next one
		select {
		case <-p.m.started(p.row.MLP + 1):
		case <-time.After(10 * time.Second): // a deadlock guard, not a timing
			return p.row, fmt.Errorf("MLP %d timed before MLP %d was prepared: no overlap", p.row.MLP, p.row.MLP+1)
		}
	}
	p.row.MedianMS, p.row.Samples = 1, 1
	return p.row, nil
}

func (p overlapPrepared) Close() {}

func TestSweepPreparesTheNextConfigurationWhileTiming(t *testing.T) {
	var configs []tablefmt.Row
	for k := 1; k <= 3; k++ {
		configs = append(configs, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 8, MLP: k})
	}
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, cpuHeader(), tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := &overlapMeasurer{prepared: map[int]chan struct{}{}}
	res, err := Sweep(t.Context(), configs, []Measurer{m}, w, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Measured != 3 || len(res.Failed) != 0 {
		t.Errorf("measured %d, failed %v; want all 3 with compilation ahead of timing", res.Measured, res.Failed)
	}
}
