package profiler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// formulaMeasurer "measures" a configuration as 1 ms per 1000 of
// emb·(heads·(2qk+v)+mlp), plus 1 ms, and 10% more each time it measures it
// again, so passes differ; it records floors at depths 1 and 3 as the min
// estimator does, and fails every configuration of EMB 13 as one out of
// memory would. When the configuration cancel names is timed, it cancels
// the sweep, as a Ctrl-C then would.
type formulaMeasurer struct {
	mu     sync.Mutex
	times  map[string]int
	cancel func()
	stopAt string
}

func newFormulaMeasurer() *formulaMeasurer { return &formulaMeasurer{times: map[string]int{}} }

func formulaMS(r tablefmt.Row) float64 { return 1 + 0.001*float64(r.EMB*(r.Heads*(2*r.QK+r.V)+r.MLP)) }

func (m *formulaMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	return formulaPrepared{m, row}, nil
}

func (m *formulaMeasurer) Overlap() bool { return false }

type formulaPrepared struct {
	m   *formulaMeasurer
	row tablefmt.Row
}

func (p formulaPrepared) Time(context.Context) (tablefmt.Row, error) {
	if p.row.EMB == 13 {
		return p.row, errors.New("emb 13 is unlucky")
	}
	p.m.mu.Lock()
	again := p.m.times[p.row.Key()]
	p.m.times[p.row.Key()]++
	p.m.mu.Unlock()
	if p.row.Key() == p.m.stopAt {
		p.m.cancel()
	}
	r := p.row
	r.MedianMS, r.SpreadMS, r.Samples = formulaMS(r)*(1+0.1*float64(again)), 0.01, 2
	r.Floors = &tablefmt.Floors{Depths: [2]int{1, 3}, MS: [2]float64{1, 1 + 2*r.MedianMS}}
	return r, nil
}

func (p formulaPrepared) Close() {}

// fakeHeader is a CPU table header in passes passes.
func fakeHeader(passes int) tablefmt.Header {
	h := cpuHeader()
	h.DeviceName, h.Method.Estimator, h.Method.Passes = "Formula 1", tablefmt.EstimatorMin, passes
	return h
}

// formulaConfigs are attention, MLP and rest at each of embs.
func formulaConfigs(embs ...int) []tablefmt.Row {
	return Grid{EMB: embs, Heads: []int{1}, QK: []int{8}, V: []int{16}, MLP: []int{32}, Decomposed: true}.Configs()
}

// recorder is a Progress for every pass, keeping what it is told.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) start(label string, total int) Progress {
	r.add(fmt.Sprintf("%s: %d to measure", label, total))
	return r
}
func (r *recorder) add(s string)                    { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }
func (r *recorder) Step(int, string)                {}
func (r *recorder) Logf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Finish()                         {}
func (r *recorder) String() string                  { return strings.Join(r.lines, "\n") }

// A configuration that always fails does not stop the later passes: they
// measure what the first pass measured, every table is written, and the
// sweep still fails naming it. Each row of the table combines its passes.
func TestSweepTableGoesOnPastAFailingConfiguration(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	var log bytes.Buffer
	prog := &recorder{}
	opts := RunOptions{Log: &log, Progress: prog.start, Again: "try again"}
	res, err := SweepTable(t.Context(), out, fakeHeader(3), formulaConfigs(13, 16), []Measurer{newFormulaMeasurer()}, opts)
	var failed *FailedError
	if !errors.As(err, &failed) || len(failed.Failed) != 3 ||
		!strings.HasPrefix(err.Error(), "3 configurations failed (first: attn emb=13 heads=1 qk=8 v=16: emb 13 is unlucky); try again to retry them") {
		t.Fatalf("error %v; want the 3 configurations of EMB 13", err)
	}
	wantProgress := []string{"sweep pass 1/3: 6 to measure", "attn emb=13 heads=1 qk=8 v=16: emb 13 is unlucky",
		"mlp emb=13 mlp=32: emb 13 is unlucky", "rest emb=13: emb 13 is unlucky",
		"sweep pass 2/3: 3 to measure", filepath.Join(dir, "t.pass2.jsonl") + ": leaving out 3 configurations the previous pass could not measure",
		"sweep pass 3/3: 3 to measure", out + ": leaving out 3 configurations the previous pass could not measure"}
	if !slices.Equal(prog.lines, wantProgress) {
		t.Errorf("progress:\n%s\nwant\n%s", prog, strings.Join(wantProgress, "\n"))
	}
	for i, f := range []string{"t.pass1.jsonl", "t.pass2.jsonl", "t.jsonl"} {
		path := filepath.Join(dir, f)
		failures := []int{3, 0, 0}[i]
		if p := res.Passes[i]; p.Path != path || p.Measured != 3 || len(p.Failed) != failures || p.Phases != nil {
			t.Errorf("pass %d: %+v; want 3 measured, %d failed, no phases", i+1, p, failures)
		}
		if !strings.Contains(log.String(), fmt.Sprintf("%s: 3 configurations measured in 0s", path)) ||
			!strings.Contains(log.String(), fmt.Sprintf("on Formula 1, 0 noisy, %d failed\n", failures)) {
			t.Errorf("log lacks %s's line:\n%s", f, log.String())
		}
		table, bad, err := tablefmt.ReadTable(path)
		if err != nil || len(bad) != 0 || len(table.Rows) != 3 {
			t.Fatalf("%s: %d rows, %v, %v; want the 3 of EMB 16", f, len(table.Rows), err, bad)
		}
		for _, r := range table.Rows {
			// The passes measured 1, 1.1 and 1.2 times the formula; the table takes the floors.
			ms := formulaMS(r)
			want, passes := ms*(1+0.1*float64(i)), []float64(nil)
			if i == 2 {
				want, passes = ms, []float64{ms, 1.1 * ms, 1.2 * ms}
			}
			if r.EMB != 16 || math.Abs(r.MedianMS-want) > 1e-9 || !floatsNear(r.PassesMS, passes) {
				t.Errorf("%s: row %s, %g ms, passes %v; want %g ms, passes %v", f, r.Key(), r.MedianMS, r.PassesMS, want, passes)
			}
		}
	}
	if res.SpreadN != 3 || math.Abs(res.Spread-0.2) > 1e-9 || !res.Busy() {
		t.Errorf("spread %g over %d; want 0.2 (1.2 / 1 − 1) over 3, busy", res.Spread, res.SpreadN)
	}

	// A resume retries the failures in the first pass and leaves the table be.
	before, _ := os.ReadFile(out)
	opts.Resume = true
	if _, err := SweepTable(t.Context(), out, fakeHeader(3), formulaConfigs(13, 16), []Measurer{newFormulaMeasurer()}, opts); !errors.As(err, &failed) {
		t.Errorf("resume: %v; want the failures again", err)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("the resume changed the table:\n%s\nwas\n%s", after, before)
	}
}

func floatsNear(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

// A resumed table with a complete line that is not a row says so, measures
// again the configuration that lacks a row, and ends well, keeping the line.
func TestSweepTableResumeRemeasuresUnreadableRows(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.jsonl")
	run := func(opts RunOptions) error {
		_, err := SweepTable(t.Context(), out, fakeHeader(1), formulaConfigs(16), []Measurer{newFormulaMeasurer()}, opts)
		return err
	}
	if err := run(RunOptions{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = `{"kind":"attn","emb":16,"heads":1,"qk":8,"v":16,"median_ms":"fast"}` + "\n"
	os.WriteFile(out, []byte(strings.Join(lines, "")+`{"kind":"mlp","em`), 0o644) // and a torn last line

	var log bytes.Buffer
	prog := &recorder{}
	if err := run(RunOptions{Resume: true, Log: &log, Progress: prog.start}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resuming " + out + ": 1 unreadable rows kept as they are (first: ", "will be measured again",
		out + ": 1 configurations measured", out + ": 1 unreadable rows kept as found at the start"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	for _, want := range []string{"resuming " + out + ": 2 of 3 configurations already measured", "resuming " + out + ": removed a torn last line (17 bytes)"} {
		if !slices.Contains(prog.lines, want) {
			t.Errorf("progress lacks %q:\n%s", want, prog)
		}
	}
	table, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 1 || bad[0].Line != 2 || len(table.Rows) != 3 || table.Rows[2].Kind != tablefmt.KindAttn {
		t.Errorf("table: %d rows, %v, unreadable %v; want the attention row again at the end and line 2 kept", len(table.Rows), err, bad)
	}
}

// Without Resume nothing already there is written over, an earlier pass's
// table included; a file that is not a table is not resumed either.
func TestSweepTableRefusesWhatItShouldNotTouch(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	first := filepath.Join(dir, "t.pass1.jsonl")
	os.WriteFile(first, []byte("kept\n"), 0o644)
	_, err := SweepTable(t.Context(), out, fakeHeader(2), formulaConfigs(16), []Measurer{newFormulaMeasurer()}, RunOptions{})
	if !errors.Is(err, ErrTableExists) || err.Error() != first+" exists" {
		t.Errorf("sweep over an earlier pass: %v; want %q", err, first+" exists")
	}
	_, err = SweepTable(t.Context(), out, fakeHeader(2), formulaConfigs(16), []Measurer{newFormulaMeasurer()}, RunOptions{Resume: true})
	if err == nil || errors.Is(err, ErrTableExists) {
		t.Errorf("resume of a file that is not a table: %v", err)
	}
	if data, _ := os.ReadFile(first); string(data) != "kept\n" {
		t.Errorf("the file became %q", data)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the sweep went on to the table")
	}
}

// A resume under another header is refused, naming what differs, and the
// table is kept.
func TestSweepTableResumeRefusesAnotherHeader(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.jsonl")
	if _, err := SweepTable(t.Context(), out, fakeHeader(1), formulaConfigs(16), []Measurer{newFormulaMeasurer()}, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	for _, tc := range []struct {
		change func(*tablefmt.Header)
		want   string
	}{
		{func(h *tablefmt.Header) { h.Batch = 3 }, "batch 2 vs 3"},
		{func(h *tablefmt.Header) { h.Method.Estimator = tablefmt.EstimatorMedian }, `method.estimator "min" vs "median"`},
		{func(h *tablefmt.Header) { h.DeviceName += ", GOMAXPROCS 1" }, "device_name"},
	} {
		h := fakeHeader(1)
		tc.change(&h)
		_, err := SweepTable(t.Context(), out, h, formulaConfigs(16), []Measurer{newFormulaMeasurer()}, RunOptions{Resume: true})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resume: %v; want a refusal naming %s", err, tc.want)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("a refused resume changed the table")
	}
}

// An interrupted sweep keeps what it measured and says how to continue; its
// error is the context's.
func TestSweepTableInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	m := newFormulaMeasurer()
	m.cancel, m.stopAt = cancel, "mlp emb=16 mlp=32" // the second configuration: not written
	res, err := SweepTable(ctx, out, fakeHeader(1), formulaConfigs(16), []Measurer{m}, RunOptions{Again: "rerun it"})
	if !errors.Is(err, context.Canceled) || err.Error() != "interrupted: 1 rows are in "+out+"; rerun it to continue" {
		t.Errorf("error %v", err)
	}
	if len(res.Passes) != 1 || res.Passes[0].Measured != 1 || res.SpreadN != 0 {
		t.Errorf("result %+v", res)
	}
	if table, _, err := tablefmt.ReadTable(out); err != nil || len(table.Rows) != 1 {
		t.Errorf("table: %v, %v; want its one row", table.Rows, err)
	}
}
