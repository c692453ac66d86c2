//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package tablefmt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A second writer of a table is refused, naming the file, and leaves it
// alone until the first is closed (flock locks are per open file, so two
// opens in one process conflict as two sweeps would).
func TestSecondWriterOfATableIsRefused(t *testing.T) {
	for _, first := range []string{"create", "resume"} {
		t.Run(first, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.jsonl")
			var w *Writer
			var err error
			if first == "create" {
				w, err = Create(path, testHeader(), WriterOptions{})
			} else {
				w, _, err = Resume(path, testHeader(), WriterOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(testRows()[0]); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)

			_, _, err = Resume(path, testHeader(), WriterOptions{})
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another sweep is writing") ||
				strings.Contains(err.Error(), "\n") {
				t.Fatalf("second Resume: %v; want one line naming %s and the other sweep", err, path)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the refused Resume changed the table")
			}

			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w2, res, err := Resume(path, testHeader(), WriterOptions{})
			if err != nil || len(res.Table.Rows) != 1 {
				t.Fatalf("Resume after Close: %v, %d rows", err, len(res.Table.Rows))
			}
			w2.Close()
		})
	}
}
