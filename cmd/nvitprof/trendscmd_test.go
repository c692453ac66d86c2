package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// writeTrendsFixture writes name → content under dir.
func writeTrendsFixture(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Two dim files made by the paper's rule at EMB 384 and 768 (six blocks,
// ε 1, 1, 2, 2, 1, 1): the rule comes back exactly, and the files are written.
func TestTrendsOnDimFiles(t *testing.T) {
	dir := t.TempDir()
	writeTrendsFixture(t, dir, map[string]string{
		"a.json": `{"EMB": 384, "head": [4, 4, 8, 8, 4, 4], "QK": [16, 16, 32, 32, 16, 16], "V": [64, 64, 64, 64, 64, 64], "MLP": [1152, 1152, 2304, 2304, 1152, 1152]}`,
		"b.json": `{"EMB": 768, "head": [8, 8, 16, 16, 8, 8], "QK": [32, 32, 72, 72, 32, 32], "V": [64, 64, 64, 64, 64, 64], "MLP": [2304, 2304, 4608, 4608, 2304, 2304]}`,
	})
	out := filepath.Join(dir, "out")
	stdout, stderr, code := nvitprof(t, "trends", "--out", out, filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `fitted rule: heads = ε·EMB/100 (×2, nearest), QK = ε·EMB/20 (×8, down), V = 64, MLP = 3·ε·EMB (×1, nearest), ε = [1 1 2 2 1 1], EMB 768
profile: ε 1 (blocks 1–2), ε 2 (blocks 3–4), ε 1 (blocks 5–6)
exact: the rule regenerates all 2 models, block for block
written to ` + out + `: the figure, trends.csv, rule.json (use with generate --rule)
`
	if stdout != want || stderr != "" {
		t.Errorf("stdout:\n%s\nwant:\n%s\nstderr: %q", stdout, want, stderr)
	}
	for _, f := range []string{"trends.png", "trends.svg", "trends.pdf", "trends.csv", "rule.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "rule.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := arch.ParseRule(data)
	if err != nil {
		t.Fatal(err)
	}
	r.EMB = 384
	s, err := r.Spec()
	if err != nil || s.Dim().String() != "EMB 384 head [4 4 8 8 4 4] QK [16 16 32 32 16 16] V [64 64 64 64 64 64] MLP [1152 1152 2304 2304 1152 1152]" {
		t.Errorf("rule.json at EMB 384 gives %v, %v", s.Dim(), err)
	}
}

// trendsRun is a finished pruning run directory of a 4-block model on 32² images,
// as nvitprof prune lays it out (run.json, log.jsonl, pruned.json).
func trendsRun(emb int, heads, qk, v, mlp string) map[string]string {
	dense := `{"EMB": 64, "head": [4, 4, 4, 4], "QK": [16, 16, 16, 16], "V": [16, 16, 16, 16], "MLP": [256, 256, 256, 256]}`
	dim := `{"EMB": ` + strconv.Itoa(emb) + `, "head": [` + heads + `], "QK": [` + qk + `], "V": [` + v + `], "MLP": [` + mlp + `]}`
	return map[string]string{
		"run.json":    `{"target": 0.5, "steps": 2, "eta": 0.0005, "selection": "greedy", "dense": ` + dense + `, "dense_ms": 1, "cost_model": "additive test-cpu"}`,
		"log.jsonl":   `{"step": 0, "dim": ` + dense + `, "accuracy": 0.9}` + "\n" + `{"step": 2, "final": true, "dim": ` + dim + `, "accuracy": 0.8}` + "\n",
		"pruned.json": `{"image": 32, "patch": 8, "channels": 1, "classes": 10, "extra_tokens": 1, ` + dim[1:],
	}
}

// Two pruning runs: the dense model comes from run.json, the residuals are
// printed, the CSV carries the kept fractions.
func TestTrendsOnRunDirectories(t *testing.T) {
	dir := t.TempDir()
	for name, files := range map[string]map[string]string{
		"seed1": trendsRun(48, "2, 4, 4, 2", "8, 16, 16, 8", "16, 8, 16, 16", "96, 208, 192, 80"),
		"seed2": trendsRun(64, "2, 4, 4, 2", "8, 16, 8, 8", "16, 16, 16, 8", "128, 240, 256, 112"),
	} {
		sub := map[string]string{}
		for f, body := range files {
			sub[filepath.Join(name, f)] = body
		}
		writeTrendsFixture(t, dir, sub)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code := nvitprof(t, "trends", "--out", out, "--formats", "svg", filepath.Join(dir, "seed1"), filepath.Join(dir, "seed2"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"residuals of the rule at each model's EMB", "dimension  values  mean |Δ|", "MLP       8"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	svg, err := os.ReadFile(filepath.Join(out, "trends.svg"))
	if err != nil || !strings.Contains(string(svg), "fraction of the dense model") || !strings.Contains(string(svg), "additive test-cpu") {
		t.Errorf("figure: %v; want kept fractions of the runs' dense model and the cost model in the caption", err)
	}
	csv, err := os.ReadFile(filepath.Join(out, "trends.csv"))
	if err != nil || !strings.Contains(string(csv), "\nseed1,1,heads,2,48,4,64,0.5,") {
		t.Errorf("trends.csv: %v\n%s", err, csv)
	}
	if _, err := os.Stat(filepath.Join(out, "trends.png")); err == nil {
		t.Error("trends.png written without --formats png")
	}
}

func TestTrendsBadInput(t *testing.T) {
	dir := t.TempDir()
	writeTrendsFixture(t, dir, map[string]string{
		"six.json":  `{"EMB": 384, "head": [4, 4, 8, 8, 4, 4], "QK": [16, 16, 32, 32, 16, 16], "V": [64, 64, 64, 64, 64, 64], "MLP": [1152, 1152, 2304, 2304, 1152, 1152]}`,
		"four.json": `{"EMB": 384, "head": [4, 8, 8, 4], "QK": [16, 32, 32, 16], "V": [64, 64, 64, 64], "MLP": [1152, 2304, 2304, 1152]}`,
		"deit.json": `{"EMB": 384, "head": [6, 6, 6, 6], "QK": [64, 64, 64, 64], "V": [64, 64, 64, 64], "MLP": [1536, 1536, 1536, 1536]}`,
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	out := p("out")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no arguments", []string{"--out", out}, 2, "give the architectures"},
		{"no --out", []string{p("six.json")}, 2, "--out DIR is required"},
		{"depths", []string{"--out", out, p("six.json"), p("four.json")}, 1, "differ in depth: four has 4 blocks, six has 6"},
		{"unpruned", []string{"--out", out, "--dense", p("deit.json"), p("four.json"), p("deit.json")}, 1, "unpruned"},
		{"kept without dense", []string{"--out", out, "--scale", "kept", p("six.json")}, 2, "needs the dense model"},
		{"one model", []string{"--out", out, p("six.json")}, 0, "note: one model (six)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := nvitprof(t, append([]string{"trends"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(p("out/rule.json")); err != nil {
		t.Errorf("the one-model fit wrote nothing: %v", err)
	}
}
