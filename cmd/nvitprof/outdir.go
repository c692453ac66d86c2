package main

import (
	"fmt"
	"io"
	"os"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
)

// newOutDir creates the output directory dir and stages files for it: they
// appear together on Commit, and a failure before leaves nothing
// half-written (defer Abort).
func newOutDir(dir string) (*atomicfile.Dir, error) {
	if dir == "" {
		return nil, usagef("--out DIR is required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	d, err := atomicfile.NewDir(dir)
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	return d, nil
}

// writeBytes is a write function for atomicfile that writes data.
func writeBytes(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// writeFileAtomic writes path through a temporary file in its directory,
// replacing path only when write succeeded.
func writeFileAtomic(path string, write func(f *os.File) error) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f.File); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
