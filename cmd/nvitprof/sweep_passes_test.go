package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// buildFormulaRunner compiles profiler's test runner, which "measures" by a
// formula of the dimensions and fails every configuration of EMB 13.
func buildFormulaRunner(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "formularunner")
	if out, err := exec.Command("go", "build", "-o", bin, "../../profiler/testdata/formularunner").CombinedOutput(); err != nil {
		t.Fatalf("build runner: %v\n%s", err, out)
	}
	return bin
}

// runnerSweep sweeps attention, MLP and rest of each EMB in embs through
// the formula runner: three configurations per EMB.
func runnerSweep(runner, out, embs string, extra ...string) []string {
	return append([]string{"sweep", "--runner", runner, "--emb", embs, "--heads", "1", "--qk", "8", "--v", "16", "--mlp", "32",
		"--validation", "0", "--models", "none", "--quiet", "--out", out}, extra...)
}

// A configuration that always fails (here EMB 13, as one out of memory
// would) does not stop the later passes: they measure what the first pass
// measured, the table is written, and the sweep still fails naming it.
func TestSweepPassesGoOnPastAFailingConfiguration(t *testing.T) {
	runner := buildFormulaRunner(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	args := runnerSweep(runner, out, "13,16", "--passes", "3")
	wantErr := "3 configurations failed (first: attn emb=13 heads=1 qk=8 v=16: "
	_, errOut, code := nvitprof(t, args...)
	if code != exitFailure || !strings.Contains(errOut, wantErr) || !strings.Contains(errOut, "unlucky") {
		t.Fatalf("sweep: exit %d, %q; want exit %d and %q", code, errOut, exitFailure, wantErr)
	}
	// Only the first pass tries the failing configurations.
	for _, f := range []string{"t.pass2.jsonl", "t.jsonl"} {
		if !strings.Contains(errOut, filepath.Join(dir, f)+": 3 configurations measured") {
			t.Errorf("%s: want 3 configurations measured: %q", f, errOut)
		}
	}
	if n := strings.Count(errOut, ", 3 failed"); n != 1 {
		t.Errorf("%d passes tried the failing configurations, want 1: %q", n, errOut)
	}
	for _, f := range []string{"t.pass1.jsonl", "t.pass2.jsonl", "t.jsonl"} {
		table, bad, err := tablefmt.ReadTable(filepath.Join(dir, f))
		if err != nil || len(bad) != 0 || len(table.Rows) != 3 {
			t.Fatalf("%s: %d rows, %v, %v; want the 3 of EMB 16", f, len(table.Rows), err, bad)
		}
		for _, r := range table.Rows {
			if r.EMB != 16 || (f == "t.jsonl" && len(r.PassesMS) != 3) {
				t.Errorf("%s: row %s (passes %v); want EMB 16, combining 3 passes in the table", f, r.Key(), r.PassesMS)
			}
		}
	}

	// A resume retries the failures in the first pass and leaves the table be.
	before, _ := os.ReadFile(out)
	if _, errOut, code = nvitprof(t, append(args, "--resume")...); code != exitFailure || !strings.Contains(errOut, wantErr) {
		t.Errorf("resume: exit %d, %q; want exit %d and %q", code, errOut, exitFailure, wantErr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("the resume changed the table:\n%s\nwas\n%s", after, before)
	}
}

// A resumed table with a complete line that is not a row says so, measures
// again the configuration that lacks a row, and ends well, keeping the line.
func TestSweepResumeRemeasuresUnreadableRows(t *testing.T) {
	runner := buildFormulaRunner(t)
	out := filepath.Join(t.TempDir(), "t.jsonl")
	args := runnerSweep(runner, out, "16")
	if _, errOut, code := nvitprof(t, args...); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	if !strings.Contains(lines[1], `"kind":"attn"`) {
		t.Fatalf("line 2 is not the attention row: %q", lines[1])
	}
	lines[1] = `{"kind":"attn","emb":16,"heads":1,"qk":8,"v":16,"median_ms":"fast"}` + "\n"
	os.WriteFile(out, []byte(strings.Join(lines, "")), 0o644)

	_, errOut, code := nvitprof(t, append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "1 unreadable row") || !strings.Contains(errOut, "measured again") {
		t.Errorf("resume did not say it found an unreadable row to measure again: %q", errOut)
	}
	table, bad, err := tablefmt.ReadTable(out)
	if err != nil || len(bad) != 1 || bad[0].Line != 2 || len(table.Rows) != 3 || table.Rows[2].Kind != tablefmt.KindAttn {
		t.Errorf("table: %d rows, %v, unreadable %v; want the attention row again at the end and line 2 kept", len(table.Rows), err, bad)
	}
}
