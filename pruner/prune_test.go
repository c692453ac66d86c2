package pruner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	res, err := Run(context.Background(), backend, dense, model, data, opt, dir, false)
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
	s := res.Weights.Spec
	if _, err := LoadTimm(filepath.Join(dir, PrunedWeights), &s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, PrunedArch)); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), backend, dense, model, data, opt, dir, false); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun into a used directory: %v", err)
	}

	// Interrupted after step 1, then resumed.
	dir2 := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	opt2 := opt
	opt2.Logf = func(format string, args ...any) {
		if strings.HasPrefix(format, "step") {
			cancel()
		}
	}
	if _, err := Run(ctx, backend, dense, model, data, opt2, dir2, false); !errors.Is(err, context.Canceled) {
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
	res2, err := Run(context.Background(), backend, dense, model, data, opt2, dir2, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Log) != opt.Steps+1 || !strings.HasPrefix(lines[0], "resuming") {
		t.Errorf("resumed run: %d log lines, first message %q", len(res2.Log), lines[0])
	}
	if dimString(res2.Final.Dim) != dimString(res.Final.Dim) {
		t.Errorf("resumed run ended at %s, the uninterrupted one at %s", dimString(res2.Final.Dim), dimString(res.Final.Dim))
	}
	other := opt
	other.Eta = 0
	if _, err := Run(context.Background(), backend, dense, model, data, other, dir2, true); err == nil || !strings.Contains(err.Error(), "eta") {
		t.Errorf("resume with another eta: %v", err)
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := quickOptions()
			tc.mutate(&o)
			_, err := Run(context.Background(), backend, dense, model, data, o, t.TempDir(), false)
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
	if _, err := Run(context.Background(), backend, w, model, d, quickOptions(), t.TempDir(), false); err == nil || !strings.Contains(err.Error(), "tokens") {
		t.Errorf("model of another geometry than the table: %v", err)
	}
}
