package pytorch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
)

// TestRunnerThroughProfiler starts the real runner the way a sweep does and
// measures two tiny configurations. It needs an interpreter with torch;
// without one it is skipped, saying so.
func TestRunnerThroughProfiler(t *testing.T) {
	if os.Getenv("NVITPROF_TORCH_TESTS") == "" {
		// Starting torch twice takes seconds; CI sets it (.ci/run).
		t.Skip("set NVITPROF_TORCH_TESTS=1 to sweep through the real PyTorch runner")
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // where the script is written
	o, err := ParseSpec("pytorch:device=cpu,threads=1")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := NewCommand(t.Context(), o)
	if errors.Is(err, ErrNoPython) {
		t.Skipf("no interpreter imports torch, so the runner cannot run: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if dir := filepath.Dir(cmd.Argv[1]); !strings.HasPrefix(dir, os.Getenv("XDG_CACHE_HOME")) {
		t.Errorf("script written to %s, outside the cache directory", dir)
	}
	h := tablefmt.Header{Version: tablefmt.FormatVersion, DType: "float32", Batch: 2, Tokens: 17,
		Image: 16, Patch: 4, Channels: 3, Classes: 10,
		Method: tablefmt.Method{Name: "differential", Depths: []int{1, 3}, Warmup: 1, Samples: 2,
			NoiseThreshold: 10, Estimator: tablefmt.EstimatorMin}}
	m, err := profiler.StartRunner(t.Context(), cmd.Argv, nil, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello := m.Hello()
	if hello.Runtime != "pytorch" || hello.Backend != "eager" || hello.Version != cmd.Python.TorchVersion ||
		!strings.Contains(hello.DeviceName, "1 thread") {
		t.Errorf("hello %+v; want pytorch/eager %s on one CPU thread", hello, cmd.Python.TorchVersion)
	}
	for _, cfg := range []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 16, Heads: 2, QK: 4, V: 8},
		{Kind: tablefmt.KindMLP, EMB: 16, MLP: 32},
	} {
		p, err := m.Prepare(t.Context(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg.Key(), err)
		}
		row, err := p.Time(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", cfg.Key(), err)
		}
		if row.Key() != cfg.Key() || row.Samples < 2 || row.MACs <= 0 || row.Floors == nil ||
			row.Floors.Depths != [2]int{1, 3} || row.Floors.MS[1] <= 0 {
			t.Errorf("%s: row %+v; want ≥ 2 samples, MACs, floors at depths 1 and 3", cfg.Key(), row)
		}
	}
	if err := m.Close(); err != nil {
		t.Errorf("runner exit: %v", err)
	}
}
