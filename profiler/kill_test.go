package profiler

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// killSweep is the sweep a test kills: twelve configurations, one pass.
func killSweep() PlanOptions { return tinyCPU(16, 24, 32, 40) }

// rowsIn counts the complete rows (lines after the header) of a table file.
func rowsIn(path string) int {
	data, _ := os.ReadFile(path)
	return max(bytes.Count(data, []byte("\n"))-1, 0)
}

// A sweep killed (SIGKILL, no chance to clean up) or interrupted (SIGINT,
// as Ctrl-C) loses nothing it measured; resumed, it ends with every
// configuration exactly once, a torn last line cut off.
func TestSweepKilledAndResumedHasEveryRowOnce(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "t.jsonl")
			child := exec.Command(self)
			child.Env = append(os.Environ(), "NVITPROF_TEST_SWEEP="+out)
			var stderr bytes.Buffer
			child.Stderr = &stderr
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- child.Wait() }()
			for rowsIn(out) < 2 {
				select {
				case err := <-done:
					t.Fatalf("the sweep ended before 2 rows: %v\n%s", err, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			_ = child.Process.Signal(sig)
			err := <-done
			kept := rowsIn(out)
			if sig == syscall.SIGINT && (child.ProcessState.ExitCode() != 130 || !strings.Contains(stderr.String(), "rows are in "+out+"; resume it to continue")) {
				t.Errorf("interrupted sweep: %v, stderr %q; want exit 130 and where the rows are", err, stderr.String())
			}
			if kept >= 12 {
				t.Skipf("the sweep finished (%d rows) before the signal landed", kept)
			}
			torn := sig == syscall.SIGKILL
			if torn { // as if the kill had cut a row mid-write
				f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString(`{"kind":"mlp","emb":40,"ml`)
				f.Close()
			}

			plan, err := NewPlan(killSweep())
			if err != nil {
				t.Fatal(err)
			}
			prog := &recorder{}
			if _, err := plan.Run(t.Context(), out, RunOptions{Resume: true, Progress: prog.start}); err != nil {
				t.Fatalf("resume: %v", err)
			}
			if !slices.Contains(prog.lines, "resuming "+out+": removed a torn last line (26 bytes)") && torn {
				t.Errorf("the resume did not say it cut the torn line:\n%s", prog)
			}
			table, bad, err := tablefmt.ReadTable(out)
			if err != nil || len(bad) != 0 {
				t.Fatalf("resumed table: %v, %v", err, bad)
			}
			seen := map[string]int{}
			for _, r := range table.Rows {
				seen[r.Key()]++
			}
			if len(table.Rows) != 12 || len(seen) != 12 {
				t.Errorf("%d rows, %d distinct configurations; want 12 and 12 (had %d before the resume)", len(table.Rows), len(seen), kept)
			}
		})
	}
}
