package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/urfave/cli/v2"
)

// The overwrite policy, for every command that writes files: outputs are
// written atomically (a temporary file beside the output, synced, renamed
// over it: a failure or a kill leaves the old file or none), mode 0644, and
// an output that exists is refused unless --force, which replaces it. A
// table or a model costs minutes to hours to measure or fit; a mistyped
// --out must not destroy one. sweep (whose --resume continues a table) has
// no --force.

// forceFlag lets a command replace its existing outputs.
func forceFlag() cli.Flag {
	return &cli.BoolFlag{Name: "force", Usage: "replace existing output files (atomically: a failed or killed write leaves the old file)"}
}

// outputHook, when set (by the tests that kill writers), wraps the writer
// of every file writeOutput writes.
var outputHook func(io.Writer) io.Writer

// checkOverwrite refuses paths that exist, unless --force (then only a
// directory where a file goes): flag names the option that chose them, for
// the message. Commands call it before their work, so that a refusal costs
// nothing. "" and "-" (stdout) are not files.
func checkOverwrite(c *cli.Context, flag string, paths ...string) error {
	for _, p := range paths {
		if p == "" || p == "-" {
			continue
		}
		st, err := os.Stat(p)
		switch {
		case err != nil:
			continue
		case st.IsDir():
			return fmt.Errorf("%s is a directory: give --%s a file name", p, flag)
		case !c.Bool("force"):
			return existsError(p, flag)
		}
	}
	return nil
}

func existsError(path, flag string) error {
	return fmt.Errorf("%s exists: give --force to replace it, or another --%s", path, flag)
}

// writeOutput writes path atomically with write: with --force it replaces
// an existing file, without it refuses one, even one that appeared since
// checkOverwrite.
func writeOutput(c *cli.Context, flag, path string, write func(io.Writer) error) error {
	if outputHook != nil {
		inner := write
		write = func(w io.Writer) error { return inner(outputHook(w)) }
	}
	if c.Bool("force") {
		return atomicfile.WriteFile(path, write)
	}
	err := atomicfile.WriteNew(path, write)
	if errors.Is(err, fs.ErrExist) {
		return existsError(path, flag)
	}
	return err
}

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
