package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplacesOrLeavesAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if err != boom {
		t.Errorf("the write function's error came back as %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("a failed write changed the file: %q", data)
	}
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(data) != "new" || st.Mode().Perm() != Mode {
		t.Errorf("after a write: %q, mode %v", data, st.Mode().Perm())
	}
	if names := readDir(t, dir); len(names) != 1 {
		t.Errorf("temporary files left: %v", names)
	}
}

func TestWriteFileInMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "out.txt")
	err := WriteFile(path, func(io.Writer) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "write "+path+": ") {
		t.Errorf("error %v: want one naming %s", err, path)
	}
}

func TestCreateAbort(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "data")
	f.Abort()
	f.Abort() // twice is harmless
	if names := readDir(t, dir); len(names) != 0 {
		t.Errorf("Abort left %v", names)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestDirCommitsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	d, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "a"} {
		if err := d.WriteFile(n, func(w io.Writer) error { _, err := io.WriteString(w, n+"!"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if names := readDir(t, dir); len(names) != 1 || !strings.HasPrefix(names[0], ".") {
		t.Errorf("before Commit the directory holds %v, want only the staging directory", names)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	d.Abort()
	if names := readDir(t, dir); strings.Join(names, ",") != "a,b" {
		t.Errorf("after Commit: %v", names)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "b")); string(data) != "b!" {
		t.Errorf("b holds %q", data)
	}
	if st, _ := os.Stat(filepath.Join(dir, "b")); st.Mode().Perm() != Mode {
		t.Errorf("b has mode %v", st.Mode().Perm())
	}

	d2, _ := NewDir(dir)
	d2.WriteFile("c", func(w io.Writer) error { return nil })
	if err := d2.WriteFile("../escape", func(io.Writer) error { return nil }); err == nil {
		t.Error("a path outside the directory was staged")
	}
	d2.Abort()
	if names := readDir(t, dir); strings.Join(names, ",") != "a,b" {
		t.Errorf("after Abort: %v", names)
	}
}

func Example() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "summary.txt")
	err := WriteFile(path, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, "3 variants")
		return err
	})
	data, _ := os.ReadFile(path)
	fmt.Printf("%v %q\n", err, data)
	// Output: <nil> "3 variants\n"
}

func TestWriteNewRefusesAnExistingPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	write := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }
	if err := WriteNew(path, write); err != nil {
		t.Fatal(err)
	}
	err := WriteNew(path, func(io.Writer) error { t.Error("wrote over an existing file"); return nil })
	if !errors.Is(err, fs.ErrExist) || err.Error() != "write "+path+": file already exists" {
		t.Errorf("second WriteNew: %v, want fs.ErrExist naming %s", err, path)
	}
	if names := readDir(t, dir); len(names) != 1 {
		t.Errorf("temporary files left: %v", names)
	}
}

// A file that appears while the new one is written is not replaced.
func TestCommitNewDoesNotReplaceAFileCreatedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "mine")
	if err := os.WriteFile(path, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.CommitNew(); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CommitNew over a new file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "theirs" {
		t.Errorf("the file holds %q", data)
	}
	if names := readDir(t, dir); strings.Join(names, ",") != "out.txt" {
		t.Errorf("left %v", names)
	}
}

func TestIsTempNamesWhatAKilledWriterLeaves(t *testing.T) {
	dir := t.TempDir()
	f, _ := Create(filepath.Join(dir, "model.json"))
	d, _ := NewDir(dir)
	names := readDir(t, dir)
	f.Abort()
	d.Abort()
	if len(names) != 2 || !IsTemp(names[0]) || !IsTemp(names[1]) {
		t.Errorf("temporary names %v: not recognised", names)
	}
	for _, n := range []string{"model.json", ".model.json", "partial-1", ".git"} {
		if IsTemp(n) {
			t.Errorf("IsTemp(%q)", n)
		}
	}
}
