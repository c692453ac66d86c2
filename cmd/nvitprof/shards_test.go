package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

// A sweep split across a scheduler's array tasks, run here as local
// processes with the variables Slurm and Kubernetes set, then merged, holds
// exactly the configurations of the same sweep in one process, with the same
// latencies (the replay device answers from a recorded table). Merging
// without one shard names what is missing.
func TestShardsAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	table := testtables.Path(t, testtables.QuickCPU)
	sweep := []string{"sweep", "--device", "replay:" + table, "--preset", "quick", "--passes", "1", "--quiet"}
	whole := filepath.Join(dir, "whole.jsonl")
	run1(t, append(sweep, "--out", whole)...)
	for _, sched := range []struct {
		name  string
		shard string
		env   func(i int) []string
	}{
		{"slurm", "auto", func(i int) []string { // sbatch --array=1-3
			return []string{"SLURM_ARRAY_TASK_ID=" + fmt.Sprint(i+1), "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=3"}
		}},
		{"kubernetes", "auto/3", func(i int) []string { return []string{"JOB_COMPLETION_INDEX=" + fmt.Sprint(i)} }},
	} {
		t.Run(sched.name, func(t *testing.T) {
			var shards []string
			var procs []*exec.Cmd
			for i := range 3 {
				out := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", sched.name, i))
				shards = append(shards, out)
				procs = append(procs, startShard(t, append(sweep, "--shard", sched.shard, "--out", out), sched.env(i)))
			}
			for i, p := range procs {
				if err := p.Wait(); err != nil {
					t.Fatalf("shard %d: %v", i, err)
				}
			}
			merged := filepath.Join(dir, sched.name+".jsonl")
			_, errOut, code := nvitprof(t, append([]string{"merge", "--out", merged + ".partial"}, shards[:2]...)...)
			if code != exitFailure || !strings.Contains(errOut, "shard 2/3 is missing") {
				t.Errorf("merge of two shards of three: exit %d, %q", code, errOut)
			}
			run1(t, append([]string{"merge", "--out", merged}, shards...)...)
			got, want := readIndex(t, merged), readIndex(t, whole)
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
				t.Fatalf("merged shards hold %d configurations, the one-process sweep %d", len(got), len(want))
			}
			for k, r := range want {
				if got[k].MedianMS != r.MedianMS {
					t.Errorf("%s: %v ms merged, %v ms in one process", k, got[k].MedianMS, r.MedianMS)
				}
			}
		})
	}
}

func readIndex(t *testing.T, path string) map[string]tablefmt.Row {
	t.Helper()
	tab, bad, err := tablefmt.ReadTable(path)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if tab.Header.Shard != nil {
		t.Errorf("%s: header still names shard %v", path, tab.Header.Shard)
	}
	return tab.Index()
}

// startShard starts this test binary as a shard process running args with
// env added to its environment.
func startShard(t *testing.T, args, env []string) *exec.Cmd {
	t.Helper()
	enc, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestShardChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "NVITPROF_SHARD_CHILD="+string(enc)), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestShardChild is a shard process of TestShardsAcrossProcesses.
func TestShardChild(t *testing.T) {
	spec := os.Getenv("NVITPROF_SHARD_CHILD")
	if spec == "" {
		t.Skip("a child of TestShardsAcrossProcesses")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	os.Exit(exitCode(ctx, run(ctx, io.Discard, os.Stderr, append([]string{"nvitprof"}, args...)), os.Stderr))
}

// The examples' sweeps take the shard from the scheduler and resume.
func TestSchedulerExamples(t *testing.T) {
	for file, want := range map[string]string{
		"../../examples/slurm/sweep.sbatch":        "--shard auto ",
		"../../examples/kubernetes/sweep-job.yaml": "--shard auto/8",
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"nvitprof sweep", want, "--resume", "nvitprof merge"} {
			if !strings.Contains(string(data), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}
