package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/internal/testtables"
)

// An adaptive sweep by replay of the synthetic NViT table ends with one line
// that states the validation accuracy and how much of the grid it measured.
func TestSweepAdaptiveLastLine(t *testing.T) {
	synth := testtables.Path(t, testtables.NViTSynthetic)
	out := filepath.Join(t.TempDir(), "t.jsonl")
	_, errOut, code := nvitprof(t, "sweep", "--device", "replay:"+synth, "--accuracy", "5", "--budget", "190", "--quiet", "--out", out)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	want := "adaptive sweep: target met (95% within ±5%) after 1 round: 60 of 60 validation configurations (100.0%) within ±5%, max error 2.3%; measured 150 of 9375 configurations (1.6%)"
	if code != 0 || lines[len(lines)-1] != want {
		t.Errorf("exit %d, last line %q; want 0, %q\n%s", code, lines[len(lines)-1], want, errOut)
	}
}

// Adaptive options that cannot work are usage errors naming the flag.
func TestSweepAdaptiveRefusals(t *testing.T) {
	synth := "replay:" + testtables.Path(t, testtables.NViTSynthetic)
	out := filepath.Join(t.TempDir(), "t.jsonl")
	sweep := func(args ...string) []string {
		return append([]string{"sweep", "--device", synth, "--quiet", "--out", out}, args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{sweep("--accuracy", "0"), "nvitprof: --accuracy 0: want a percentage above 0 and below 100"},
		{sweep("--accuracy", "100"), "nvitprof: --accuracy: must be a percentage above 0 and below 100, got 100"},
		{sweep("--budget", "lots"), `nvitprof: --budget "lots": want a positive number of configurations or a time such as 5m`},
		{sweep("--budget", "-3"), `nvitprof: --budget "-3": want a positive number`},
		{sweep("--holdout", "5"), "nvitprof: --accuracy: an adaptive sweep needs an accuracy target, a budget or a time limit"},
		{sweep("--accuracy", "5", "--budget", "20"), "nvitprof: --budget: 20 configurations is less than the first round needs"},
		{sweep("--accuracy", "5", "--shard", "0/2"), "nvitprof: --shard with --accuracy or --budget: an adaptive sweep chooses each configuration"},
		{[]string{"sweep", "--preset", "quick", "--blocks", "--accuracy", "5", "--out", out}, "nvitprof: --mlp: an adaptive sweep of whole blocks measures attention as blocks without MLP: add MLP 0"},
		{sweep("--device", "replay:"+filepath.Join(t.TempDir(), "none.json")), "nvitprof: --device: replay: tablefmt: read table:"},
		{sweep("--batch", "8"), "nvitprof: --batch: a replay answers from its table, whose batch it keeps"},
	} {
		_, errOut, code := nvitprof(t, tc.args...)
		if code != exitUsage || !strings.HasPrefix(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args[1:], code, errOut, exitUsage, tc.want)
		}
	}
}
