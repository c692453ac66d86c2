package pytorch

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteScript(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "runners")
	path, err := WriteScript(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, Script()) || !bytes.Contains(got, []byte("def serve(")) {
		t.Fatalf("script at %s: %d bytes, %v; want the embedded runner", path, len(got), err)
	}
	if !strings.HasPrefix(filepath.Base(path), "nvitprof_runner-") || filepath.Ext(path) != ".py" {
		t.Errorf("script name %s", filepath.Base(path))
	}
	// A damaged copy is replaced, and nothing else is left in dir.
	if err := os.WriteFile(path, []byte("print('hi')"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again, err := WriteScript(dir); err != nil || again != path {
		t.Fatalf("second write: %s, %v", again, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, Script()) {
		t.Error("a damaged copy was kept")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in %s, want the script only", len(entries), dir)
	}
}

func TestNewCommandResolvesTheDevice(t *testing.T) {
	dir := t.TempDir()
	cpu := Python{Path: "/usr/bin/python3", TorchVersion: "1.13.0a0"}
	gpu := Python{Path: "python3", TorchVersion: "2.4.1", CUDA: true}
	for _, tc := range []struct {
		py           Python
		spec         string
		device, kind string
	}{
		{cpu, "pytorch", "cpu", KindCPU},
		{gpu, "pytorch", "cuda:0", KindCUDA},
		{gpu, "pytorch:device=cpu", "cpu", KindCPU},
		{gpu, "pytorch:device=cuda", "cuda:0", KindCUDA},
		{gpu, "pytorch:device=cuda:1", "cuda:1", KindCUDA},
	} {
		o, err := ParseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		c, err := newCommand(tc.py, o, dir)
		if err != nil {
			t.Fatalf("%s with %+v: %v", tc.spec, tc.py, err)
		}
		if c.Device != tc.device || c.DeviceKind != tc.kind || c.Argv[0] != tc.py.Path ||
			!slices.Contains(c.Argv, tc.device) || filepath.Dir(c.Argv[1]) != dir {
			t.Errorf("%s with %+v: %+v; want device %s (%s)", tc.spec, tc.py, c, tc.device, tc.kind)
		}
	}
	o, _ := ParseSpec("pytorch:device=cuda:0")
	if _, err := newCommand(cpu, o, dir); err == nil || !strings.Contains(err.Error(), "sees no CUDA device") {
		t.Errorf("cuda without CUDA: %v", err)
	}
}
