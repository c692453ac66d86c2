// Command adaptive compares how sweeps sample a latency grid: it replays
// full tables (nvitprof sweep --device replay:TABLE) and measures, per
// strategy, how many configurations were measured against how well the
// cost model fitted to them predicts every configuration of the table.
//
// Strategies: the full grid (its own 5-fold cross-validation, the held-out
// accuracy of fitting everything); random samples of the grid and of the
// adaptive sweep's candidates (a cross of attention and MLP for tables of
// whole blocks), fitted as the adaptive sweep fits; the adaptive sweep
// (profiler.AdaptiveOptions), one point per round; and the adaptive sweep
// started from a prior table where one applies.
//
// Usage, from the repository root:
//
//	go run ./bench/adaptive -md bench/results/adaptive-2026-12.md -png bench/results/adaptive-2026-12
//
// Tables: the synthetic table in NViT's schema (internal/testtables), NViT's
// V100 table when it is at -nvit (not part of the repository: skipped
// without it), the recorded CPU tables of internal/testtables (quick) and
// the CPU table at -deit (DeiT geometry, batch 1).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/nvitprof/nvitprof/internal/atomicfile"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("adaptive: ")
	var (
		nvit   = flag.String("nvit", "../shared/data/nvit_latency_head_v100.json", "NViT's V100 latency_head.json (skipped when absent)")
		deit   = flag.String("deit", "bench/results/cpu-deit-grid-2026-12.jsonl", "a CPU table at DeiT geometry (skipped when absent)")
		only   = flag.String("tables", "", "comma-separated table names to run (default: all found)")
		seeds  = flag.Int("seeds", 5, "random samples per size")
		mdPath = flag.String("md", "", "write the results as Markdown to this file (default: stdout)")
		png    = flag.String("png", "", "write one figure per table to PREFIX-NAME.png")
		trace  = flag.Bool("v", false, "print each adaptive round")
	)
	flag.Parse()
	tables, err := benchTables(*nvit, *deit)
	if err != nil {
		log.Fatal(err)
	}
	var results []tableResult
	for _, bt := range tables {
		if *only != "" && !contains(strings.Split(*only, ","), bt.name) {
			continue
		}
		log.Printf("%s: %s", bt.name, bt.path)
		r, err := runTable(bt, *seeds, *trace)
		if err != nil {
			log.Fatalf("%s: %v", bt.name, err)
		}
		results = append(results, r)
		if *png != "" {
			if err := writeFigure(fmt.Sprintf("%s-%s.png", *png, bt.name), r); err != nil {
				log.Fatal(err)
			}
		}
	}
	write := func(w io.Writer) error { return writeMarkdown(w, results, os.Args[1:]) }
	if *mdPath != "" {
		err = atomicfile.WriteFile(*mdPath, write)
	} else {
		err = write(os.Stdout)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
