package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// --threads limits the CPU sweep to that many threads, names them in the
// table's device, and gives the process its threads back afterwards.
func TestSweepThreadsAreRecordedAndRestored(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs two cores to limit")
	}
	before := runtime.GOMAXPROCS(0)
	out := filepath.Join(t.TempDir(), "t.jsonl")
	args := []string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64", "--heads", "1", "--qk", "8", "--v", "16",
		"--mlp", "64", "--validation", "0", "--models", "none", "--samples", "1", "--passes", "1", "--warmup", "0", "--quiet", "--out", out}
	if _, errOut, code := nvitprof(t, append(args, "--threads", "1")...); code != 0 {
		t.Fatalf("sweep --threads 1: exit %d: %s", code, errOut)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after the sweep, want %d back", got, before)
	}
	table, _, err := tablefmt.ReadTable(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.Header.DeviceName, "GOMAXPROCS 1") {
		t.Errorf("device %q does not name its one thread", table.Header.DeviceName)
	}
	// Resuming with every core is another device: refused, not mixed.
	if _, errOut, code := nvitprof(t, append(args, "--threads", "0", "--resume")...); code == 0 || !strings.Contains(errOut, "GOMAXPROCS") {
		t.Errorf("resume with every core: exit %d, %q; want a refusal naming the threads", code, errOut)
	}
	tooMany := fmt.Sprint(runtime.NumCPU() + 1)
	if _, errOut, code := nvitprof(t, append(args, "--threads", tooMany, "--resume")...); code != exitUsage || !strings.Contains(errOut, "--threads") {
		t.Errorf("--threads %s: exit %d, %q; want a usage error", tooMany, code, errOut)
	}
}
