package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/pruner"
)

// imageFolder writes a two-class folder of 8×8 grey PNGs: bright top half
// ("top") or bright bottom half ("bottom").
func imageFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for class, top := range map[string]bool{"top": true, "bottom": false} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range 30 {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for y := range 8 {
				for x := range 8 {
					v := uint8((x*37 + y*11 + i*23) % 90)
					if (y < 4) == top {
						v += 150
					}
					img.SetGray(x, y, color.Gray{v})
				}
			}
			f, err := os.Create(filepath.Join(dir, class, filepath.Base(class)+string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, img)
			f.Close()
		}
	}
	return dir
}

// cpuTable writes a synthetic latency table (latency following MACs) for
// 8×8 images with 4×4 patches (5 tokens) over embs.
func cpuTable(t *testing.T, embs []int) string {
	t.Helper()
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "cpu", DeviceKind: "cpu", Runtime: "gomlx", Backend: "go",
		DType: "float32", Batch: 4, Tokens: 5, Image: 8, Patch: 4, Channels: 1, Classes: 2,
		Method: tablefmt.Method{Name: "differential", Depths: []int{1, 3}, Warmup: 1, Samples: 5, NoiseThreshold: 0.05},
		Time:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "cpu.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := tablefmt.NewWriter(f, h, tablefmt.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	add := func(r tablefmt.Row) {
		r, err := h.WithCounts(r)
		if err != nil {
			t.Fatal(err)
		}
		r.MedianMS, r.Samples = 0.01+float64(r.MACs)*1e-6, 5
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range embs {
		for _, hd := range []int{1, 2} {
			for _, qk := range []int{1, 2, 4} {
				for _, v := range []int{1, 2, 4} {
					add(tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: hd, QK: qk, V: v})
				}
			}
		}
		for _, m := range []int{2, 4, 8} {
			add(tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m})
		}
		add(tablefmt.Row{Kind: tablefmt.KindRest, EMB: e})
	}
	return path
}

var tinyModelFlags = []string{"--image", "8", "--patch", "4", "--channels", "1", "--classes", "2",
	"--emb", "8", "--depth", "2", "--heads", "2", "--qk", "4", "--v", "4", "--mlp", "8"}

// TestTrainThenPrune runs train and prune through the CLI on a tiny model
// and an image folder, checks the outputs, interrupts nothing but reruns
// with --resume (a finished run is kept), and checks bad inputs.
func TestTrainThenPrune(t *testing.T) {
	data := "folder:" + imageFolder(t)
	model := filepath.Join(t.TempDir(), "m")
	args := append([]string{"train", "--data", data, "--steps", "30", "--train-batch", "8", "--out", model, "-q"}, tinyModelFlags...)
	out, errOut, code := nvitprof(t, args...)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "test top-1") {
		t.Errorf("train output %q", out)
	}
	table := cpuTable(t, []int{4, 8})
	runs := t.TempDir()
	pruned := filepath.Join(runs, "p")
	pargs := []string{"prune", "--weights", filepath.Join(model, "model.safetensors"), "--table", table, "--data", data,
		"--target", "0.6", "--steps", "2", "--finetune-steps", "3", "--final-steps", "3", "--train-batch", "8", "--saliency-batches", "2", "--out", pruned}
	out, errOut, code = nvitprof(t, pargs...)
	if code != 0 {
		t.Fatalf("prune: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "% of dense") || !strings.Contains(errOut, "step 2/2") {
		t.Errorf("prune output %q, progress %q", out, errOut)
	}
	logs, err := pruner.ReadLog(filepath.Join(pruned, pruner.LogFile))
	if err != nil || len(logs) != 3 || logs[2].Relative > 0.6 {
		t.Fatalf("log: %+v, %v", logs, err)
	}
	if img, err := os.ReadFile(filepath.Join(pruned, "trajectory.png")); err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Errorf("trajectory figure: %v", err)
	}
	if _, err := os.Stat(filepath.Join(pruned, pruner.PrunedArch)); err != nil {
		t.Error(err)
	}
	// The pruned model loads with its own architecture file.
	if _, err := loadWeights(filepath.Join(pruned, pruner.PrunedWeights), filepath.Join(pruned, pruner.PrunedArch)); err != nil {
		t.Error(err)
	}
	_, errOut, code = nvitprof(t, append(pargs, "--resume")...)
	if code != 0 {
		t.Errorf("resume of a finished run: exit %d: %s", code, errOut)
	}

	// The latency-blind run beside it, and the two compared.
	blind := filepath.Join(runs, "blind")
	bargs := append(slices.Clone(pargs[:len(pargs)-2]), "--eta", "0", "--out", blind, "-q")
	if _, errOut, code := nvitprof(t, bargs...); code != 0 {
		t.Fatalf("blind prune: exit %d: %s", code, errOut)
	}
	checkPruneCompare(t, runs, pruned, blind)

	w := filepath.Join(model, "model.safetensors")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"target above 1", []string{"prune", "--weights", w, "--table", table, "--target", "1.5", "--out", t.TempDir()}, exitUsage, "--target"},
		{"no weights", []string{"prune", "--table", table, "--out", t.TempDir()}, exitUsage, "--weights"},
		{"no table", []string{"prune", "--weights", w, "--out", t.TempDir()}, exitUsage, "--table"},
		{"unreachable", []string{"prune", "--weights", w, "--table", table, "--data", data, "--target", "0.01", "--out", t.TempDir()}, exitFailure, "below what pruning can reach"},
		{"weights of another arch", []string{"prune", "--weights", filepath.Join(pruned, pruner.PrunedWeights), "--arch", filepath.Join(model, "model.json"),
			"--table", table, "--out", t.TempDir()}, exitFailure, "do not match the architecture"},
		{"table of another EMB range", []string{"prune", "--weights", w, "--table", cpuTable(t, []int{256, 512}), "--data", data, "--out", t.TempDir()}, exitFailure, "cost model"},
		{"bad groups", []string{"prune", "--weights", w, "--table", table, "--groups", "emb=2", "--out", t.TempDir()}, exitUsage, "--groups"},
		{"rerun without resume", nil, exitFailure, "--resume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.name == "rerun without resume" {
				args = pargs
			}
			_, errOut, code := nvitprof(t, args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut, tc.want)
			}
		})
	}
}

// checkPruneCompare runs prune-compare on the folder holding a run with
// NViT's score (aware) and a latency-blind one (blind) of the same dense
// model, table, target and seed: one setting, one pair, whose difference
// must be the two logs' final top-1 apart.
func checkPruneCompare(t *testing.T, folder, aware, blind string) {
	t.Helper()
	final := func(dir string) pruner.StepLog {
		logs, err := pruner.ReadLog(filepath.Join(dir, pruner.LogFile))
		if err != nil || len(logs) == 0 {
			t.Fatalf("%s: %v", dir, err)
		}
		return logs[len(logs)-1]
	}
	want := 100 * (final(aware).Accuracy - final(blind).Accuracy)
	fig := filepath.Join(t.TempDir(), "compare.png")
	out, errOut, code := nvitprof(t, "prune-compare", "--format", "json", "--out", fig, folder)
	if code != 0 {
		t.Fatalf("prune-compare: exit %d: %s", code, errOut)
	}
	var got struct {
		Settings []struct {
			Runs   []struct{ Method string }
			Paired []struct {
				Method string
				Diffs  []float64
				SE     *float64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Settings) != 1 || len(got.Settings[0].Runs) != 2 || len(got.Settings[0].Paired) != 1 {
		t.Fatalf("prune-compare: %s", out)
	}
	p := got.Settings[0].Paired[0]
	if p.Method != "NViT score, eta 1" || len(p.Diffs) != 1 || math.Abs(p.Diffs[0]-want) > 1e-9 || p.SE != nil {
		t.Errorf("pair %+v, want NViT score, eta 1 at %+.4f points with no standard error (one seed)", p, want)
	}
	if img, err := os.ReadFile(fig); err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Errorf("comparison figure: %v", err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"prune-compare"}, exitUsage, "run directories"},
		{[]string{"prune-compare", folder, "--out", fig}, exitUsage, "flags go first"},
		{[]string{"prune-compare", t.TempDir()}, exitFailure, "neither a pruning run"},
		{[]string{"prune-compare", "--out", filepath.Join(t.TempDir(), "f.gif"), folder}, exitUsage, "--out"},
	} {
		_, errOut, code := nvitprof(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errOut, tc.want)
		}
	}
}
