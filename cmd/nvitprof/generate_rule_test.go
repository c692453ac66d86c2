package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// The loop closes: generate --rule takes a rule file (a non-default profile
// and MLP factor), every variant is that rule at its EMB, computed here by
// arch alone; trends fitted to the variants gives back a rule file, and
// generate with it writes the same architectures again. A flag given beside
// --rule overrides the file's value.
func TestGenerateRuleRoundTrip(t *testing.T) {
	table := synthTable(t)
	rule := arch.Rule{Depth: 4, Epsilon: []float64{1, 2, 1.5, 1}, HeadDivisor: 40, QKDivisor: 8, V: 24, MLPFactor: 2, MLPStep: 8}
	data, err := arch.MarshalRule(rule, "test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ruleFile := filepath.Join(dir, "rule.json")
	if err := os.WriteFile(ruleFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "first")
	run1(t, "generate", "-q", "--table", table, "--rule", ruleFile, "--budget", "0.3,0.6,1", "--out", first)
	variants := readVariants(t, first)
	if len(variants) == 0 {
		t.Fatal("no variants")
	}
	for _, v := range variants {
		want := rule
		want.EMB, want.Geometry = v.EMB, v.Geometry()
		s, err := want.Spec()
		if err != nil {
			t.Fatal(err)
		}
		if got, w := v.Dim().String(), s.Dim().String(); got != w {
			t.Errorf("%s: %s, the rule gives %s", v.Name, got, w)
		}
	}

	var args []string
	for _, v := range variants {
		args = append(args, filepath.Join(first, v.Name+".json"))
	}
	fitted := filepath.Join(dir, "trends")
	run1(t, append([]string{"trends", "--formats", "svg", "--out", fitted}, args...)...)
	second := filepath.Join(dir, "second")
	run1(t, "generate", "-q", "--table", table, "--rule", filepath.Join(fitted, "rule.json"), "--budget", "0.3,0.6,1", "--out", second)
	again := readVariants(t, second)
	if len(again) != len(variants) {
		t.Fatalf("%d variants from the fitted rule, %d from the original", len(again), len(variants))
	}
	for i := range again {
		if again[i].Dim().String() != variants[i].Dim().String() {
			t.Errorf("variant %d: %s from the fitted rule, %s from the original", i, again[i].Dim(), variants[i].Dim())
		}
	}

	over := filepath.Join(dir, "over")
	run1(t, "generate", "-q", "--table", table, "--rule", ruleFile, "--v", "16", "--budget", "1", "--out", over)
	for _, v := range readVariants(t, over) {
		for _, b := range v.Blocks {
			if b.V != 16 || b.MLP%8 != 0 {
				t.Errorf("--v 16 over the rule file: block %+v", b)
			}
		}
	}
}

// readVariants reads the dim files generate wrote into dir, by budget.
func readVariants(t *testing.T, dir string) []arch.Spec {
	t.Helper()
	var out []arch.Spec
	for _, r := range readSummary(t, filepath.Join(dir, "summary.csv")) {
		if r["same_as"] != "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, r["name"]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := arch.ParseFile(data)
		if err != nil {
			t.Fatal(err)
		}
		s.Name = strings.TrimSuffix(r["name"], ".json")
		out = append(out, s)
	}
	return out
}
