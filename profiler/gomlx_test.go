package profiler

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// cpuHeader is a tiny table setting the pure-Go backend measures in moments.
func cpuHeader() tablefmt.Header {
	return tablefmt.Header{Version: tablefmt.FormatVersion, Device: "cpu", DeviceKind: KindCPU,
		Runtime: "gomlx", Backend: "go", DType: "float32", Batch: 2, Tokens: 17,
		Image: 16, Patch: 4, Channels: 3, Classes: 10,
		Method: tablefmt.Method{Name: "differential", Depths: []int{1, 2}, Warmup: 1, Samples: 3, NoiseThreshold: 10}}
}

func TestSweepMeasuresEveryKindOnCPU(t *testing.T) {
	dev, err := OpenDevice("cpu", DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	h := cpuHeader()
	h.Method.Estimator = tablefmt.EstimatorMin // as CPU presets: rows carry their floors
	m, err := NewGoMLXMeasurer(dev, h)
	if err != nil {
		t.Fatal(err)
	}
	grid := Grid{EMB: []int{16}, Heads: []int{2}, QK: []int{4}, V: []int{8}, MLP: []int{32}, Decomposed: true, Validation: 1}
	configs := grid.Configs()
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, h, tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sweep(context.Background(), configs, []Measurer{m}, w, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Measured != len(configs) || len(res.Failed) != 0 {
		t.Fatalf("measured %d of %d, failed %v", res.Measured, len(configs), res.Failed)
	}
	table, bad, err := tablefmt.Read(&buf, "sweep")
	if err != nil || len(bad) != 0 {
		t.Fatalf("reading the table back: %v %v", err, bad)
	}
	kinds := map[tablefmt.Kind]int{}
	for _, r := range table.Rows {
		kinds[r.Kind]++
		want, _ := h.WithCounts(r)
		// Floors are re-measured while a tiny unit's gap stays wide, each
		// round up to 3 samples at full speed (SpeedGate) or, when the
		// machine never ran at full speed, every sample it took.
		most := 3 * GateTries * (1 + DefaultTiming.Retries)
		if r.Samples < 1 || r.Samples > most || r.MACs != want.MACs || r.MACs <= 0 {
			t.Errorf("%s: samples %d, MACs %d (want 1 to %d samples, %d MACs)", r.Key(), r.Samples, r.MACs, most, want.MACs)
		}
		depths := [2]int{1, 2}
		if r.Kind == tablefmt.KindRest {
			depths = ModelDepths
		}
		if f := r.Floors; f == nil || f.Depths != depths || f.MS[0] <= 0 ||
			math.Abs(max(0, (f.MS[1]-f.MS[0])/float64(depths[1]-depths[0]))-r.MedianMS) > 1e-9 {
			t.Errorf("%s: floors %+v do not give its %g ms at depths %v", r.Key(), f, r.MedianMS, depths)
		}
	}
	for _, k := range []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindRest, tablefmt.KindBlock} {
		if kinds[k] != 1 {
			t.Errorf("%d %s rows, want 1", kinds[k], k)
		}
	}
}

// Close frees each depth's weights at once: on a GPU they are device
// buffers that Go's collector does not know the size of.
func TestCloseReleasesTheWeights(t *testing.T) {
	dev, err := OpenDevice("cpu", DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	m, err := NewGoMLXMeasurer(dev, cpuHeader())
	if err != nil {
		t.Fatal(err)
	}
	prep, err := m.Prepare(t.Context(), tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32})
	if err != nil {
		t.Fatal(err)
	}
	p := prep.(*gomlxPrepared)
	count := func() (n int) {
		for _, c := range p.vars {
			for range c.IterVariables() {
				n++
			}
		}
		return n
	}
	if n := count(); n == 0 {
		t.Fatal("no weights before Close")
	}
	p.Close()
	if n := count(); n != 0 {
		t.Errorf("%d variables left after Close", n)
	}
}
