//go:build ignore

// gen writes testdata/nvit_synthetic_latency_head.json, the synthetic NViT
// latency table: NViTSyntheticEntries written by tablefmt.LUT.WriteTo, which
// writes what Python's json.dump writes for the same nested dicts. Run it in
// this directory: go generate (or go run gen.go).
package main

import (
	"bytes"
	"log"
	"os"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func main() {
	var l tablefmt.LUT
	for _, e := range testtables.NViTSyntheticEntries() {
		l.Entries = append(l.Entries, tablefmt.LUTEntry{
			EMB:     e.EMB,
			Block:   arch.Block{Heads: e.Heads, QK: e.QK, V: e.V, MLP: e.MLP},
			Seconds: e.Seconds,
		})
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("testdata/"+testtables.NViTSynthetic, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
