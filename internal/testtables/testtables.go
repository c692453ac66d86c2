package testtables

import (
	"embed"
	"os"
	"path/filepath"
	"testing"
)

//go:generate go run gen.go

// Fixture names, for Path and Bytes.
const (
	// NViTSynthetic is the synthetic latency table in NViT's
	// latency_head.json format and grid (SyntheticSeconds).
	NViTSynthetic = "nvit_synthetic_latency_head.json"
	// QuickCPU is a table recorded by nvitprof sweep --device cpu --preset
	// quick (JSON Lines, with its header).
	QuickCPU = "quick-cpu.jsonl"
	// DeiTCPU is a small table recorded by nvitprof sweep --device cpu
	// --preset deit over a few points of DeiT-T and DeiT-S widths.
	DeiTCPU = "deit-cpu.jsonl"
)

//go:embed testdata/*
var testdata embed.FS

// Bytes returns a copy of the fixture testdata/name, failing t if there is
// none.
func Bytes(t testing.TB, name string) []byte {
	t.Helper()
	b, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("testtables: no fixture %q: %v", name, err)
	}
	return b
}

// Path copies the fixture testdata/name into a fresh t.TempDir() under the
// same name and returns the copy's absolute path, failing t if there is no
// such fixture. Tests may read, modify or resume the copy; the fixture
// itself stays untouched, and the path works from any package's tests.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, Bytes(t, name), 0o644); err != nil {
		t.Fatalf("testtables: %v", err)
	}
	return p
}

// NViTSyntheticLUT returns the bytes of the synthetic table (a copy: callers
// may modify it).
func NViTSyntheticLUT() []byte {
	b, err := testdata.ReadFile("testdata/" + NViTSynthetic)
	if err != nil {
		panic("testtables: the synthetic table is not embedded: " + err.Error())
	}
	return b
}
