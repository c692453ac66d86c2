package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/internal/testtables"
)

// goldenCase runs nvitprof with args (split at spaces) in a folder holding
// testdata/tables and the testtables fixtures, and compares its stdout and
// stderr with testdata/NAME.stdout and NAME.stderr (absent when empty).
type goldenCase struct {
	name string
	args string
	code int
}

// runGolden runs the cases; go test ./cmd/nvitprof -run Golden -update
// rewrites their files.
func runGolden(t *testing.T, cases []goldenCase) {
	dir := goldenDir(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := nvitprofIn(t, dir, strings.Fields(tc.args)...)
			if code != tc.code {
				t.Errorf("nvitprof %s: exit code %d, want %d (stderr %q)", tc.args, code, tc.code, stderr)
			}
			if tc.code != exitOK && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("nvitprof %s: stderr is not one line: %q", tc.args, stderr)
			}
			checkGoldenOrEmpty(t, tc.name+".stdout", stdout)
			checkGoldenOrEmpty(t, tc.name+".stderr", stderr)
		})
	}
}

// nvitprofIn runs nvitprof in dir, so that the paths it prints are the
// relative paths it was given.
func nvitprofIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
	}()
	return nvitprof(t, args...)
}

// goldenDir is a fresh folder with the files of testdata/tables and the
// fixtures of package testtables.
func goldenDir(t *testing.T) string {
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join("testdata", "tables"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if files[e.Name()], err = os.ReadFile(filepath.Join("testdata", "tables", e.Name())); err != nil {
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

// checkGoldenOrEmpty is checkGolden where an empty output has no file.
func checkGoldenOrEmpty(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if got == "" {
		if *update {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
	}
	checkGolden(t, name, got)
}
