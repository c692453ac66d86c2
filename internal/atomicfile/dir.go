package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Dir stages the files of an output directory in a hidden directory inside
// it and moves them into place on Commit, when all are written: a failure
// before Commit leaves the directory as it was.
type Dir struct {
	dir, stage string
	names      []string
}

// NewDir starts staging files for dir, which must exist.
func NewDir(dir string) (*Dir, error) {
	stage, err := os.MkdirTemp(dir, ".nvitprof"+tempInfix)
	if err != nil {
		return nil, err
	}
	return &Dir{dir: dir, stage: stage}, nil
}

// WriteFile stages the file name (a base name) with what write writes to w
// (buffered). Staging the same name twice keeps the second.
func (d *Dir) WriteFile(name string, write func(w io.Writer) error) error {
	if filepath.Base(name) != name {
		return fmt.Errorf("write %s: not a file name", name)
	}
	f, err := os.OpenFile(filepath.Join(d.stage, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, Mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	err = bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), Mode)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	for _, n := range d.names {
		if n == name {
			return nil
		}
	}
	d.names = append(d.names, name)
	return nil
}

// Commit moves every staged file into the directory, in the order they were
// first staged, and removes the staging directory.
func (d *Dir) Commit() error {
	for _, name := range d.names {
		if err := os.Rename(filepath.Join(d.stage, name), filepath.Join(d.dir, name)); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	return os.RemoveAll(d.stage)
}

// Abort removes the staging directory and what it holds. It can be
// deferred: after Commit there is nothing left to remove.
func (d *Dir) Abort() { _ = os.RemoveAll(d.stage) }
