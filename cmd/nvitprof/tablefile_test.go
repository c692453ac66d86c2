package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Only NViT's released file is labelled with NViT's V100 header: the same
// grid with one latency changed (as a table of another device exported with
// --format nvit-lut would be) says its device is unknown, and takes its
// tokens and batch from the flags.
func TestLUTHeaderOnlyForNViTsFile(t *testing.T) {
	nvit, err := os.ReadFile(nvitV100)
	if err != nil {
		t.Skipf("NViT's table is not here (%s): the project's workspace has it, a clone does not", nvitV100)
	}
	first := []byte(`"MLP_1": 0.0066716670989990234`)
	if !bytes.Contains(nvit, first) {
		t.Fatalf("%s does not start as NViT's table does", nvitV100)
	}
	other := bytes.Replace(nvit, first, []byte(`"MLP_1": 0.0061`), 1)
	if l, err := tablefmt.ReadLUT(bytes.NewReader(other), "other.json"); err != nil {
		t.Fatal(err)
	} else if g, full := l.Grid(); !full || !reflect.DeepEqual(g, tablefmt.NViTGrid()) {
		t.Fatalf("the changed file is not on NViT's grid: %+v", g)
	}

	// Through the command line: the header a fitted model records.
	otherPath := writeFile(t, "latency_head.json", string(other))
	for path, want := range map[string]string{nvitV100: "Tesla V100", otherPath: ""} {
		model := filepath.Join(t.TempDir(), "m.json")
		run1(t, "fit", "--table", path, "--kind", "nvit-interp", "--out", model)
		m, err := costmodel.LoadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header().DeviceName; got != want {
			t.Errorf("fit --table %s: device %q, want %q", path, got, want)
		}
	}

	h, err := lutHeader(nvit, nvitV100, 0, 0)
	if err != nil || !reflect.DeepEqual(h, tablefmt.NViTV100Header()) {
		t.Errorf("NViT's file: %+v (%v), want NViT's V100 header", h, err)
	}
	if _, err := lutHeader(nvit, nvitV100, 0, 64); err == nil {
		t.Error("NViT's file with --batch 64: no error")
	}

	for _, tc := range []struct {
		name                  string
		tokens, batch         int
		wantTokens, wantBatch int
		wantImage             int
	}{
		{"no flags", 0, 0, 198, 0, 224},
		{"tokens and batch", 197, 64, 197, 64, 0},
	} {
		h, err := lutHeader(other, "other.json", tc.tokens, tc.batch)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if h.DeviceKind != "" || h.DeviceName != "" || h.Runtime != "" || h.Source != "other.json" ||
			!strings.Contains(strings.Join(h.Notes, "; "), "device, runtime and dtype unknown") {
			t.Errorf("%s: %+v, want a header with the device unknown", tc.name, h)
		}
		if h.Tokens != tc.wantTokens || h.Batch != tc.wantBatch || h.Image != tc.wantImage {
			t.Errorf("%s: tokens %d batch %d image %d, want %d, %d, %d", tc.name, h.Tokens, h.Batch, h.Image,
				tc.wantTokens, tc.wantBatch, tc.wantImage)
		}
	}
}
