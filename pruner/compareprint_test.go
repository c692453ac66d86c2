package pruner

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// TestReadRuns: a folder's finished runs are read, its unfinished ones
// skipped, and a folder without runs refused.
func TestReadRuns(t *testing.T) {
	cfg := runConfig{Target: 0.5, Steps: 5, Selection: "greedy", Dense: arch.Dim{EMB: 8}, DenseMS: 1}
	root := t.TempDir()
	done := writeRun(t, filepath.Join(root, "done"), cfg, 0.9, 0.8, true)
	cut := writeRun(t, filepath.Join(root, "cut"), cfg, 0.9, 0.7, false)
	runs, skipped, err := ReadRuns([]string{root, done})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Dir != done || runs[1].Dir != done || len(skipped) != 1 || skipped[0] != cut {
		t.Errorf("runs %+v, skipped %q; want %s twice, %s skipped", runs, skipped, done, cut)
	}
	empty := t.TempDir()
	if _, _, err := ReadRuns([]string{empty}); err == nil || !strings.Contains(err.Error(), "neither a pruning run") {
		t.Errorf("a folder without runs: %v", err)
	}
	if _, _, err := ReadRuns([]string{filepath.Join(root, "none")}); err == nil {
		t.Error("a missing path was read")
	}
}

// comparedRuns are two settings at target 0.5 (dense predicted at 33.7 and
// 30 ms). The first has knapsack runs at 97.20 and 97.00% (seeds 1, 2) and
// blind runs at 96.90 and 97.10%: differences +0.30 and −0.10, mean +0.10,
// sample standard deviation 0.40/√2, standard error 0.40/2 = 0.20, one of
// two not worse. The second has one pair, 97.30 against 97.00%: +0.30.
// Pooled: +0.30, −0.10, +0.30, mean 0.5/3 = 0.1667, squared deviations
// 0.01778 + 0.07111 + 0.01778 = 0.10667, standard deviation √(0.10667/2) =
// 0.23094, standard error /√3 = 0.1333, two of three not worse.
func comparedRuns(t *testing.T) []Comparison {
	t.Helper()
	dense := arch.Dim{EMB: 64, Head: []int{4}, QK: []int{16}, V: []int{16}, MLP: []int{128}}
	run := func(denseMS float64, sel string, seed uint64, acc float64, params int64) RunSummary {
		return RunSummary{Dir: sel, Target: 0.5, Selection: sel, Seed: seed, Dense: dense, DenseMS: denseMS, Model: "hw test",
			DenseAcc: 0.9704, Final: StepLog{Accuracy: acc, Relative: 0.49, PredictedMS: 0.49 * denseMS, Params: params, Dim: dense}}
	}
	cs, err := Compare([]RunSummary{
		run(33.7, "knapsack", 1, 0.9720, 1000), run(33.7, "knapsack", 2, 0.9700, 2000),
		run(33.7, "greedy", 1, 0.9690, 3000), run(33.7, "greedy", 2, 0.9710, 3000),
		run(30, "knapsack", 1, 0.9730, 1000), run(30, "greedy", 1, 0.9700, 1000),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestWriteComparisons(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparisons(&buf, comparedRuns(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"target 0.5 × dense; dense EMB 64 head [4] QK [16] V [16] MLP [128], predicted 33.7 ms, top-1 97.04%; cost model hw test\n",
		"  knapsack − eta 0, paired over 2 seeds: +0.100 ± 0.200 points (standard error); not worse in 1 of 2; per seed +0.30 -0.10\n",
		"  knapsack − eta 0, paired over 1 seeds: +0.300 n/a with one seed points (standard error); not worse in 1 of 1; per seed +0.30\n",
		"\npooled over the 2 settings at target 0.5: knapsack − eta 0, 3 pairs: +0.167 ± 0.133 points (standard error); not worse in 2 of 3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The table rows, column by column: runs, top-1 by seed, mean, predicted
	// range, mean params.
	rows := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{
		"method runs top-1 % by seed mean predicted, % of dense params (mean)",
		"knapsack 2 1: 97.20 2: 97.00 97.10 49.0–49.0 1500",
		"eta 0 2 1: 96.90 2: 97.10 97.00 49.0–49.0 3000",
	} {
		if !rows[want] {
			t.Errorf("no row %q in\n%s", want, out)
		}
	}
}

func TestWriteComparisonsJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteComparisonsJSON(&buf, comparedRuns(t)); err != nil {
		t.Fatal(err)
	}
	var got comparisonsJSON
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, buf.String())
	}
	if len(got.Settings) != 2 || len(got.Settings[0].Runs) != 4 || len(got.Settings[0].Paired) != 1 || len(got.Pooled) != 1 {
		t.Fatalf("shape:\n%s", buf.String())
	}
	first, second, pooled := got.Settings[0].Paired[0], got.Settings[1].Paired[0], got.Pooled[0]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-4 }
	if first.SE == nil || !near(*first.SE, 0.2) || !near(first.Mean, 0.1) || second.SE != nil ||
		!near(pooled.Mean, 0.16667) || pooled.SE == nil || !near(*pooled.SE, 0.13333) || pooled.Settings != 2 ||
		!near(got.Settings[0].Runs[0].Top1, 97.2) || !near(got.Settings[0].DenseTop, 97.04) {
		t.Errorf("values:\n%s", buf.String())
	}
}
