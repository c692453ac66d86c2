package pruner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel"
)

func quickOptions() Options {
	o := DefaultOptions
	o.Target, o.Steps = 0.6, 3
	o.Saliency = SaliencyOptions{Batches: 2, BatchSize: 32}
	o.FineTune = TrainOptions{Steps: 10, BatchSize: 32, LR: 1e-3, MinLR: 1e-4, Warmup: 2, Seed: 2}
	o.Final = TrainOptions{Steps: 10, BatchSize: 32, LR: 1e-3, MinLR: 1e-4, Warmup: 2, Seed: 3}
	return o
}

// TestRun prunes the trained blob model with a fitted cost model, checks
// the outputs, then interrupts a second run after its first step and
// resumes it to the same end.
func TestRun(t *testing.T) {
	dense, data := trainedBlob(t)
	model := fittedModel(t)
	opt := quickOptions()
	opt.Eval = synthetic(128, 7)
	dir := t.TempDir()
	opt.Dir = dir
	res, err := prune(context.Background(), dense, model, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Final.Relative > opt.Target || !res.Final.Final || len(res.Log) != opt.Steps+1 {
		t.Fatalf("final %+v after %d log lines", res.Final, len(res.Log))
	}
	t.Logf("dense %.1f%%, pruned %.1f%% at %.0f%% of the predicted latency: %s",
		100*res.Dense.Accuracy, 100*res.Final.Accuracy, 100*res.Final.Relative, formatDim(res.Weights.Spec))
	logs, err := ReadLog(filepath.Join(dir, LogFile))
	if err != nil || len(logs) != opt.Steps+1 {
		t.Fatalf("log: %d lines, %v", len(logs), err)
	}
	for i := 1; i < len(logs); i++ {
		if logs[i].PredictedMS > logs[i-1].PredictedMS || logs[i].PredictedMS > logs[i].TargetMS {
			t.Errorf("step %d: predicted %g (before %g, target %g)", i, logs[i].PredictedMS, logs[i-1].PredictedMS, logs[i].TargetMS)
		}
	}
	// The pruned model loads with its own architecture file; of the
	// checkpoints only the last is left.
	if w, err := LoadWeights(filepath.Join(dir, PrunedWeights), filepath.Join(dir, PrunedArch)); err != nil || !sameArch(w.Spec, res.Weights.Spec) {
		t.Fatalf("pruned model: %v", err)
	}
	if cps, _ := filepath.Glob(filepath.Join(dir, "step_*")); len(cps) != 1 || filepath.Base(cps[0]) != "step_003.safetensors" {
		t.Errorf("checkpoints %q, want the last step's only", cps)
	}
	if _, err := prune(context.Background(), dense, model, data, opt); !errors.Is(err, ErrRunExists) || !strings.Contains(err.Error(), dir) {
		t.Errorf("rerun into a used directory: %v", err)
	}
	// A finished run resumes to its end, adding no step.
	again := opt
	again.Resume = true
	if res, err := prune(context.Background(), dense, model, data, again); err != nil || len(res.Log) != opt.Steps+1 {
		t.Errorf("resume of a finished run: %v", err)
	}

	// Interrupted after step 1, then resumed.
	dir2 := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	opt2 := opt
	opt2.Dir = dir2
	opt2.Logf = func(format string, args ...any) {
		if strings.HasPrefix(format, "step") {
			cancel()
		}
	}
	if _, err := prune(ctx, dense, model, data, opt2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if logs, _ := ReadLog(filepath.Join(dir2, LogFile)); len(logs) != 2 {
		t.Fatalf("interrupted run logged %d lines, want dense + step 1", len(logs))
	}
	// A torn line, as a kill mid-write leaves.
	f, _ := os.OpenFile(filepath.Join(dir2, LogFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step":2,"dim":{"EM`)
	f.Close()
	var lines []string
	opt2.Logf = func(format string, args ...any) { lines = append(lines, format) }
	opt2.Resume = true
	res2, err := prune(context.Background(), dense, model, data, opt2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Log) != opt.Steps+1 || !strings.HasPrefix(lines[0], "resuming") {
		t.Errorf("resumed run: %d log lines, first message %q", len(res2.Log), lines[0])
	}
	if dimString(res2.Final.Dim) != dimString(res.Final.Dim) {
		t.Errorf("resumed run ended at %s, the uninterrupted one at %s", dimString(res2.Final.Dim), dimString(res.Final.Dim))
	}
	// Every step's random streams depend on the step alone: the weights are the same too.
	a, _ := os.ReadFile(filepath.Join(dir, PrunedWeights))
	b, _ := os.ReadFile(filepath.Join(dir2, PrunedWeights))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the resumed run's weights differ from the uninterrupted run's")
	}
	other := opt2
	other.Eta = 0
	if _, err := prune(context.Background(), dense, model, data, other); err == nil || !strings.Contains(err.Error(), "eta") {
		t.Errorf("resume with another eta: %v", err)
	}
	other = opt2
	other.Seed = 1
	if _, err := prune(context.Background(), dense, model, data, other); err == nil || !strings.Contains(err.Error(), "seed 1") {
		t.Errorf("resume with another seed: %v", err)
	}
}

func TestRunBadInput(t *testing.T) {
	dense := randomWeights(t, blobSpec, 1)
	model := fittedModel(t)
	data := synthetic(32, 1)
	for _, tc := range []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"target above 1", func(o *Options) { o.Target = 1.5 }, "(0, 1]"},
		{"target zero", func(o *Options) { o.Target = 0 }, "(0, 1]"},
		{"unreachable", func(o *Options) { o.Target = 0.01 }, "below what pruning can reach"},
		{"negative eta", func(o *Options) { o.Eta = -1 }, "eta"},
		{"bad selection", func(o *Options) { o.Selection = "random" }, "selection"},
		{"bad groups", func(o *Options) { o.Groups.MLP = -1 }, "group sizes"},
		{"no directory", func(o *Options) { o.Dir = "" }, "directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := quickOptions()
			o.Dir = t.TempDir()
			tc.mutate(&o)
			_, err := NewRun(backend, dense, model, data, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	other := blobSpec.Clone()
	other.Image, other.Patch = 16, 4
	w := randomWeights(t, other, 2)
	d := synthetic(8, 1)
	d.Height, d.Width = 16, 16
	d.Pixels = make([]uint8, 8*256)
	o := quickOptions()
	o.Dir = t.TempDir()
	if _, err := NewRun(backend, w, model, d, o); err == nil || !strings.Contains(err.Error(), "tokens") {
		t.Errorf("model of another geometry than the table: %v", err)
	}
}

// prune runs NewRun and Run.
func prune(ctx context.Context, dense *Weights, model costmodel.Predictor, data *Dataset, opt Options) (*Result, error) {
	r, err := NewRun(backend, dense, model, data, opt)
	if err != nil {
		return nil, err
	}
	return r.Run(ctx)
}

// resumeFixture is a run directory as Run leaves it before any log line:
// run.json for cfg, and a checkpoint of dense as step 1's weights.
func resumeFixture(t *testing.T, dense *Weights) (dir string, cfg runConfig) {
	t.Helper()
	dir = t.TempDir()
	cfg = runConfig{Target: 0.6, Steps: 3, Eta: 1, Selection: string(SelectGreedy), Groups: ScaledGroupSizes(dense.Spec),
		Dense: dense.Spec.Dim(), DenseMS: 1.25, Model: "hw fit of table.jsonl"}
	if err := writeJSON(filepath.Join(dir, RunFile), cfg); err != nil {
		t.Fatal(err)
	}
	if err := SaveTimm(filepath.Join(dir, fmt.Sprintf(checkpointFormat, 1)), dense); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

// TestResumeRepairsLog: resuming cuts log.jsonl back to the end of the
// steps it keeps, whatever the last kept step is, so that the next append
// starts a line of its own and the log stays readable.
func TestResumeRepairsLog(t *testing.T) {
	dense := randomWeights(t, blobSpec, 1)
	line := func(l StepLog) string {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	step0 := line(StepLog{Step: 0, Dim: dense.Spec.Dim(), PredictedMS: 1.25, Relative: 1})
	step1 := line(StepLog{Step: 1, Dim: dense.Spec.Dim(), PredictedMS: 1, Weights: fmt.Sprintf(checkpointFormat, 1)})
	const torn = `{"step":2,"dim":{"EM`
	for _, tc := range []struct {
		name, log, want string
		steps           int
	}{
		{"torn after the dense step", step0 + "\n" + torn, step0 + "\n", 1},
		{"torn after a checkpoint", step0 + "\n" + step1 + "\n" + torn, step0 + "\n" + step1 + "\n", 2},
		{"only a torn line", torn, "", 0},
		{"newline missing", step0 + "\n" + step1, step0 + "\n" + step1 + "\n", 2},
		{"intact", step0 + "\n" + step1 + "\n", step0 + "\n" + step1 + "\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, cfg := resumeFixture(t, dense)
			path := filepath.Join(dir, LogFile)
			if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
				t.Fatal(err)
			}
			logs, _, err := resumeRun(dir, cfg, dense)
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != tc.steps {
				t.Errorf("resumed after %d steps, want %d", len(logs), tc.steps)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("log after resume:\n%q\nwant\n%q", got, tc.want)
			}
			// The next step, appended as Run does, reads back.
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(line(StepLog{Step: 9}) + "\n")
			f.Close()
			if after, err := ReadLog(path); err != nil || len(after) != tc.steps+1 || after[tc.steps].Step != 9 {
				t.Errorf("log after an append: %d steps, %v", len(after), err)
			}
		})
	}
}

// TestResumeWithoutRunFile: a log without run.json is refused, not
// restarted (which would append a second dense step to the old log).
func TestResumeWithoutRunFile(t *testing.T) {
	dense := randomWeights(t, blobSpec, 1)
	dir, cfg := resumeFixture(t, dense)
	if err := os.Remove(filepath.Join(dir, RunFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := resumeRun(dir, cfg, dense); err != nil {
		t.Errorf("empty directory: %v", err)
	}
	log := `{"step":0,"dim":{"EMB":12}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := resumeRun(dir, cfg, dense); err == nil || !strings.Contains(err.Error(), RunFile) {
		t.Errorf("log without %s: %v", RunFile, err)
	}
}

// TestResumeChecksCostModel: a run resumes only with the cost model and
// dense latency run.json recorded (up to float rounding).
func TestResumeChecksCostModel(t *testing.T) {
	dense := randomWeights(t, blobSpec, 1)
	dir, cfg := resumeFixture(t, dense)
	for _, tc := range []struct {
		name   string
		mutate func(*runConfig)
		want   []string // in the error; none: resumes
	}{
		{"same", func(*runConfig) {}, nil},
		{"rounding", func(c *runConfig) { c.DenseMS *= 1 + 1e-12 }, nil},
		{"other model", func(c *runConfig) { c.Model = "hw fit of other.jsonl" }, []string{"table.jsonl", "other.jsonl"}},
		{"other dense latency", func(c *runConfig) { c.DenseMS = 1.2500001 }, []string{"1.25 ms", "1.2500001 ms"}},
		{"no model recorded", func(c *runConfig) { c.Model = "" }, []string{`"hw fit of table.jsonl"`, `""`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			tc.mutate(&c)
			_, _, err := resumeRun(dir, c, dense)
			if tc.want == nil {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("resumed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q, want one line naming %s", err, w)
				}
			}
		})
	}
}
