package profiler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// The largest configuration's weight copies and activations, by hand: an
// MLP sub-block of EMB 1024 and width 4096 at 65 tokens, batch 8, float32,
// three stacked copies (CPU depths 1 and 3).
func TestPlanMemory(t *testing.T) {
	p, err := NewPlan(PlanOptions{Device: "cpu", Preset: "quick", EMB: []int{64, 1024}, Heads: []int{1}, QK: []int{8}, V: []int{8},
		MLP: []int{64, 4096}, Validation: new(0), Models: []string{"none"}, Threads: new(1)})
	if err != nil {
		t.Fatal(err)
	}
	key, got, err := p.Memory()
	c := arch.MLPCounts(1024, 65, 4096)
	if c.Params != 2*1024*4096+4096+1024+2*1024 { // fc1, fc2 and their biases, LayerNorm
		t.Fatalf("MLP params %d", c.Params)
	}
	want := 3 * (c.Params*4 + c.Activations*4*8)
	if err != nil || key != "mlp emb=1024 mlp=4096" || got != want {
		t.Errorf("Memory = %s, %d, %v; want the 1024×4096 MLP, %d bytes", key, got, err, want)
	}
}

// A grid whose largest configuration cannot fit is refused before the sweep
// starts, naming it; the quick preset is not.
func TestRunRefusesWhatCannotFit(t *testing.T) {
	if _, ok := memAvailable(); !ok {
		t.Skip("no /proc/meminfo here")
	}
	// 2 × 2¹⁹ × 2²⁰ weights of 4 bytes, three copies: about 12 TiB.
	p, err := NewPlan(PlanOptions{Device: "cpu", Preset: "quick", EMB: []int{1 << 19}, MLP: []int{1 << 20}, Threads: new(1)})
	if err != nil {
		t.Fatal(err)
	}
	var oe *OptionError
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // were it not refused, the sweep stops at once
	_, err = p.Run(ctx, t.TempDir()+"/t.jsonl", RunOptions{})
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "mlp=1048576, needs about") || !strings.Contains(err.Error(), "GiB is available") {
		t.Errorf("Run = %v; want the largest configuration named with its memory", err)
	}
	q, _ := NewPlan(PlanOptions{Device: "cpu", Preset: "quick", Threads: new(1)})
	if err := q.checkMemory(); err != nil {
		t.Errorf("quick: %v", err)
	}
}
