package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nvitV100 is NViT's released table: in the project's workspace, not in a clone.
const nvitV100 = "../../../shared/data/nvit_latency_head_v100.json"

// tinyLUT is a LUT in NViT's schema (as Python's json.dump writes it) with
// DeiT-B's block and one with V 32: 12.3 ms and 11 ms per block.
const tinyLUT = `{"EMB_768": {"QK_12_64": {"V_32": {"MLP_1": 0.0035, "MLP_3072": 0.011}, "V_64": {"MLP_1": 0.004, "MLP_3072": 0.0123}}}}`

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

func TestPredictSpeedupOnGridByHand(t *testing.T) {
	lut := writeFile(t, "latency_head.json", tinyLUT)
	v32 := writeFile(t, "v32.json", `{"name": "v32", "EMB": 768, "head": [12,12,12,12,12,12,12,12,12,12,12,12],
		"QK": [64,64,64,64,64,64,64,64,64,64,64,64], "V": [32,32,32,32,32,32,32,32,32,32,32,32],
		"MLP": [3072,3072,3072,3072,3072,3072,3072,3072,3072,3072,3072,3072]}`)
	model := filepath.Join(t.TempDir(), "m.json")
	for _, kind := range []string{"hw", "nvit-interp"} {
		run1(t, "fit", "--table", lut, "--kind", kind, "--out", model)
		for _, src := range [][]string{{"--table", lut, "--kind", kind}, {"--model", model}} {
			args := append([]string{"predict", "--arch", v32, "--ref", "deit-b-distilled", "--format", "json"}, src...)
			var got struct {
				LatencyMS float64 `json:"latency_ms"`
				Speedup   float64 `json:"speedup"`
				Model     string  `json:"model"`
			}
			if err := json.Unmarshal([]byte(run1(t, args...)), &got); err != nil {
				t.Fatal(err)
			}
			// Every block is a table entry: 12 × 11 ms, and 12 × 12.3 ms for DeiT-B.
			if math.Abs(got.LatencyMS-132) > 1e-9 || math.Abs(got.Speedup-147.6/132) > 1e-12 || got.Model != kind {
				t.Errorf("%s %v: %+v, want 132 ms and speedup %v", kind, src, got, 147.6/132)
			}
		}
	}
	text := run1(t, "predict", "--table", lut, "--preset", "deit-b-distilled")
	if !strings.Contains(text, "147.6 ms") || !strings.Contains(text, "rest not in the table") {
		t.Errorf("text output: %s", text)
	}
}

func TestExportLUTRoundTrip(t *testing.T) {
	srcs := map[string]string{"tiny": writeFile(t, "tiny.json", tinyLUT)}
	if _, err := os.Stat(nvitV100); err == nil {
		srcs["v100"] = nvitV100
	} else {
		t.Logf("NViT's table is not here (%s): only the tiny LUT round-trips", nvitV100)
	}
	for name, src := range srcs {
		out := filepath.Join(t.TempDir(), "out.json")
		run1(t, "export", "--table", src, "--format", "nvit-lut", "--out", out)
		a, _ := os.ReadFile(src)
		b, _ := os.ReadFile(out)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: export differs from the source", name)
		}
		// Via CSV and back: the same LUT again.
		csvPath := filepath.Join(t.TempDir(), "t.csv")
		run1(t, "export", "--table", src, "--format", "csv", "--out", csvPath)
		again := filepath.Join(t.TempDir(), "again.json")
		run1(t, "export", "--table", csvPath, "--format", "nvit-lut", "--out", again)
		c, _ := os.ReadFile(again)
		if !bytes.Equal(a, c) {
			t.Errorf("%s: LUT → CSV → LUT differs from the source", name)
		}
	}
}

// A decomposed table's grid is its attention × MLP rows; the validation
// block beside them (V 32 only) must not shrink the exported LUT to V 32.
// Where it was measured, the block gives the entry (11.2 ms, not 3.5 + 7.5).
func TestExportDecomposedTableIgnoresValidationBlocks(t *testing.T) {
	table := writeFile(t, "t.csv", "kind,emb,heads,qk,v,mlp,median_ms\n"+
		"attn,768,12,64,32,0,3.5\nattn,768,12,64,64,0,4\nmlp,768,0,0,0,3072,7.5\nblock,768,12,64,32,3072,11.2\n")
	var lut map[string]map[string]map[string]map[string]float64
	if err := json.Unmarshal([]byte(run1(t, "export", "--table", table, "--format", "nvit-lut", "--out", "-")), &lut); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]float64{"V_32": {"MLP_1": 0.0035, "MLP_3072": 0.0112}, "V_64": {"MLP_1": 0.004, "MLP_3072": 0.0115}}
	got := lut["EMB_768"]["QK_12_64"]
	for v, mlps := range want {
		for m, sec := range mlps {
			if math.Abs(got[v][m]-sec) > 1e-12 {
				t.Errorf("%s %s = %v s, want %v", v, m, got[v][m], sec)
			}
		}
	}
	if len(got) != 2 {
		t.Errorf("LUT has V keys %v, want V_32 and V_64", got)
	}
}

func TestEvalCommand(t *testing.T) {
	if _, err := os.Stat(nvitV100); err != nil {
		t.Skipf("NViT's table is not here (%s): the project's workspace has it, a clone does not", nvitV100)
	}
	csvPath := filepath.Join(t.TempDir(), "pred.csv")
	out := run1(t, "eval", "--table", nvitV100, "--format", "json", "--csv", csvPath)
	var ev struct {
		Model  string `json:"model"`
		Groups []struct {
			Kind     string  `json:"kind"`
			N        int     `json:"n"`
			Within5  float64 `json:"within_5"`
			Within10 float64 `json:"within_10"`
			Spearman float64 `json:"spearman"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Model != "hw" || len(ev.Groups) != 1 || ev.Groups[0].N != 9375 || ev.Groups[0].Within10 < 99 || ev.Groups[0].Within5 < 95 || ev.Groups[0].Spearman < 0.99 {
		t.Errorf("eval: %+v", ev)
	}
	data, _ := os.ReadFile(csvPath)
	if n := bytes.Count(data, []byte("\n")); n != 9376 {
		t.Errorf("predictions CSV has %d lines, want 9376", n)
	}
	text := run1(t, "eval", "--table", nvitV100, "--kind", "nvit-interp", "--folds", "3")
	if !strings.Contains(text, "nvit-interp, 3-fold") || !strings.Contains(text, "no rest rows") {
		t.Errorf("text: %s", text)
	}
}

func TestCostCommandErrors(t *testing.T) {
	lut := writeFile(t, "l.json", tinyLUT)
	csvTable := writeFile(t, "t.csv", "kind,emb,mlp,median_ms\nmlp,64,128,0.5\nmlp,64,256,0.9\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"fit without out", []string{"fit", "--table", lut}, exitUsage, "--out"},
		{"fit without table", []string{"fit", "--out", "x.json"}, exitUsage, "--table"},
		{"bad kind", []string{"eval", "--table", lut, "--kind", "magic"}, exitUsage, "unknown model kind"},
		{"bad folds", []string{"eval", "--table", lut, "--folds", "1"}, exitUsage, "folds"},
		{"table and model", []string{"predict", "--table", lut, "--model", lut, "--preset", "deit-b-distilled"}, exitUsage, "not both"},
		{"no model", []string{"predict", "--preset", "deit-b-distilled"}, exitUsage, "--table"},
		{"not a model file", []string{"predict", "--model", lut, "--preset", "deit-b-distilled"}, exitFailure, "not a nvitprof model file"},
		{"other tokens", []string{"predict", "--table", lut, "--preset", "deit-b"}, exitFailure, "distilled"},
		{"outside the grid", []string{"predict", "--table", lut, "--kind", "nvit-interp", "--preset", "deit-s-distilled"}, exitFailure, "refuses"},
		{"bad ref", []string{"predict", "--table", lut, "--preset", "deit-b-distilled", "--ref", "deit-xl"}, exitUsage, "unknown preset"},
		{"csv without tokens", []string{"fit", "--table", csvTable, "--out", filepath.Join(t.TempDir(), "m.json")}, exitFailure, "--tokens"},
		{"export format", []string{"export", "--table", lut, "--format", "xlsx", "--out", "x"}, exitUsage, "nvit-lut or csv"},
		{"export uncovered", []string{"export", "--table", csvTable, "--format", "nvit-lut", "--out", "-"}, exitFailure, "grid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := nvitprof(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q: want one line mentioning %q", errOut, tc.want)
			}
		})
	}
	// A CSV table with --tokens fits the nvit-interp and hw kinds.
	run1(t, "fit", "--table", csvTable, "--tokens", "197", "--out", filepath.Join(t.TempDir(), "m.json"))
}

// eval --replicate prints how two measurements of one grid agree; a table
// against itself agrees exactly.
func TestEvalReplicate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	args := []string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64,96", "--heads", "1,2", "--qk", "8", "--v", "16",
		"--mlp", "64,128", "--validation", "0", "--models", "none", "--samples", "1", "--warmup", "0", "--quiet", "--out", out}
	if _, errOut, code := nvitprof(t, args...); code != 0 {
		t.Fatal(errOut)
	}
	js := run1(t, "eval", "--table", out, "--replicate", out, "--format", "json")
	var ev struct {
		Replicate []struct {
			Kind     string  `json:"kind"`
			N        int     `json:"n"`
			MAPE     float64 `json:"mape"`
			Within5  float64 `json:"within_5"`
			Spearman float64 `json:"spearman"`
		} `json:"replicate"`
	}
	if err := json.Unmarshal([]byte(js), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Replicate) != 3 { // attn, mlp, rest
		t.Fatalf("replicate groups %+v", ev.Replicate)
	}
	for _, g := range ev.Replicate {
		if g.MAPE != 0 || g.Within5 != 100 || g.N == 0 {
			t.Errorf("%s against itself: %+v", g.Kind, g)
		}
	}
	if !strings.Contains(run1(t, "eval", "--table", out, "--replicate", out), "measured again") {
		t.Error("text output lacks the replicate section")
	}
	other := filepath.Join(dir, "o.jsonl")
	if _, errOut, code := nvitprof(t, append(args[:len(args)-1], other, "--batch", "3")...); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := nvitprof(t, "eval", "--table", out, "--replicate", other); code == 0 || !strings.Contains(errOut, "batch") {
		t.Errorf("replicate of another batch: exit %d, %s", code, errOut)
	}
}
