package main

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// buildNvitprof compiles the CLI (pure Go, without the XLA backend) for tests
// that need a real process to kill.
func buildNvitprof(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nvitprof")
	cmd := exec.Command("go", "build", "-tags", "noxla", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// smallSweep is a CPU sweep of 10 configurations taking a few seconds.
func smallSweep(out string, extra ...string) []string {
	return append([]string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64,96", "--heads", "1,2",
		"--qk", "8", "--v", "16", "--mlp", "64,128", "--validation", "0", "--models", "none",
		"--samples", "2", "--warmup", "0", "--quiet", "--out", out}, extra...)
}

// rowsIn counts the complete rows (lines after the header) of a table file.
func rowsIn(path string) int {
	data, _ := os.ReadFile(path)
	n := bytes.Count(data, []byte("\n"))
	return max(n-1, 0)
}

// waitRows waits until path holds at least n rows or the process exits.
func waitRows(t *testing.T, path string, n int, done <-chan error) {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for rowsIn(path) < n {
		select {
		case err := <-done:
			t.Fatalf("sweep ended before %d rows: %v", n, err)
		case <-deadline:
			t.Fatalf("no %d rows after 2 minutes", n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// A sweep killed (SIGKILL, no chance to clean up) or interrupted (SIGINT,
// as Ctrl-C) and resumed ends with every configuration exactly once.
func TestSweepKilledAndResumedHasEveryRowOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := buildNvitprof(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "t.jsonl")
			cmd := exec.Command(bin, smallSweep(out)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			waitRows(t, out, 3, done)
			_ = cmd.Process.Signal(sig)
			err := <-done
			before := rowsIn(out)
			if sig == syscall.SIGINT {
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != exitInterrupted || !strings.Contains(stderr.String(), "--resume") {
					t.Errorf("interrupted sweep: %v, stderr %q; want exit 130 and a hint to resume", err, stderr.String())
				}
			}
			if before >= 10 {
				t.Skipf("the sweep finished (%d rows) before the signal landed", before)
			}

			// Running again without --resume must refuse and leave the file alone.
			if o, err := exec.Command(bin, smallSweep(out)...).CombinedOutput(); err == nil || !strings.Contains(string(o), "--resume") {
				t.Errorf("second run without --resume: %v %s", err, o)
			}
			if o, err := exec.Command(bin, smallSweep(out, "--resume")...).CombinedOutput(); err != nil {
				t.Fatalf("resume: %v\n%s", err, o)
			}
			table, bad, err := tablefmt.ReadTable(out)
			if err != nil || len(bad) != 0 {
				t.Fatalf("resumed table: %v, %v", err, bad)
			}
			seen := map[string]int{}
			for _, r := range table.Rows {
				seen[r.Key()]++
			}
			if len(table.Rows) != 10 || len(seen) != 10 {
				t.Errorf("%d rows, %d distinct configurations; want 10 and 10 (had %d before the resume)", len(table.Rows), len(seen), before)
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("%s measured %d times", k, n)
				}
			}
		})
	}
}

// A resume against a table of another setting is refused and the file kept.
func TestResumeRefusesMismatchedHeader(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.jsonl")
	args := []string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64", "--heads", "1", "--qk", "8", "--v", "16",
		"--mlp", "64", "--validation", "0", "--models", "none", "--samples", "1", "--warmup", "0", "--quiet", "--out", out}
	if _, errOut, code := nvitprof(t, args...); code != 0 {
		t.Fatalf("first sweep: exit %d: %s", code, errOut)
	}
	before, _ := os.ReadFile(out)
	_, errOut, code := nvitprof(t, append(args, "--resume", "--batch", "3")...)
	if code == 0 || !strings.Contains(errOut, "batch") {
		t.Errorf("resume with another batch: exit %d, %q; want a refusal naming batch", code, errOut)
	}
	// A CPU table takes floors; a median resume would mix estimators.
	if _, errOut, code = nvitprof(t, append(args, "--resume", "--estimator", "median")...); code == 0 || !strings.Contains(errOut, `method.estimator "min" vs "median"`) {
		t.Errorf("resume with another estimator: exit %d, %q", code, errOut)
	}
	if _, errOut, code = nvitprof(t, append(args, "--estimator", "mean")...); code != exitUsage {
		t.Errorf("--estimator mean: exit %d, %q; want a usage error", code, errOut)
	}
	if _, errOut, code = nvitprof(t, append(args, "--passes", "0")...); code != exitUsage || !strings.Contains(errOut, "--passes") {
		t.Errorf("--passes 0: exit %d, %q; want a usage error naming --passes", code, errOut)
	}
	after, _ := os.ReadFile(out)
	if !bytes.Equal(before, after) {
		t.Error("the refused resume changed the table")
	}
	// A corrupt file is not a table: refused, untouched.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("this is not a table\n"), 0o644)
	if _, errOut, code := nvitprof(t, append(args[:len(args)-1], bad, "--resume")...); code == 0 {
		t.Errorf("resume of a corrupt file accepted: %s", errOut)
	}
	if data, _ := os.ReadFile(bad); string(data) != "this is not a table\n" {
		t.Error("the corrupt file was changed")
	}
	sc := bufio.NewScanner(bytes.NewReader(after))
	sc.Scan()
	if !strings.Contains(sc.Text(), `"nvitprof_table":1`) {
		t.Errorf("header line %q", sc.Text())
	}
}

// --workers runs nvitprof's own runner processes (the path used for several
// GPUs and parallel compilation); the table must be the same set of rows.
func TestSweepWithRunnerWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the CLI")
	}
	bin := buildNvitprof(t)
	out := filepath.Join(t.TempDir(), "w.jsonl")
	if o, err := exec.Command(bin, smallSweep(out, "--workers", "2")...).CombinedOutput(); err != nil {
		t.Fatalf("sweep --workers 2: %v\n%s", err, o)
	}
	table, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 0 || len(table.Rows) != 10 {
		t.Fatalf("table: %d rows, %v, %v", len(table.Rows), err, bad)
	}
	if table.Header.DeviceKind != "cpu" || !strings.Contains(strings.Join(table.Header.Notes, " "), "2 runner process") {
		t.Errorf("header %+v", table.Header)
	}
	// The runners measure with the sweep's one thread (the default).
	if runtime.NumCPU() > 1 && !strings.Contains(table.Header.DeviceName, "GOMAXPROCS 1") {
		t.Errorf("runner device %q: the runners did not inherit --threads 1", table.Header.DeviceName)
	}
}

// A sweep in two passes: the first pass stays beside the table, and each
// row of the table is the faster of its two passes.
func TestSweepTwoPassesCombineEachDepthsFloors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	args := []string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64", "--heads", "1,2", "--qk", "8", "--v", "16",
		"--mlp", "64", "--validation", "0", "--models", "none", "--samples", "2", "--passes", "2", "--warmup", "0", "--quiet", "--out", out}
	_, errOut, code := nvitprof(t, args...)
	if code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "passes of a configuration were") {
		t.Errorf("no statement of how the passes agreed: %q", errOut)
	}
	if !strings.Contains(errOut, out+": time per configuration") {
		t.Errorf("no statement of where the last pass's time went: %q", errOut)
	}
	first, bad, err := tablefmt.ReadTable(filepath.Join(dir, "t.pass1.jsonl"))
	if err != nil || len(bad) != 0 {
		t.Fatalf("first pass: %v %v", err, bad)
	}
	final, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 0 {
		t.Fatalf("table: %v %v", err, bad)
	}
	if final.Header.Method.Passes != 2 || final.Header.Method.Estimator != tablefmt.EstimatorMin {
		t.Errorf("header method %+v: want 2 passes of floors", final.Header.Method)
	}
	idx := first.Index()
	if len(final.Rows) != 4 || len(first.Rows) != 4 {
		t.Fatalf("%d rows, first pass %d; want 4 and 4", len(final.Rows), len(first.Rows))
	}
	for _, r := range final.Rows {
		p, ok := idx[r.Key()]
		if !ok {
			t.Fatalf("%s missing from the first pass", r.Key())
		}
		// The samples of both passes, at least 2 each; each depth's floor at
		// most the first pass's, and the latency their difference per copy.
		if r.Samples < p.Samples+2 || len(r.PassesMS) != 2 {
			t.Errorf("%s: %d samples (passes %v); first pass %d", r.Key(), r.Samples, r.PassesMS, p.Samples)
		}
		f, pf := r.Floors, p.Floors
		if f == nil || pf == nil || f.MS[0] > pf.MS[0] || f.MS[1] > pf.MS[1] ||
			math.Abs(max(0, (f.MS[1]-f.MS[0])/float64(f.Depths[1]-f.Depths[0]))-r.MedianMS) > 1e-9 {
			t.Errorf("%s: %.4g ms from floors %+v; first pass's floors %+v", r.Key(), r.MedianMS, f, pf)
		}
	}
	// Without --resume, an existing first pass is not overwritten either.
	os.Remove(out)
	if _, errOut, code := nvitprof(t, args...); code == 0 || !strings.Contains(errOut, "t.pass1.jsonl exists") {
		t.Errorf("rerun over a first pass: exit %d, %q", code, errOut)
	}
}
