package profiler

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// fakeTimeReplies is what each fake runner answers to "time".
var fakeTimeReplies = map[string]string{
	"good":      `{"median_ms":1.5,"spread_ms":0.01,"samples":5}`,
	"stray":     `{"median_ms":1.5,"spread_ms":0.01,"samples":5}`, // but prints a log line at its first prepare
	"nomedian":  `{"spread_ms":0.01,"samples":5}`,
	"nosamples": `{"median_ms":1.5}`,
	"typo":      `{"median":1.5,"samples":5}`,
	"floors":    `{"median_ms":1.5,"spread_ms":0.01,"samples":5,"floors":{"depths":[1,3],"ms":[1,4]}}`,
}

// fakeRunner answers the hello (device name from $NVITPROF_FAKE_DEVICE),
// every prepare with ok and every time with its script's reply; script
// "served" is ServeRunner measuring 0 ms, as a clipped differential
// estimate reads.
func fakeRunner(script string) int {
	if script == "served" {
		err := ServeRunner(context.Background(), os.Stdin, os.Stdout, func(tablefmt.Header) (Measurer, RunnerHello, error) {
			return &countingMeasurer{ms: 0}, RunnerHello{DeviceName: "Served"}, nil
		})
		if err != nil {
			return 1
		}
		return 0
	}
	sc := bufio.NewScanner(os.Stdin)
	if !sc.Scan() {
		return 1
	}
	hello, _ := json.Marshal(RunnerHello{Protocol: RunnerProtocol, DeviceName: cmp.Or(os.Getenv("NVITPROF_FAKE_DEVICE"), "Fake"),
		Runtime: "fake", Backend: "none", Version: "1", DeviceKind: os.Getenv("NVITPROF_FAKE_KIND")})
	fmt.Printf("%s\n", hello)
	prepares := 0
	for sc.Scan() {
		var req RunnerRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return 2
		}
		switch req.Op {
		case "prepare":
			prepares++
			if script == "stray" && prepares == 1 {
				fmt.Println("compiling with autotuning")
			}
			fmt.Println(`{"ok":true}`)
		case "time":
			fmt.Println(fakeTimeReplies[script])
		}
	}
	return 0
}

func startFakeRunner(t *testing.T, script, device string) *ExternalMeasurer {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"NVITPROF_FAKE_RUNNER=" + script, "NVITPROF_FAKE_DEVICE=" + device}
	m, err := StartRunner(t.Context(), []string{self}, env, cpuHeader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A reply that breaks the protocol stops the runner: every later request
// would read the answer to an earlier one, and nothing may be written from
// such a stream.
func TestExternalRunnerOutOfProtocolStopsIt(t *testing.T) {
	for _, tc := range []struct{ script, wantErr string }{
		{"stray", "compiling with autotuning"},
		{"nomedian", "median_ms"},
		{"nosamples", "samples"},
		{"typo", `unknown field "median"`},
	} {
		t.Run(tc.script, func(t *testing.T) {
			m := startFakeRunner(t, tc.script, "")
			configs := []tablefmt.Row{
				{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32},
				{Kind: tablefmt.KindMLP, EMB: 16, MLP: 48},
				{Kind: tablefmt.KindMLP, EMB: 16, MLP: 64},
			}
			var buf bytes.Buffer
			w, err := tablefmt.NewWriter(&buf, cpuHeader(), tablefmt.WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Sweep(t.Context(), configs, []Measurer{m}, w, SweepOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Measured != 0 || len(res.Failed) != len(configs) {
				t.Errorf("%d rows written, %d failed; want none written, all failed", res.Measured, len(res.Failed))
			}
			for _, f := range res.Failed {
				if !strings.Contains(f.Error(), tc.wantErr) {
					t.Errorf("%v; want every configuration failed with %q", f, tc.wantErr)
				}
			}
			if err := m.Close(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("close: %v; want the protocol error", err)
			}
		})
	}
}

// Runners on different devices cannot fill one table.
func TestSameDeviceComparesRunnersHellos(t *testing.T) {
	h100a := startFakeRunner(t, "good", "NVIDIA H100 80GB HBM3")
	h100b := startFakeRunner(t, "good", "NVIDIA H100 80GB HBM3")
	a100 := startFakeRunner(t, "good", "NVIDIA A100-SXM4-80GB")
	for _, m := range []*ExternalMeasurer{h100a, h100b, a100} {
		defer m.Close()
	}
	if err := SameDevice("cuda:0", h100a.Hello(), "cuda:1", h100b.Hello()); err != nil {
		t.Errorf("two H100s: %v", err)
	}
	err := SameDevice("cuda:0", h100a.Hello(), "cuda:1", a100.Hello())
	if err == nil || !strings.Contains(err.Error(), "cuda:0 is \"NVIDIA H100 80GB HBM3\"") ||
		!strings.Contains(err.Error(), "cuda:1 is \"NVIDIA A100-SXM4-80GB\"") || strings.Contains(err.Error(), "\n") {
		t.Errorf("an H100 and an A100: %v; want one line naming both", err)
	}
	v2 := h100a.Hello()
	v2.Version, v2.Backend = "2", "cuda"
	if err := SameDevice("cuda:0", h100a.Hello(), "cuda:1", v2); err == nil {
		t.Error("runners with different backends and versions accepted")
	}
}

// nvitprof's own runner passes the strict reading, 0 ms included.
func TestServeRunnerSendsZeroMilliseconds(t *testing.T) {
	m := startFakeRunner(t, "served", "")
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, cpuHeader(), tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	configs := []tablefmt.Row{{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32}, {Kind: tablefmt.KindMLP, EMB: 16, MLP: 48}}
	res, err := Sweep(t.Context(), configs, []Measurer{m}, w, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("runner exit: %v", err)
	}
	if res.Measured != 2 || len(res.Failed) != 0 {
		t.Errorf("%d rows written, failed %v; want both written", res.Measured, res.Failed)
	}
}

// A runner's floors reach the row, for a sweep in passes to combine.
func TestExternalRunnerFloorsReachTheRow(t *testing.T) {
	m := startFakeRunner(t, "floors", "")
	defer m.Close()
	p, err := m.Prepare(t.Context(), tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32})
	if err != nil {
		t.Fatal(err)
	}
	row, err := p.Time(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := (tablefmt.Floors{Depths: [2]int{1, 3}, MS: [2]float64{1, 4}}); row.Floors == nil || *row.Floors != want {
		t.Errorf("floors %+v, want %+v", row.Floors, want)
	}
}

func buildRunner(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "formularunner")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/formularunner")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build runner: %v\n%s", err, out)
	}
	return bin
}

func TestExternalRunnerProtocol(t *testing.T) {
	bin := buildRunner(t)
	h := cpuHeader()
	m, err := StartRunner(context.Background(), []string{bin}, nil, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hello := m.Hello(); hello.DeviceName != "Formula 1" || hello.Runtime != "formula" {
		t.Errorf("hello %+v", hello)
	}
	configs := []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 16, Heads: 2, QK: 4, V: 8},
		{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32},
		{Kind: tablefmt.KindMLP, EMB: 13, MLP: 32}, // the runner fails it
	}
	var buf bytes.Buffer
	w, err := tablefmt.NewWriter(&buf, h, tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Sweep(context.Background(), configs, []Measurer{m}, w, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("runner exit: %v", err)
	}
	if res.Measured != 2 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error(), "unlucky") {
		t.Fatalf("result %+v", res)
	}
	table, _, err := tablefmt.Read(&buf, "t")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{ // 0.001 · batch 2 · emb · (heads·(2qk+v) + mlp)
		"attn emb=16 heads=2 qk=4 v=8": 0.001 * 2 * 16 * (2 * 16),
		"mlp emb=16 mlp=32":            0.001 * 2 * 16 * 32,
	}
	for _, r := range table.Rows {
		if math.Abs(r.MedianMS-want[r.Key()]) > 1e-12 || r.Samples != 7 || r.MACs == 0 {
			t.Errorf("%s: %v ms, %d samples, %d MACs; want %v ms, 7 samples, MACs filled", r.Key(), r.MedianMS, r.Samples, r.MACs, want[r.Key()])
		}
	}
}

func TestExternalRunnerThatDiesIsAnError(t *testing.T) {
	bin := buildRunner(t)
	m, err := StartRunner(context.Background(), []string{bin}, nil, cpuHeader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Prepare(context.Background(), tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 666, MLP: 1})
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("dead runner: err = %v", err)
	}
	m.Close()
	if _, err := StartRunner(context.Background(), []string{filepath.Join(t.TempDir(), "missing")}, nil, cpuHeader(), nil); err == nil {
		t.Error("a missing runner started")
	}
	if _, err := StartRunner(context.Background(), []string{"false"}, nil, cpuHeader(), nil); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("a runner that exits at once: %v", err)
	}
}

// A runner that says it measures a CPU gets the CPU's defaults (the sweep
// asks it first, then plans again); one on a GPU keeps the deployment
// defaults, and the header records the kind either way.
func TestRunnerDefaultsFollowItsDevice(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NVITPROF_FAKE_RUNNER", "floors")
	for _, tc := range []struct {
		kind           string
		passes, batch  int
		estimator      string
		wantDeviceKind string
	}{
		{"cpu", 3, 8, tablefmt.EstimatorMin, "cpu"},
		{"cuda", 0, 256, "", "cuda"},
		{"", 0, 256, "", KindExternal},
	} {
		t.Run("kind "+tc.kind, func(t *testing.T) {
			t.Setenv("NVITPROF_FAKE_KIND", tc.kind)
			p, err := NewPlan(PlanOptions{Runner: []string{self}, Preset: "quick", EMB: []int{64}, Heads: []int{1}, QK: []int{8}, V: []int{16},
				MLP: []int{64}, Validation: new(0), Models: []string{"none"}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Run(t.Context(), filepath.Join(t.TempDir(), "t.jsonl"), RunOptions{Remeasure: new(time.Duration(0))})
			if err != nil {
				t.Fatal(err)
			}
			h := res.Header
			if h.Method.Passes != tc.passes || h.Batch != tc.batch || h.Method.Estimator != tc.estimator || h.DeviceKind != tc.wantDeviceKind {
				t.Errorf("passes %d, batch %d, estimator %q, device kind %q; want %d, %d, %q, %q",
					h.Method.Passes, h.Batch, h.Method.Estimator, h.DeviceKind, tc.passes, tc.batch, tc.estimator, tc.wantDeviceKind)
			}
		})
	}
}
