package profiler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

var errDiskFull = errors.New("no space left on device")

// fullDisk takes the table's header and refuses every later write.
type fullDisk struct{ writes int }

func (d *fullDisk) Write(p []byte) (int, error) {
	d.writes++
	if d.writes > 1 {
		return 0, errDiskFull
	}
	return len(p), nil
}

// countingMeasurer "measures" ms and counts the configurations it timed.
type countingMeasurer struct {
	ms    float64
	timed atomic.Int32
}

func (m *countingMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	return countingPrepared{m, row}, nil
}

func (m *countingMeasurer) Overlap() bool { return false }

type countingPrepared struct {
	m   *countingMeasurer
	row tablefmt.Row
}

func (p countingPrepared) Time(context.Context) (tablefmt.Row, error) {
	p.m.timed.Add(1)
	row := p.row
	row.MedianMS, row.Samples, row.Noisy = p.m.ms, 1, p.m.ms == 0
	return row, nil
}

func (p countingPrepared) Close() {}

func TestSweepStopsAtFirstWriteError(t *testing.T) {
	w, err := tablefmt.NewWriter(&fullDisk{}, cpuHeader(), tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var configs []tablefmt.Row
	for mlp := 1; mlp <= 20; mlp++ {
		configs = append(configs, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 16, MLP: mlp})
	}
	m := &countingMeasurer{ms: 1}
	res, err := Sweep(context.Background(), configs, []Measurer{m}, w, SweepOptions{})
	if !errors.Is(err, errDiskFull) {
		t.Errorf("sweep error %v, want the write error", err)
	}
	if res.Measured != 0 {
		t.Errorf("%d rows counted as written to a full disk", res.Measured)
	}
	if n := m.timed.Load(); n != 1 {
		t.Errorf("%d configurations timed; want the sweep to stop after the first failed write", n)
	}
}

// A measurement its table's readers would refuse (a latency above
// tablefmt.MaxMS) is a failed configuration, retried on resume, not a row.
func TestSweepRefusesImplausibleRows(t *testing.T) {
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, cpuHeader(), tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	configs := []tablefmt.Row{{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32}}
	res, err := Sweep(t.Context(), configs, []Measurer{&countingMeasurer{ms: 2 * tablefmt.MaxMS}}, w, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Measured != 0 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error(), "implausible measurement") {
		t.Errorf("measured %d, failed %v; want the row refused", res.Measured, res.Failed)
	}
}
