package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/pruner"
)

// imageFolder writes a two-class folder of 8×8 grey PNGs into dir/img:
// bright top half ("top") or bright bottom half ("bottom").
func imageFolder(t *testing.T, dir string) string {
	t.Helper()
	dir = filepath.Join(dir, "img")
	for class, top := range map[string]bool{"top": true, "bottom": false} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
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
			f, err := os.Create(filepath.Join(dir, class, class+string(rune('a'+i))+".png"))
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
// 8×8 images with 4×4 patches (5 tokens) over embs into dir/name.
func cpuTable(t *testing.T, dir, name string, embs []int) string {
	t.Helper()
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "cpu", DeviceKind: "cpu", Runtime: "gomlx", Backend: "go",
		DType: "float32", Batch: 4, Tokens: 5, Image: 8, Patch: 4, Channels: 1, Classes: 2,
		Method: tablefmt.Method{Name: "differential", Depths: []int{1, 3}, Warmup: 1, Samples: 5, NoiseThreshold: 0.05},
		Time:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := filepath.Join(dir, name)
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

// TestTrainThenPrune trains and prunes a tiny model through the CLI, reruns
// the finished run with --resume, prunes latency-blind beside it and
// compares the two. What the files hold is pruner's to test.
func TestTrainThenPrune(t *testing.T) {
	dir := t.TempDir()
	data := "folder:" + imageFolder(t, dir)
	model := filepath.Join(dir, "m")
	out, errOut, code := nvitprof(t, append([]string{"train", "--data", data, "--steps", "30", "--train-batch", "8", "--out", model, "-q"}, tinyModelFlags...)...)
	if code != 0 || !strings.Contains(out, "test top-1") {
		t.Fatalf("train: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	runs := filepath.Join(dir, "runs")
	aware := filepath.Join(runs, "aware")
	pargs := []string{"prune", "--weights", filepath.Join(model, pruner.ModelWeights), "--table", cpuTable(t, dir, "cpu.jsonl", []int{4, 8}),
		"--data", data, "--target", "0.6", "--steps", "2", "--finetune-steps", "3", "--final-steps", "3", "--train-batch", "8", "--saliency-batches", "2"}
	out, errOut, code = nvitprof(t, append(pargs, "--out", aware)...)
	if code != 0 || !strings.Contains(out, "% of dense") || !strings.Contains(errOut, "prune: step 2/2") {
		t.Fatalf("prune: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, f := range []string{pruner.PrunedWeights, pruner.PrunedArch, pruner.LogFile, pruner.RunFile, "trajectory.png"} {
		if _, err := os.Stat(filepath.Join(aware, f)); err != nil {
			t.Error(err)
		}
	}
	if _, errOut, code := nvitprof(t, append(pargs, "--out", aware, "--resume")...); code != 0 || !strings.Contains(errOut, "resuming") {
		t.Errorf("resume of a finished run: exit %d: %s", code, errOut)
	}
	if _, errOut, code := nvitprof(t, append(pargs, "--eta", "0", "--out", filepath.Join(runs, "blind"), "-q")...); code != 0 || errOut != "" {
		t.Fatalf("blind prune: exit %d: %s", code, errOut)
	}
	fig := filepath.Join(dir, "compare.png")
	out, errOut, code = nvitprof(t, "prune-compare", "--format", "json", "--out", fig, runs)
	var got struct {
		Settings []struct{ Paired []struct{ Method string } }
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got.Settings) != 1 || len(got.Settings[0].Paired) != 1 {
		t.Fatalf("prune-compare: exit %d, %v: %s%s", code, err, out, errOut)
	}
	if img, err := os.ReadFile(fig); err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Errorf("comparison figure: %v", err)
	}
}

// TestPruneCompareGolden compares recorded runs (testdata/prune-compare:
// two seeds of the knapsack and of the blind run, one of NViT's score, one
// unfinished) as text and as JSON.
func TestPruneCompareGolden(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		out, errOut, code := nvitprof(t, "prune-compare", "--format", format, "testdata/prune-compare")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		checkGolden(t, "prune-compare."+format+".stdout", out)
		checkGolden(t, "prune-compare."+format+".stderr", errOut)
	}
}

// TestPruneErrors runs the pruning commands on bad input from a folder of
// tiny inputs (so that messages name relative paths) and compares what they
// print and their exit codes with testdata/prune-errors.golden.
func TestPruneErrors(t *testing.T) {
	dir := t.TempDir()
	tinyInputs(t, dir)
	var transcript strings.Builder
	t.Run("in the inputs' folder", func(t *testing.T) {
		t.Chdir(dir)
		pruneErrorTranscript(t, &transcript)
	})
	checkGolden(t, "prune-errors.golden", transcript.String())
}

// pruneErrorTranscript runs the commands of TestPruneErrors, writing each
// command line, exit code and output to transcript.
func pruneErrorTranscript(t *testing.T, transcript *strings.Builder) {
	prune := func(args ...string) []string { return append([]string{"prune", "--table", "cpu.jsonl"}, args...) }
	data := []string{"--weights", "m.safetensors", "--data", "folder:img", "--out", "o"}
	for _, args := range [][]string{
		{"prune", "--table", "cpu.jsonl", "--out", "o"},
		{"prune", "--weights", "m.safetensors", "--out", "o"},
		prune("--weights", "m.safetensors"),
		prune(append(data, "--target", "1.5")...),
		prune(append(data, "--groups", "emb=2")...),
		prune(append(data, "--groups", "emb=1,heads=1,qk=1,v=1,ffn=1")...),
		prune("--weights", "m.safetensors", "--data", "bogus", "--out", "o"),
		prune("--weights", "m.safetensors", "--data", "cifar10", "--out", "o"),
		prune("--weights", "bare.safetensors", "--out", "o"),
		prune("--weights", "m.safetensors", "--arch", "wider.json", "--out", "o"),
		prune("--weights", "m.safetensors", "--data", "folder:img", "--target", "0.6", "--out", "used"),
		prune(append(data, "--target", "0.01")...),
		{"prune", "--table", "wide.jsonl", "--weights", "m.safetensors", "--data", "folder:img", "--out", "o"},
		{"train", "--data", "bogus", "--out", "o"},
		{"train", "--data", "folder:img"},
		{"prune-compare"},
		{"prune-compare", "used", "--out", "f.png"},
		{"prune-compare", "img"},
		{"prune-compare", "--format", "xml", "used"},
		{"prune-compare", "--out", "f.gif", "used"},
	} {
		out, errOut, code := nvitprof(t, args...)
		fmt.Fprintf(transcript, "$ nvitprof %s\nexit %d\n%s%s\n", strings.Join(args, " "), code, out, errOut)
	}
}

// tinyInputs writes into dir what TestPruneErrors needs: an image folder
// (img), tinyModelFlags' model with random weights (m.safetensors; the same
// without its recorded architecture, bare.safetensors; another
// architecture, wider.json), a table (cpu.jsonl) and one of other widths
// (wide.jsonl), and a folder holding a run (used).
func tinyInputs(t *testing.T, dir string) {
	t.Helper()
	imageFolder(t, dir)
	s := arch.Spec{Name: "vit", Image: 8, Patch: 4, Channels: 1, Classes: 2, ExtraTokens: 1, EMB: 8,
		Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 4, MLP: 8})}
	dev, err := profiler.OpenDevice(profiler.KindCPU, profiler.DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	w, err := pruner.Init(dev.Backend, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeTinyModel(t, dir, s, w)
	cpuTable(t, dir, "cpu.jsonl", []int{4, 8})
	cpuTable(t, dir, "wide.jsonl", []int{256, 512})
	if err := os.MkdirAll(filepath.Join(dir, "used"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "used", pruner.LogFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTinyModel writes w (of spec s) into dir as m.safetensors (with its
// architecture recorded) and bare.safetensors (without), and an
// architecture file of other widths, wider.json.
func writeTinyModel(t *testing.T, dir string, s arch.Spec, w *pruner.Weights) {
	t.Helper()
	if err := pruner.SaveTimm(filepath.Join(dir, "m.safetensors"), w); err != nil {
		t.Fatal(err)
	}
	ts, err := pruner.ToTimm(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := pruner.SaveSafetensors(filepath.Join(dir, "bare.safetensors"), &pruner.TensorFile{Tensors: ts}); err != nil {
		t.Fatal(err)
	}
	wider := s.Clone()
	wider.Blocks[1].MLP = 16
	a, err := arch.MarshalFile(wider)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wider.json"), a, 0o644); err != nil {
		t.Fatal(err)
	}
}
