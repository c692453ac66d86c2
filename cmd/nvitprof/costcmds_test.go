package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run1 runs nvitprof and fails the test on a non-zero exit.
func run1(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := nvitprof(t, args...)
	if code != 0 {
		t.Fatalf("nvitprof %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// The cost-model commands on hand-made tables (testdata) and the fixtures
// of package testtables: a synthetic table in NViT's LUT format
// (nvit_synthetic_latency_head.json), a quick CPU sweep (quick-cpu.jsonl,
// with the passes it combined) and a few DeiT points (deit-cpu.jsonl).
// tiny_lut.json holds DeiT-B's block (12.3 ms) and one with V 32 (11 ms):
// v32.json, twelve of the latter, predicts 132 ms, 1.118× faster than
// DeiT-B-distilled's 147.6 ms.
func TestGoldenCostCommands(t *testing.T) {
	runGolden(t, []goldenCase{
		{"arch-deit-t", "arch --preset deit-t", exitOK},
		{"arch-deit-b-json", "arch --preset deit-b --format json", exitOK},
		{"arch-file", "arch --arch mini-64-pruned.json", exitOK},
		{"arch-bad-format", "arch --preset deit-t --format xml", exitUsage},
		{"arch-unknown-preset", "arch --preset deit-xl", exitUsage},
		{"arch-missing-file", "arch --arch none.json", exitFailure},

		{"predict-lut", "predict --table tiny_lut.json --preset deit-b-distilled", exitOK},
		{"predict-lut-ref-json", "predict --table tiny_lut.json --arch v32.json --ref deit-b-distilled --format json", exitOK},
		{"predict-lut-interp-ref", "predict --table tiny_lut.json --kind nvit-interp --arch v32.json --ref deit-b-distilled", exitOK},
		{"predict-synthetic", "predict --table nvit_synthetic_latency_head.json --preset deit-s-distilled --ref deit-b-distilled", exitOK},
		{"predict-quick", "predict --table quick-cpu.jsonl --arch mini-64-pruned.json --ref mini-64.json", exitOK},
		{"predict-no-model", "predict --preset deit-b-distilled", exitUsage},
		{"predict-table-and-model", "predict --table tiny_lut.json --model tiny_lut.json --preset deit-b-distilled", exitUsage},
		{"predict-kind-with-model", "predict --model tiny_lut.json --kind hw --preset deit-b-distilled", exitUsage},
		{"predict-not-a-model-file", "predict --model tiny_lut.json --preset deit-b-distilled", exitFailure},
		{"predict-other-tokens", "predict --table tiny_lut.json --preset deit-b", exitFailure},
		{"predict-outside-grid", "predict --table tiny_lut.json --kind nvit-interp --preset deit-s-distilled", exitFailure},
		{"predict-bad-ref", "predict --table tiny_lut.json --preset deit-b-distilled --ref deit-xl", exitUsage},
		{"predict-ref-other-tokens", "predict --table tiny_lut.json --preset deit-b-distilled --ref deit-b", exitFailure},
		{"predict-negative-tokens", "predict --table tiny_lut.json --tokens -1 --preset deit-b-distilled", exitUsage},
		{"predict-bad-format", "predict --table tiny_lut.json --preset deit-b-distilled --format xml", exitUsage},

		{"eval-quick-interp", "eval --table quick-cpu.jsonl --kind nvit-interp", exitOK},
		{"eval-replicate", "eval --table quick-cpu.pass1.jsonl --replicate quick-cpu.pass2.jsonl --kind nvit-interp", exitOK},
		{"eval-deit", "eval --table deit-cpu.jsonl --folds 3", exitOK},
		{"eval-lut-json", "eval --table tiny_lut.json --format json --folds 2", exitOK},
		{"eval-bad-kind", "eval --table tiny_lut.json --kind magic", exitUsage},
		{"eval-bad-folds", "eval --table tiny_lut.json --folds 1", exitUsage},
		{"eval-bad-format", "eval --table tiny_lut.json --format xml", exitUsage},
		{"eval-csv-without-tokens", "eval --table mlp.csv", exitFailure},
		{"eval-replicate-other-setting", "eval --table quick-cpu.jsonl --replicate deit-cpu.jsonl", exitFailure},
		{"eval-empty", "eval --table empty.jsonl", exitFailure},
		{"eval-missing", "eval --table none.jsonl", exitFailure},

		{"export-lut-csv", "export --table tiny_lut.json --format csv --out -", exitOK},
		{"export-decomposed", "export --table decomposed.csv --format nvit-lut --out -", exitOK},
		{"export-cut-jsonl", "export --table cut.jsonl --format csv --out -", exitOK},
		{"export-format", "export --table tiny_lut.json --format xlsx --out x", exitUsage},
		{"export-no-out", "export --table tiny_lut.json --format csv", exitUsage},
		{"export-no-table", "export --format csv --out -", exitUsage},
		{"export-uncovered", "export --table mlp.csv --format nvit-lut --out -", exitFailure},

		{"fit-lut", "fit --table tiny_lut.json --kind nvit-interp --out m.json", exitOK},
		{"fit-csv-tokens", "fit --table mlp.csv --tokens 197 --out m2.json", exitOK},
		{"fit-no-out", "fit --table tiny_lut.json", exitUsage},
		{"fit-no-table", "fit --out x.json", exitUsage},
		{"fit-csv-without-tokens", "fit --table mlp.csv --out m3.json", exitFailure},

		{"merge-passes", "merge --out merged.jsonl quick-cpu.pass1.jsonl quick-cpu.pass2.jsonl", exitOK},
		{"merge-other-setting", "merge --out bad.jsonl quick-cpu.jsonl deit-cpu.jsonl", exitFailure},
		{"merge-existing", "merge --out quick-cpu.jsonl quick-cpu.pass1.jsonl", exitFailure},
		{"merge-no-tables", "merge --out x.jsonl", exitUsage},
		{"merge-cut", "merge --out cut-merged.jsonl cut.jsonl", exitOK},
	})
}

// A fitted model predicts as the table it was fitted to, and eval --csv
// writes a line per row.
func TestFitPredictAndEvalCSV(t *testing.T) {
	lut := testtables.Path(t, testtables.NViTSynthetic)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.json")
	run1(t, "fit", "--table", lut, "--kind", "nvit-interp", "--out", model)
	args := []string{"predict", "--preset", "deit-s-distilled", "--ref", "deit-b-distilled", "--format", "json"}
	fromTable := run1(t, append(args, "--table", lut, "--kind", "nvit-interp")...)
	fromModel := run1(t, append(args, "--model", model)...)
	if fromTable != fromModel {
		t.Errorf("predictions differ:\n%s%s", fromTable, fromModel)
	}

	csvPath := filepath.Join(dir, "pred.csv")
	run1(t, "eval", "--table", testtables.Path(t, testtables.QuickCPU), "--kind", "nvit-interp", "--csv", csvPath)
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != 90 { // columns + 89 rows
		t.Errorf("predictions CSV has %d lines, want 90", n)
	}
}

// A merge of a table's passes holds every configuration; a refused merge
// writes nothing.
func TestMergeWritesOnlyWhatItMerged(t *testing.T) {
	dir := t.TempDir()
	merged, refused := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "bad.jsonl")
	run1(t, "merge", "--out", merged, testtables.Path(t, "quick-cpu.pass1.jsonl"), testtables.Path(t, "quick-cpu.pass2.jsonl"))
	table, bad, err := tablefmt.ReadTable(merged)
	if err != nil || len(bad) > 0 || len(table.Rows) != 89 {
		t.Errorf("merged %d rows (%v, %v), want 89", len(table.Rows), bad, err)
	}
	if _, _, code := nvitprof(t, "merge", "--out", refused, testtables.Path(t, testtables.QuickCPU), testtables.Path(t, testtables.DeiTCPU)); code != exitFailure {
		t.Errorf("mismatched merge: exit %d", code)
	}
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Errorf("a refused merge wrote its output: %v", err)
	}
}
