package prunemnist

import (
	"bytes"
	"strings"
	"testing"
)

// TestDemoSummaryComparesWithBlind: the fresh-clone demo's figures (dense
// 97.04% at 33.51 ms predicted; knapsack 97.29% at 16.74 ms, blind 97.15% at
// 16.71 ms, NViT's score 96.26% at 16.44 ms) give the hand-computed lines
// knapsack +0.14 points at 50.0% against 49.9%, aware −0.89 at 49.1%.
func TestDemoSummaryComparesWithBlind(t *testing.T) {
	s := Summary{Device: "cpu", Cores: 2, Batch: 64, Target: 0.5, Eta: 1, TestImages: 10000, Models: []Model{
		{Name: "dense", Accuracy: 0.9704, PredictedMS: 33.51, MeasuredMS: 35.65, PredSpeedup: 1, MeasSpeedup: 1},
		{Name: "aware", Accuracy: 0.9626, PredictedMS: 16.44, MeasuredMS: 17.64, PredSpeedup: 2.04, MeasSpeedup: 2.02},
		{Name: "knapsack", Accuracy: 0.9729, PredictedMS: 16.74, MeasuredMS: 18.08, PredSpeedup: 2.00, MeasSpeedup: 1.97},
		{Name: "blind", Accuracy: 0.9715, PredictedMS: 16.71, MeasuredMS: 17.8, PredSpeedup: 2.00, MeasSpeedup: 2.00},
	}}
	var buf bytes.Buffer
	if err := s.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"knapsack - blind: top-1 +0.14 points at 50.0% against 49.9% of the dense model's predicted latency",
		"aware    - blind: top-1 -0.89 points at 49.1% against 49.9%",
		"knapsack (HALP knapsack): top-1 +0.25 points vs dense; measured speedup 1.97× vs predicted 2.00× (-1.5%)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "blind    - blind") {
		t.Errorf("blind compared with itself:\n%s", out)
	}
}

// Options refuse what the demo cannot run.
func TestOptionsRefuse(t *testing.T) {
	for _, o := range []Options{{}, {Out: "x", Target: 1.5}, {Out: "x", Target: -0.5}, {Out: "x", TrainSteps: -1}} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o, err := Options{Out: "x"}.withDefaults()
	if err != nil || o.Target != DefaultOptions.Target || o.TrainSteps != DefaultOptions.TrainSteps || o.Batch != DefaultOptions.Batch {
		t.Errorf("defaults %+v, %v", o, err)
	}
}
