package pytorch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakePython writes an executable shell script standing in for an
// interpreter: body runs whatever arguments it gets.
func fakePython(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFinderTakesTheFirstThatImportsTorch(t *testing.T) {
	dir := t.TempDir()
	noTorch := fakePython(t, dir, "python-bare", `echo "Traceback (most recent call last):" >&2
echo "ModuleNotFoundError: No module named 'torch'" >&2
exit 1`)
	withTorch := fakePython(t, dir, "python-torch", "echo 2.4.1+cu121; echo 1")
	cpuOnly := fakePython(t, dir, "python-cpu", "echo 1.13.0a0; echo 0")
	f := Finder{Candidates: []string{filepath.Join(dir, "missing"), noTorch, withTorch, cpuOnly}}
	got, err := f.Find(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Python{Path: withTorch, TorchVersion: "2.4.1+cu121", CUDA: true}); got != want {
		t.Errorf("found %+v, want %+v", got, want)
	}
}

func TestFinderSaysWhatItTried(t *testing.T) {
	dir := t.TempDir()
	noTorch := fakePython(t, dir, "python-bare", `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`)
	chatty := fakePython(t, dir, "python-chatty", "echo hello")
	slow := fakePython(t, dir, "python-slow", "exec sleep 10")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	f := Finder{Candidates: []string{"no-such-python-anywhere", "python-bare", noTorch, chatty, slow}, Timeout: 300 * time.Millisecond}
	_, err := f.Find(t.Context())
	var np *NoPythonError
	if !errors.As(err, &np) || !errors.Is(err, ErrNoPython) {
		t.Fatalf("err = %v, want a *NoPythonError", err)
	}
	if len(np.Tried) != 4 { // python-bare on PATH is noTorch: not tried twice
		t.Errorf("tried %+v, want 4 attempts", np.Tried)
	}
	msg := err.Error()
	for _, want := range []string{
		"no-such-python-anywhere: not found",
		"python-bare: exit status 1: ModuleNotFoundError: No module named 'torch'",
		chatty + `: unexpected answer "hello\n"`,
		slow + ": no answer in 300ms",
		"apt-get install python3-torch", "pip install torch", EnvPython,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
}

func TestDefaultCandidates(t *testing.T) {
	t.Setenv(EnvPython, "")
	if got := strings.Join(DefaultCandidates(), " "); got != "python3 /usr/bin/python3 python" {
		t.Errorf("candidates %q", got)
	}
	t.Setenv(EnvPython, "/opt/torch/bin/python")
	if got := DefaultCandidates(); got[0] != "/opt/torch/bin/python" || len(got) != 4 {
		t.Errorf("candidates %q, want %s's first", got, EnvPython)
	}
}
