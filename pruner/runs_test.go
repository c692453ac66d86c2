package pruner

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// writeRun writes a finished (or, with final false, an interrupted) run
// directory as Run leaves it: run.json, and log.jsonl's dense line and last line.
func writeRun(t *testing.T, dir string, cfg runConfig, denseAcc, acc float64, final bool) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, RunFile), cfg); err != nil {
		t.Fatal(err)
	}
	line := func(l StepLog) string {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	log := line(StepLog{Step: 0, Dim: cfg.Dense, PredictedMS: cfg.DenseMS, Relative: 1, Accuracy: denseAcc}) +
		line(StepLog{Step: cfg.Steps, Final: final, Dim: cfg.Dense, PredictedMS: cfg.Target * cfg.DenseMS, Relative: cfg.Target, Accuracy: acc})
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCompareHandComputed: three seeds each of the knapsack and the blind
// run, top-1 97.20 / 97.05 / 97.00% against 97.00 / 97.10 / 96.90%: paired
// differences +0.20, −0.05, +0.10 points, mean 0.25/3 = 0.08333, sample
// standard deviation √(0.031667/2) = 0.125831, standard error 0.072648, two
// of three not worse. A knapsack run without a blind partner, a run at
// another target and an unfinished run stay out of the pairs.
func TestCompareHandComputed(t *testing.T) {
	dense := arch.Dim{EMB: 64, Head: []int{4}, QK: []int{16}, V: []int{16}, MLP: []int{128}}
	base := runConfig{Target: 0.5, Steps: 5, Selection: "greedy", Dense: dense, DenseMS: 33.7, Model: "hw test"}
	root := t.TempDir()
	var dirs []string
	add := func(name string, sel string, eta float64, seed uint64, target, acc float64, final bool) {
		cfg := base
		cfg.Selection, cfg.Eta, cfg.Seed, cfg.Target = sel, eta, seed, target
		dirs = append(dirs, writeRun(t, filepath.Join(root, name), cfg, 0.9704, acc, final))
	}
	for i, a := range []float64{0.9720, 0.9705, 0.9700} {
		add(fmt.Sprintf("k%d", i+1), "knapsack", 0, uint64(i+1), 0.5, a, true)
	}
	for i, a := range []float64{0.9700, 0.9710, 0.9690} {
		add(fmt.Sprintf("b%d", i+1), "greedy", 0, uint64(i+1), 0.5, a, true)
	}
	add("k4", "knapsack", 0, 4, 0.5, 0.99, true)    // no blind partner
	add("g1", "greedy", 1, 1, 0.5, 0.9600, true)    // NViT's score
	add("q1", "knapsack", 0, 1, 0.25, 0.9600, true) // another target
	add("u1", "greedy", 0, 5, 0.5, 0.5, false)      // interrupted

	var runs []RunSummary
	for _, d := range dirs {
		r, err := ReadRun(d)
		if errors.Is(err, ErrUnfinished) {
			if filepath.Base(d) != "u1" {
				t.Errorf("%s: %v", d, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	if len(runs) != 9 {
		t.Fatalf("%d finished runs, want 9", len(runs))
	}
	cs, err := Compare(runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Setting.Target != 0.5 || cs[1].Setting.Target != 0.25 {
		t.Fatalf("settings %+v, want targets 0.5 then 0.25", cs)
	}
	c := cs[0]
	if got, want := c.MethodNames(), []string{"NViT score, eta 1", "knapsack", BlindMethod}; !slices.Equal(got, want) {
		t.Errorf("methods %q, want %q", got, want)
	}
	var k *PairedDiff
	for i := range c.Paired {
		if c.Paired[i].Method == "knapsack" {
			k = &c.Paired[i]
		}
	}
	if k == nil {
		t.Fatalf("no knapsack pairs in %+v", c.Paired)
	}
	if !slices.Equal(k.Seeds, []uint64{1, 2, 3}) || k.NotWorse != 2 ||
		math.Abs(k.Mean-0.083333) > 1e-4 || math.Abs(k.SE-0.072648) > 1e-4 {
		t.Errorf("knapsack − blind: %+v; want seeds 1–3, mean 0.08333, s.e. 0.07265, 2 not worse", *k)
	}
	for i, want := range []float64{0.20, -0.05, 0.10} {
		if math.Abs(k.Diffs[i]-want) > 1e-9 {
			t.Errorf("seed %d: %+.4f, want %+.2f", i+1, k.Diffs[i], want)
		}
	}
	if len(cs[1].Paired) != 0 {
		t.Errorf("target 0.25 has no blind run, but pairs %+v", cs[1].Paired)
	}

	// Pooled with a second dense model's pairs (+0.30 and −0.10 at 0.5):
	// five differences +0.20 −0.05 +0.10 +0.30 −0.10, mean 0.09, squared
	// deviations 0.0121 + 0.0196 + 0.0001 + 0.0441 + 0.0361 = 0.112, sample
	// standard deviation √(0.112/4) = 0.167332, standard error /√5 = 0.074833.
	other := base
	other.DenseMS = 30
	for i, a := range [][2]float64{{0.9730, 0.9700}, {0.9690, 0.9700}} {
		seed := uint64(i + 1)
		for j, sel := range []string{"knapsack", "greedy"} {
			cfg := other
			cfg.Selection, cfg.Seed = sel, seed
			r, err := ReadRun(writeRun(t, filepath.Join(root, fmt.Sprintf("o%d-%s", seed, sel)), cfg, 0.97, a[j], true))
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
	}
	cs, err = Compare(runs)
	if err != nil {
		t.Fatal(err)
	}
	var pooled *Pooled
	for _, p := range Pool(cs) {
		if p.Target == 0.5 && p.Method == "knapsack" {
			pooled = &p
		}
	}
	if pooled == nil || pooled.Settings != 2 || len(pooled.Diffs) != 5 || pooled.NotWorse != 3 ||
		math.Abs(pooled.Mean-0.09) > 1e-6 || math.Abs(pooled.SE-0.074833) > 1e-5 {
		t.Errorf("pooled knapsack at 0.5: %+v; want 2 settings, 5 pairs, mean 0.09, s.e. 0.07483, 3 not worse", pooled)
	}

	// Two blind runs of one seed in one setting: ambiguous.
	dup := append(slices.Clone(runs), runs[3])
	dup[len(dup)-1].Dir = "copy"
	if _, err := Compare(dup); err == nil {
		t.Error("two blind runs of seed 1 were paired without complaint")
	}
	// Not a run directory.
	if _, err := ReadRun(root); err == nil || errors.Is(err, ErrUnfinished) {
		t.Errorf("ReadRun of a folder without run.json: %v", err)
	}
}

// FuzzParseLog: any bytes either parse or fail with an error; what parses
// is a prefix of whole lines (a torn last line left out) that parses again
// to the same steps.
func FuzzParseLog(f *testing.F) {
	f.Add([]byte(`{"step":0,"dim":{"EMB":8,"head":[2],"QK":[4],"V":[4],"MLP":[8]},"predicted_ms":1,"relative":1,"accuracy":0.5}` + "\n" +
		`{"step":1,"final":true,"predicted_ms":0.5,"relative":0.5}` + "\n"))
	f.Add([]byte(`{"step":0}` + "\n" + `{"step":1,"fin`))
	f.Add([]byte("not json\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		logs, keep, err := parseLog(data, "log.jsonl")
		if err != nil {
			return
		}
		if keep < 0 || keep > len(data) || (keep > 0 && keep < len(data) && data[keep-1] != '\n') {
			t.Fatalf("keep %d of %d bytes is not a whole-line prefix", keep, len(data))
		}
		again, keep2, err := parseLog(data[:keep], "log.jsonl")
		if err != nil || keep2 != keep || len(again) != len(logs) {
			t.Fatalf("the kept prefix parses to %d steps (%v), the whole to %d", len(again), err, len(logs))
		}
	})
}
