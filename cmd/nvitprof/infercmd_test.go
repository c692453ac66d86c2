package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
	"github.com/nvitprof/nvitprof/pruner"
)

// exactWeights are weights of s whose logits are exact in float32 on any
// machine: the final LayerNorm has scale 0, so the classified tokens are its
// offset, and the offset, heads and biases are small multiples of 1/8. (The
// logits' numerics are pruner's tests' business; this file checks the
// command.) The rest are distinct deterministic values.
func exactWeights(t *testing.T, s arch.Spec) *pruner.Weights {
	t.Helper()
	w := &pruner.Weights{Spec: s, Values: map[string][]float32{}}
	for k, v := range blocks.Layout(s) {
		vals := make([]float32, v.Size())
		for i := range vals {
			vals[i] = float32((i*37+k*11)%17-8) / 64
		}
		w.Values[v.Path()] = vals
	}
	for i := range w.Values["norm/scale"] {
		w.Values["norm/scale"][i] = 0
	}
	for h, head := range []string{"head", "head_dist"} {
		for _, name := range []string{"/weights", "/biases"} {
			for i := range w.Values[head+name] {
				w.Values[head+name][i] = float32((i*5+h*3)%7-3) / 8
			}
		}
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w
}

// inferInputs writes into dir: an image folder (img), a model recording its
// architecture (m.safetensors), the same without it (bare.safetensors), an
// architecture file of another MLP width (wider.json) and a distilled model
// in NViT's naming (nvit.safetensors).
func inferInputs(t *testing.T, dir string) {
	t.Helper()
	imageFolder(t, dir)
	s := arch.Spec{Image: 8, Patch: 4, Channels: 1, Classes: 2, ExtraTokens: 1, EMB: 8,
		Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 4, MLP: 8})}
	w := exactWeights(t, s)
	writeTinyModel(t, dir, s, w)
	d := s.Clone()
	d.Channels, d.ExtraTokens, d.Classes = 3, 2, 10
	d.Blocks = []arch.Block{{Heads: 2, QK: 16, V: 4, MLP: 0}, {Heads: 1, QK: 64, V: 8, MLP: 12}}
	if err := pruner.SaveNViT(filepath.Join(dir, "nvit.safetensors"), exactWeights(t, d)); err != nil {
		t.Fatal(err)
	}
}

// TestInfer runs infer on tiny models, good input and bad, from the folder
// of its inputs (so that messages name relative paths), and compares what
// it prints and its exit codes with testdata/infer.golden.
func TestInfer(t *testing.T) {
	dir := t.TempDir()
	inferInputs(t, dir)
	var transcript strings.Builder
	t.Run("in the inputs' folder", func(t *testing.T) {
		t.Chdir(dir)
		inferTranscript(t, &transcript)
	})
	checkGolden(t, "infer.golden", transcript.String())
}

// inferTranscript runs the commands of TestInfer, writing each command line,
// exit code and output to transcript.
func inferTranscript(t *testing.T, transcript *strings.Builder) {
	for _, args := range [][]string{
		{"--weights", "m.safetensors"},
		{"--weights", "bare.safetensors", "--heads", "2", "--data", "folder:img", "--images", "4"},
		{"--weights", "nvit.safetensors", "--show", "3"},
		{"--weights", "m.safetensors", "--logits", "-"},
		{"--arch", "wider.json"},
		{"--weights", "none.safetensors"},
		{"--weights", "bare.safetensors"},
		{"--weights", "bare.safetensors", "--arch", "wider.json"},
		{"--weights", "m.safetensors", "--format", "onnx"},
		{"--weights", "m.safetensors", "--format", "nvit"},
		{"--weights", "bare.safetensors", "--heads", "2,x"},
		{"--weights", "bare.safetensors", "--heads", "3"},
		{"--weights", "m.safetensors", "--data", "bogus"},
	} {
		args = append([]string{"infer"}, args...)
		out, errOut, code := nvitprof(t, args...)
		fmt.Fprintf(transcript, "$ nvitprof %s\nexit %d\n%s%s\n", strings.Join(args, " "), code, out, errOut)
	}
}

// TestInferLogitsFile: --logits FILE holds every logit, with the text on
// stdout as without it.
func TestInferLogitsFile(t *testing.T) {
	dir := t.TempDir()
	inferInputs(t, dir)
	t.Chdir(dir)
	plain, _, _ := nvitprof(t, "infer", "--weights", "nvit.safetensors")
	out, errOut, code := nvitprof(t, "infer", "--weights", "nvit.safetensors", "--logits", "l.json")
	if code != 0 || out != plain {
		t.Fatalf("exit %d, %s\nstdout %q, want %q", code, errOut, out, plain)
	}
	data, err := os.ReadFile("l.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format": "nvit"`, `"name": "head_dist"`, `"input_shape": [`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("l.json lacks %s:\n%s", want, data)
		}
	}
	if n := strings.Count(string(data), ",\n") + 1; n < 3*10 {
		t.Errorf("l.json has %d lines of values, want every logit of 10 classes × 3 rows", n)
	}
}
