package pytorch

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed nvitprof_runner.py
var script []byte

// Script is the runner's Python source, as embedded in this binary.
func Script() []byte { return append([]byte(nil), script...) }

// ScriptName is the file name WriteScript gives the script: its content's
// hash in the name, so that binaries of different versions never run each
// other's copy.
func ScriptName() string {
	sum := sha256.Sum256(script)
	return "nvitprof_runner-" + hex.EncodeToString(sum[:6]) + ".py"
}

// WriteScript writes the script into dir (created if missing) as
// ScriptName and returns its path; an existing file of that name with the
// same content is kept. The write goes through a temporary file and a
// rename, so a runner never starts from a half-written copy.
func WriteScript(dir string) (string, error) {
	path := filepath.Join(dir, ScriptName())
	if old, err := os.ReadFile(path); err == nil && string(old) == string(script) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("pytorch runner: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".nvitprof_runner-*.py")
	if err != nil {
		return "", fmt.Errorf("pytorch runner: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(script); err != nil {
		tmp.Close()
		return "", fmt.Errorf("pytorch runner: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("pytorch runner: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("pytorch runner: %w", err)
	}
	return path, nil
}

// ScriptDir is where Command writes the script: nvitprof/runners in the
// user's cache directory, or in the temporary directory when there is none.
func ScriptDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "nvitprof", "runners")
	}
	return filepath.Join(os.TempDir(), "nvitprof-runners")
}

// Device kinds a Command measures on (profiler's KindCPU and KindCUDA).
const (
	KindCPU  = "cpu"
	KindCUDA = "cuda"
)

// Command is how to start the runner: the argv for profiler.StartRunner,
// and what it will measure on, known before it starts (the sweep's defaults
// depend on it and go into the hello).
type Command struct {
	Argv       []string
	Python     Python
	Device     string // "cpu" or "cuda:N": Options.Device with "auto" and "cuda" resolved
	DeviceKind string // KindCPU or KindCUDA
}

// NewCommand finds an interpreter that imports torch (o.Python, or
// Finder's candidates), writes the script into ScriptDir and returns the
// command that runs it with o. "auto" resolves to cuda:0 when torch sees a
// CUDA device, else to the CPU.
func NewCommand(ctx context.Context, o Options) (Command, error) {
	f := Finder{}
	if o.Python != "" {
		f.Candidates = []string{o.Python}
	}
	py, err := f.Find(ctx)
	if err != nil {
		return Command{}, err
	}
	return newCommand(py, o, ScriptDir())
}

// newCommand is NewCommand with the interpreter found and the script's directory given.
func newCommand(py Python, o Options, dir string) (Command, error) {
	switch o.Device {
	case "auto", "":
		o.Device = "cpu"
		if py.CUDA {
			o.Device = "cuda:0"
		}
	case "cuda":
		o.Device = "cuda:0"
	}
	kind := KindCPU
	if o.Device != "cpu" {
		kind = KindCUDA
		if !py.CUDA {
			return Command{}, fmt.Errorf("pytorch runner: device %s: torch %s in %s sees no CUDA device", o.Device, py.TorchVersion, py.Path)
		}
	}
	path, err := WriteScript(dir)
	if err != nil {
		return Command{}, err
	}
	argv := append([]string{py.Path, path}, o.Args()...)
	return Command{Argv: argv, Python: py, Device: o.Device, DeviceKind: kind}, nil
}
