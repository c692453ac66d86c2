package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Mode is the permission of every file this package writes, whatever the
// umask: nothing written through it is secret, and a file must not change
// mode when a later run replaces it.
const Mode os.FileMode = 0o644

// WriteFile writes path with what write writes to w (buffered), atomically:
// path is replaced only when write returns nil and the data are on disk.
func WriteFile(path string, write func(w io.Writer) error) error {
	return writeFile(path, write, (*File).Commit)
}

// WriteNew is WriteFile for a path that must not exist: it refuses an
// existing path before writing, and again when it would put the file in
// place (an error wrapping fs.ErrExist), so a file created meanwhile is not
// replaced either.
func WriteNew(path string, write func(w io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return &fs.PathError{Op: "write", Path: path, Err: fs.ErrExist}
	}
	return writeFile(path, write, (*File).CommitNew)
}

func writeFile(path string, write func(w io.Writer) error, commit func(*File) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return commit(f)
}

// File is a pending file: a temporary file beside its path that replaces
// the path on Commit. Abort, or a failed Commit, removes it.
type File struct {
	*os.File
	path string
	done bool
}

// tempInfix is in the name of every temporary file and staging directory
// this package creates (see IsTemp).
const tempInfix = ".partial-"

// Create opens a pending file for path, in path's directory.
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+tempInfix)
	if err != nil {
		return nil, &fs.PathError{Op: "write", Path: path, Err: cause(err)}
	}
	return &File{File: f, path: path}, nil
}

// IsTemp reports whether name (a base name) is one of the temporary files
// or staging directories this package writes beside its outputs, as a
// killed writer leaves them.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix)
}

// Commit syncs the file, closes it, gives it Mode and renames it over its
// path. After a failed Commit the path is untouched and the temporary file
// removed.
func (f *File) Commit() error {
	return f.commit(os.Rename)
}

// CommitNew is Commit for a path that must not exist: it puts the file in
// place with a hard link, which fails when the path exists (an error
// wrapping fs.ErrExist). On a file system without hard links it checks
// that the path does not exist, then renames.
func (f *File) CommitNew() error {
	return f.commit(func(tmp, path string) error {
		err := os.Link(tmp, path)
		if err == nil || errors.Is(err, fs.ErrExist) {
			return err
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fs.ErrExist
		}
		return os.Rename(tmp, path)
	})
}

func (f *File) commit(publish func(tmp, path string) error) error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), Mode)
	}
	if err == nil {
		err = publish(f.Name(), f.path)
	}
	f.done = true
	os.Remove(f.Name()) // after a rename there is nothing left; after a link, the second name
	if err != nil {
		return &fs.PathError{Op: "write", Path: f.path, Err: cause(err)}
	}
	return nil
}

// cause is the system's error inside a file operation's error, which names
// the temporary file: the error returned names the path instead.
func cause(err error) error {
	var le *os.LinkError
	var pe *fs.PathError
	switch {
	case errors.As(err, &le):
		return le.Err
	case errors.As(err, &pe):
		return pe.Err
	}
	return err
}

// Abort closes and removes the pending file, leaving its path untouched. It
// does nothing after Commit, so it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}
