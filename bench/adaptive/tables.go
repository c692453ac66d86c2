package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
	"github.com/nvitprof/nvitprof/profiler"
)

// benchTable is a full table to replay and how to sweep it adaptively.
type benchTable struct {
	name, path string
	about      string
	table      tablefmt.Table
	adaptive   profiler.AdaptiveOptions
	// prior is a table of another device on the same grid, whose model the
	// adaptive sweep may start from ("" for none).
	prior, priorName string
}

// benchTables are the tables at hand: the synthetic NViT table and the
// quick CPU table of internal/testtables (run from the repository root),
// NViT's V100 table and the DeiT-geometry CPU table when their files exist.
func benchTables(nvitPath, deitPath string) ([]benchTable, error) {
	fixtures := filepath.Join("internal", "testtables", "testdata")
	synth := filepath.Join(fixtures, testtables.NViTSynthetic)
	quick := filepath.Join(fixtures, testtables.QuickCPU)
	nvitTarget := profiler.AdaptiveOptions{AccuracyPct: 5, Budget: 190}
	all := []benchTable{
		{name: "nvit-v100", path: nvitPath, about: "NViT's V100 table (PyTorch, batch 256), 9,375 whole blocks", adaptive: nvitTarget,
			prior: synth, priorName: "synthetic"},
		{name: "synthetic", path: synth, about: "the synthetic table in NViT's schema and grid (internal/testtables), 9,375 whole blocks", adaptive: nvitTarget,
			prior: nvitPath, priorName: "nvit-v100"},
		{name: "quick-cpu", path: quick, about: "the quick preset on the CPU (internal/testtables, recorded on a busy machine), decomposed"},
		{name: "deit-cpu", path: deitPath, about: "DeiT geometry at batch 1 on the CPU, EMB 192 and 384, decomposed"},
	}
	var out []benchTable
	for _, bt := range all {
		o, err := tablefmt.Open(bt.path, tablefmt.OpenOptions{})
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		bt.table = o.Table
		if bt.prior != "" {
			if _, err := os.Stat(bt.prior); err != nil {
				bt.prior = ""
			}
		}
		out = append(out, bt)
	}
	return out, nil
}
