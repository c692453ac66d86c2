package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Every bad input the commands that read tables and write files handle:
// one line on stderr (golden testdata/bad-*.stderr), the right exit code.
// Fixtures in testdata/tables: dup.csv measures two configurations twice;
// zero.jsonl has a 0 ms row not flagged noisy, noisy-zero.jsonl one that is
// (a clipped difference, kept); absurd.csv 1e300 ms, fast.jsonl 1e12 MACs in
// 1 ns, nan.csv NaN; random.bin random bytes; empty.csv and blank.jsonl hold
// nothing; ragged.csv, badcol.csv and badline.jsonl are the wrong shape;
// old-model.json, model.json and rule.json stand for earlier outputs.
func TestGoldenBadInput(t *testing.T) {
	runGolden(t, []goldenCase{
		{"bad-dup-fit", "fit --table dup.csv --tokens 197 --out dup-model.json", exitOK},
		{"bad-dup-eval", "eval --table dup.csv --tokens 197 --folds 2", exitOK},
		{"bad-zero", "fit --table zero.jsonl --out m.json", exitFailure},
		{"bad-noisy-zero-kept", "export --table noisy-zero.jsonl --format csv --out -", exitOK},
		{"bad-absurd", "eval --table absurd.csv --tokens 197", exitFailure},
		{"bad-too-fast", "fit --table fast.jsonl --out m.json", exitFailure},
		{"bad-nan", "predict --table nan.csv --tokens 197 --preset deit-s", exitFailure},
		{"bad-random-bytes", "fit --table random.bin --out m.json", exitFailure},
		{"bad-arch-file-as-table", "eval --table mini-64.json", exitFailure},
		{"bad-empty-csv", "fit --table empty.csv --out m.json", exitFailure},
		{"bad-blank-jsonl", "eval --table blank.jsonl", exitFailure},
		{"bad-ragged-csv", "fit --table ragged.csv --tokens 197 --out m.json", exitFailure},
		{"bad-unknown-column", "fit --table badcol.csv --tokens 197 --out m.json", exitFailure},
		{"bad-line", "eval --table badline.jsonl", exitFailure},
		{"bad-missing-table", "fit --table none.jsonl --out m.json", exitFailure},
		{"bad-missing-model", "predict --model none.json --preset deit-b-distilled", exitFailure},
		{"bad-missing-replicate", "eval --table tiny_lut.json --folds 2 --replicate none.jsonl", exitFailure},

		{"bad-fit-existing", "fit --table tiny_lut.json --kind nvit-interp --out old-model.json", exitFailure},
		{"bad-fit-force", "fit --table tiny_lut.json --kind nvit-interp --out old-model.json --force", exitOK},
		{"bad-fit-directory", "fit --table tiny_lut.json --kind nvit-interp --out . --force", exitFailure},
		{"bad-fit-no-directory", "fit --table tiny_lut.json --kind nvit-interp --out nodir/m.json", exitFailure},
		{"bad-export-over-its-table", "export --table tiny_lut.json --format csv --out tiny_lut.json", exitFailure},
		{"bad-export-under-a-file", "export --table tiny_lut.json --format csv --out tiny_lut.json/x.csv", exitFailure},
		{"bad-eval-csv-existing", "eval --table tiny_lut.json --folds 2 --csv mlp.csv", exitFailure},
		{"bad-merge-existing", "merge --out cut.jsonl zero.jsonl", exitFailure},
		{"bad-merge-bad-table", "merge --out m.jsonl noisy-zero.jsonl zero.jsonl", exitFailure},
		{"bad-merge-csv", "merge --out m.jsonl mlp.csv", exitFailure},
		{"bad-merge-missing", "merge --out m.jsonl none.jsonl", exitFailure},
		{"bad-train-existing", "train --out . --steps 1", exitFailure},
		{"bad-trends-existing", "trends --out . --formats png mini-64-pruned.json", exitFailure},
		{"bad-sweep-no-directory", "sweep --device cpu --preset quick --out nodir/t.jsonl --quiet", exitFailure},

		{"bad-arch-negative", "arch --arch neg-dim.json", exitFailure},
		{"bad-arch-zero-emb", "arch --arch zero-emb.json", exitFailure},
		{"bad-arch-ragged", "arch --arch ragged-dim.json", exitFailure},
		{"bad-arch-patch", "arch --arch patch.json", exitFailure},
	})
}

// prune-compare refuses an existing figure before reading the runs.
func TestPruneCompareRefusesAnExistingFigure(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.png"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err := filepath.Abs(filepath.Join("testdata", "prune-compare"))
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := nvitprofIn(t, dir, "prune-compare", "--out", "f.png", runs)
	if code != exitFailure || stderr != "nvitprof: f.png exists: give --force to replace it, or another --out\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
