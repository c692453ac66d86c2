package profiler

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel"
)

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
	configs := []costmodel.Row{
		{Kind: costmodel.KindAttn, EMB: 16, Heads: 2, QK: 4, V: 8},
		{Kind: costmodel.KindMLP, EMB: 16, MLP: 32},
		{Kind: costmodel.KindMLP, EMB: 13, MLP: 32}, // the runner fails it
	}
	var buf bytes.Buffer
	w, err := costmodel.NewWriter(&buf, h, costmodel.WriterOptions{})
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
	table, _, err := costmodel.Read(&buf, "t")
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
	_, err = m.Prepare(context.Background(), costmodel.Row{Kind: costmodel.KindMLP, EMB: 666, MLP: 1})
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
