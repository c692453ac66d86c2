package pytorch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// EnvPython names the environment variable that points at the interpreter
// to use, tried before any other.
const EnvPython = "NVITPROF_PYTHON"

// DefaultProbeTimeout bounds how long one candidate may take to import torch
// (a cold import on a busy machine takes seconds).
const DefaultProbeTimeout = 60 * time.Second

// probe prints torch's version and whether it sees a CUDA device.
const probe = "import torch; print(torch.__version__); print(int(torch.cuda.is_available()))"

// Python is an interpreter that imports torch.
type Python struct {
	Path         string // as found: an absolute path, or a name on PATH
	TorchVersion string // torch.__version__
	CUDA         bool   // torch.cuda.is_available()
}

// Attempt is one candidate tried and why it was not taken.
type Attempt struct {
	Candidate string
	Err       error
}

// NoPythonError says that no candidate imports torch, and what each did.
// It matches ErrNoPython.
type NoPythonError struct {
	Tried []Attempt
}

// ErrNoPython matches a *NoPythonError.
var ErrNoPython = errors.New("no Python interpreter that imports torch")

func (e *NoPythonError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoPython.Error())
	b.WriteString(" (tried ")
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", a.Candidate, a.Err)
	}
	b.WriteString("); install PyTorch (apt-get install python3-torch, or pip install torch) or set " + EnvPython + " to an interpreter that has it")
	return b.String()
}

// Is makes errors.Is(err, ErrNoPython) true.
func (e *NoPythonError) Is(target error) bool { return target == ErrNoPython }

// DefaultCandidates are the interpreters tried, in order: $NVITPROF_PYTHON
// if set, python3 on PATH, the system's /usr/bin/python3 (a machine may have
// a python3 first on PATH without torch and the system's with it), python.
func DefaultCandidates() []string {
	var c []string
	if p := os.Getenv(EnvPython); p != "" {
		c = append(c, p)
	}
	return append(c, "python3", "/usr/bin/python3", "python")
}

// Finder looks for an interpreter that imports torch.
type Finder struct {
	// Candidates are tried in order; nil means DefaultCandidates.
	Candidates []string
	// Timeout bounds each candidate's import of torch; 0 means
	// DefaultProbeTimeout.
	Timeout time.Duration
}

// Find runs each candidate with a one-line script that imports torch and
// returns the first that succeeds. A candidate at the same path as one
// already tried (python3 on PATH being /usr/bin/python3) is skipped. When none succeeds the error is a
// *NoPythonError listing every attempt.
func (f Finder) Find(ctx context.Context) (Python, error) {
	candidates := f.Candidates
	if candidates == nil {
		candidates = DefaultCandidates()
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	var tried []Attempt
	seen := map[string]bool{}
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, Attempt{c, errors.New("not found")})
			continue
		}
		// Not resolved further: a virtual environment's python is a link to
		// the system's, with other packages.
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		if seen[path] {
			continue
		}
		seen[path] = true
		p, err := probePython(ctx, c, timeout)
		if err == nil {
			return p, nil
		}
		if ctx.Err() != nil {
			return Python{}, ctx.Err()
		}
		tried = append(tried, Attempt{c, err})
	}
	return Python{}, &NoPythonError{Tried: tried}
}

// probePython runs the probe with candidate and reads its answer.
func probePython(ctx context.Context, candidate string, timeout time.Duration) (Python, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, candidate, "-c", probe)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return Python{}, fmt.Errorf("no answer in %s", timeout)
	}
	if err != nil {
		return Python{}, fmt.Errorf("%v%s", err, lastLine(stderr.String()))
	}
	lines := strings.Fields(stdout.String())
	if len(lines) != 2 || (lines[1] != "0" && lines[1] != "1") {
		return Python{}, fmt.Errorf("unexpected answer %q", truncate(stdout.String(), 80))
	}
	return Python{Path: candidate, TorchVersion: lines[0], CUDA: lines[1] == "1"}, nil
}

// lastLine is ": " and the last non-empty line of s (a Python traceback's
// error), or "".
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return ": " + truncate(l, 160)
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
