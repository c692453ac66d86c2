package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/internal/testtables"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenCase runs nvitprof with args (split at spaces) in a folder holding
// testdata's inputs and the testtables fixtures, and compares its stdout and
// stderr with testdata/NAME.stdout and NAME.stderr (absent when empty).
type goldenCase struct {
	name string
	args string
	code int
}

// runGolden runs the cases; go test -run Golden -update rewrites the files.
func runGolden(t *testing.T, cases []goldenCase) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(goldenDir(t, testdata))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := nvitprof(t, strings.Fields(tc.args)...)
			if code != tc.code {
				t.Errorf("nvitprof %s: exit code %d, want %d (stderr %q)", tc.args, code, tc.code, stderr)
			}
			if tc.code != exitOK && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("nvitprof %s: stderr is not one line: %q", tc.args, stderr)
			}
			checkGolden(t, filepath.Join(testdata, tc.name+".stdout"), stdout)
			checkGolden(t, filepath.Join(testdata, tc.name+".stderr"), stderr)
		})
	}
}

// goldenDir is a fresh folder with testdata's input files (not its golden
// files) and the fixtures of package testtables, so that commands name
// them, and print them, by relative paths.
func goldenDir(t *testing.T, testdata string) string {
	dir := t.TempDir()
	entries, err := os.ReadDir(testdata)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); e.IsDir() || ext == ".stdout" || ext == ".stderr" {
			continue
		}
		if files[e.Name()], err = os.ReadFile(filepath.Join(testdata, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{testtables.NViTSynthetic, testtables.QuickCPU, "quick-cpu.pass1.jsonl", "quick-cpu.pass2.jsonl", testtables.DeiTCPU} {
		files[name] = testtables.Bytes(t, name)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkGolden compares got with the golden file (absent: empty), or
// rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./cmd/nvitprof -run Golden -update rewrites it)\n got:\n%s\nwant:\n%s", filepath.Base(path), got, want)
	}
}
