package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nvitprof/nvitprof/profiler"
)

// tinySweep is a CPU sweep of three small configurations, a fraction of a
// second in all.
func tinySweep(out string, extra ...string) []string {
	return append([]string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "16", "--heads", "1", "--qk", "8", "--v", "8",
		"--mlp", "32", "--validation", "0", "--models", "none", "--batch", "2", "--samples", "2", "--warmup", "0", "--quiet", "--out", out}, extra...)
}

// Bad flags are usage errors naming the flag, found before anything is
// measured; a table already there is a failure that says how to go on.
func TestSweepRefusals(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.jsonl")
	first := filepath.Join(dir, "t.pass1.jsonl")
	os.WriteFile(first, []byte("kept\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{tinySweep(out, "--passes", "0"), exitUsage, "nvitprof: --passes: must be at least 1, got 0"},
		{tinySweep(out, "--estimator", "mean"), exitUsage, `nvitprof: --estimator: unknown estimator "mean"`},
		{tinySweep(out, "--threads", fmt.Sprint(runtime.NumCPU()+1)), exitUsage, "nvitprof: --threads: want 0 (every core) to"},
		{tinySweep(out, "--device", "tpu:0"), exitUsage, `nvitprof: --device: unknown device "tpu:0"`},
		{tinySweep(out, "--depths", "3"), exitUsage, `nvitprof: --depths "3": want two positive depths such as 2,10`},
		{tinySweep(out, "--shard", "2/2"), exitUsage, `nvitprof: --shard "2/2": want I/N with 0 <= I < N`},
		{tinySweep(out, "--emb", "1:x"), exitUsage, `nvitprof: --emb: "x" in "1:x" is not an integer`},
		{[]string{"sweep", "--emb", "64", "--out", out}, exitUsage, "nvitprof: grid: no heads values: give --preset or all of --emb, --heads, --qk, --v, --mlp"},
		{tinySweep(""), exitUsage, "nvitprof: --out FILE is required"},
		{tinySweep(out), exitFailure, "nvitprof: " + first + " exists: add --resume to continue it, or choose another --out"},
	} {
		_, errOut, code := nvitprof(t, tc.args...)
		if code != tc.code || !strings.HasPrefix(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args[1:], code, errOut, tc.code, tc.want)
		}
	}
	if data, _ := os.ReadFile(first); string(data) != "kept\n" {
		t.Errorf("a refused sweep changed %s: %q", first, data)
	}
}

// A sweep reports each pass and how far apart the passes were on stderr,
// even with --quiet, which silences progress only.
func TestSweepReportsEachPass(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.jsonl")
	_, errOut, code := nvitprof(t, tinySweep(out, "--passes", "2")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	first := strings.TrimSuffix(out, ".jsonl") + ".pass1.jsonl"
	for _, want := range []string{first + ": 3 configurations measured in ", first + ": time per configuration: compile ",
		out + ": 3 configurations measured in ", out + ": the passes of a configuration were "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "sweep pass") {
		t.Errorf("progress despite --quiet:\n%s", errOut)
	}
}

func TestPrintPassSpread(t *testing.T) {
	for _, tc := range []struct {
		res  profiler.RunResult
		want string
	}{
		{profiler.RunResult{}, ""},
		{profiler.RunResult{Spread: 0.0449, SpreadN: 12}, "t.jsonl: the passes of a configuration were 4.5% apart (median over 12)\n"},
		{profiler.RunResult{Spread: 0.24, SpreadN: 3}, "t.jsonl: the passes of a configuration were 24.0% apart (median over 3)\n" +
			"warning: more than 10%: the machine was busy and this table may be off by that much; measure again at a quieter time or with more --passes\n"},
		{profiler.RunResult{Spread: 0.24, SpreadN: 20, Agreement: profiler.Agreement{Configs: 20, Confirmed: 19, Again: 7, Rounds: 2,
			Spent: 12 * time.Second, Budget: 40 * time.Second, Threshold: 0.05}},
			"t.jsonl: the passes of a configuration were 24.0% apart (median over 20)\n" +
				"t.jsonl: 7 measurements taken again in 2 rounds where passes disagreed (12s of 40s allowed)\n" +
				"t.jsonl: the two fastest passes agree within 5% for 95.0% of 20 configurations: the table is fit for use\n"},
		{profiler.RunResult{Spread: 0.04, SpreadN: 20, Agreement: profiler.Agreement{Configs: 20, Confirmed: 17, Threshold: 0.05}},
			"t.jsonl: the passes of a configuration were 4.0% apart (median over 20)\n" +
				"t.jsonl: the two fastest passes agree within 5% for 85.0% of 20 configurations: warning: the table is not fit for use (below 90%): " +
				"the machine was too busy; measure again at a quieter time, or with more --passes or a longer --remeasure\n"},
	} {
		var b strings.Builder
		printPassSpread(&b, tc.res, "t.jsonl")
		if b.String() != tc.want {
			t.Errorf("%+v:\n%q\nwant\n%q", tc.res, b.String(), tc.want)
		}
	}
}
