package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

// Every command that writes a file, killed (SIGKILL) at a random moment,
// leaves at its output either the old file or the complete new one. The
// test runs this test binary as a child (TestKillChildWriter) that runs one
// command through the real code path, its output slowed down so that the
// write takes a good part of the run, and kills it at a moment drawn
// uniformly over 1.25 times the length of an unkilled run (so that some
// kills find the command done). By default it kills 10
// times across the commands; NVITPROF_KILLS=N kills N times per command
// (the goal: 50).
func TestKilledWritersLeaveOldOrNew(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	for _, name := range []string{testtables.QuickCPU, "quick-cpu.pass1.jsonl", "quick-cpu.pass2.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), testtables.Bytes(t, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := filepath.Abs(filepath.Join("testdata", "prune-compare"))
	if err != nil {
		t.Fatal(err)
	}
	writers := []struct {
		name, out string
		args      string
	}{
		{"fit", "model.json", "fit --table quick-cpu.jsonl --kind nvit-interp --out model.json --force"},
		{"export", "table.csv", "export --table quick-cpu.jsonl --format csv --out table.csv --force"},
		{"eval", "pred.csv", "eval --table quick-cpu.jsonl --kind nvit-interp --csv pred.csv --force"},
		{"merge", "merged.jsonl", "merge --out merged.jsonl --force quick-cpu.pass1.jsonl quick-cpu.pass2.jsonl"},
		{"prune-compare", "compare.svg", "prune-compare --out compare.svg --force " + runs},
	}
	kills, total := 0, 10
	if s := os.Getenv("NVITPROF_KILLS"); s != "" {
		if kills, err = strconv.Atoi(s); err != nil || kills < 1 {
			t.Fatalf("NVITPROF_KILLS=%q: want a positive count", s)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 16))
	for i, w := range writers {
		n := kills
		if n == 0 { // the default: total kills spread over the commands
			n = total/len(writers) + btoi(i < total%len(writers))
		}
		t.Run(w.name, func(t *testing.T) {
			killWriter(t, dir, w.out, strings.Fields(w.args), n, rng)
		})
	}
}

// killWriter runs args once to the end for the new file and its duration,
// then n times from the old file, killed at a random moment, and checks
// what each left.
func killWriter(t *testing.T, dir, out string, args []string, n int, rng *rand.Rand) {
	path := filepath.Join(dir, out)
	old := []byte("the old " + out + ", which a kill must not destroy\n")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := startChild(t, dir, args).Wait(); err != nil {
		t.Fatalf("unkilled run: %v", err)
	}
	full := time.Since(start)
	newer, err := os.ReadFile(path)
	if err != nil || bytes.Equal(newer, old) {
		t.Fatalf("the unkilled run did not replace %s: %v", out, err)
	}
	var left struct{ old, new, temp int }
	for range n {
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Fatal(err)
		}
		child := startChild(t, dir, args)
		time.Sleep(time.Duration(rng.Int64N(int64(full) * 5 / 4)))
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		got, err := os.ReadFile(path)
		switch {
		case err != nil:
			t.Fatalf("after a kill: %v", err)
		case bytes.Equal(got, old):
			left.old++
		case bytes.Equal(got, newer):
			left.new++
		default:
			t.Fatalf("after a kill %s holds %d bytes, neither the old file nor the new one (%d bytes)", out, len(got), len(newer))
		}
		left.temp += removeTemp(t, dir)
	}
	t.Logf("%s: %d kills in runs of %v: old file %d, new file %d; killed mid-write (a temporary file left) %d",
		out, n, full.Round(time.Millisecond), left.old, left.new, left.temp)
}

// startChild starts this test binary as a writer child running args in dir.
func startChild(t *testing.T, dir string, args []string) *exec.Cmd {
	t.Helper()
	enc, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChildWriter$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NVITPROF_KILL_CHILD="+string(enc))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// removeTemp removes the temporary files a killed writer left in dir and
// counts them.
func removeTemp(t *testing.T, dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
			n++
		}
	}
	return n
}

// TestKillChildWriter is the child of TestKilledWritersLeaveOldOrNew: it
// runs the command in $NVITPROF_KILL_CHILD with its output slowed down.
func TestKillChildWriter(t *testing.T) {
	spec := os.Getenv("NVITPROF_KILL_CHILD")
	if spec == "" {
		t.Skip("the child of TestKilledWritersLeaveOldOrNew")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		t.Fatal(err)
	}
	outputHook = func(w io.Writer) io.Writer { return &slowWriter{w: w} }
	ctx := context.Background()
	err := run(ctx, io.Discard, os.Stderr, append([]string{"nvitprof"}, args...))
	code := exitCode(ctx, err, os.Stderr)
	if code != exitOK {
		fmt.Fprintf(os.Stderr, "child %v: exit %d\n", args, code)
	}
	os.Exit(code)
}

// slowWriter passes writes on in pieces of 256 bytes, 1 ms apart: about
// 0.25 MB/s, so that the outputs here (7 to 20 kB) take 30 to 80 ms to
// write, a good part of a run, and the file on disk grows piece by piece.
type slowWriter struct{ w io.Writer }

func (s *slowWriter) Write(p []byte) (int, error) {
	const piece = 256
	n := 0
	for len(p) > 0 {
		k := min(piece, len(p))
		m, err := s.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
		time.Sleep(time.Millisecond)
	}
	return n, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
