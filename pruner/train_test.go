package pruner

import (
	"context"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestLearningRateSchedule(t *testing.T) {
	o := TrainOptions{Steps: 11, LR: 1, MinLR: 0.1, Warmup: 2}
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.5}, {1, 1}, {2, 1}, {10, 0.1}, {6, 0.55}} {
		if got := o.LearningRate(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("step %d: %g, want %g", c.step, got, c.want)
		}
	}
}

// TestDistillLoss: KL(p‖q)·T² is 0 for equal logits and matches a hand
// computation otherwise.
func TestDistillLoss(t *testing.T) {
	e := graph.MustNewExec(backend, func(s, tt *graph.Node) *graph.Node { return distillLoss(s, tt, 2) })
	defer e.Finalize()
	same := tensors.FromValue([][]float64{{1, 2, 3}})
	if v := tensors.ToScalar[float64](e.MustExec1(same, same)); math.Abs(v) > 1e-12 {
		t.Errorf("equal logits: %g", v)
	}
	// Student [0, 0], teacher [2 ln 3, 0] at T = 2: p = (3/4, 1/4), q = (1/2, 1/2).
	got := tensors.ToScalar[float64](e.MustExec1(tensors.FromValue([][]float64{{0, 0}}), tensors.FromValue([][]float64{{2 * math.Log(3), 0}})))
	want := 4 * (0.75*math.Log(0.75/0.5) + 0.25*math.Log(0.25/0.5))
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("KL·T² %g, want %g", got, want)
	}
}

// TestTrainWithTeacher: distillation runs and a trained model learns the
// synthetic task well above chance (0.25).
func TestTrainWithTeacher(t *testing.T) {
	teacher, data := trainedBlob(t)
	student, err := Init(backend, blobSpec, 8)
	if err != nil {
		t.Fatal(err)
	}
	student, res, err := Train(context.Background(), backend, student, data, TrainOptions{Steps: 250, BatchSize: 32, LR: 3e-3, MinLR: 1e-4, Warmup: 10, Teacher: teacher})
	if err != nil {
		t.Fatal(err)
	}
	se, err := Evaluate(context.Background(), backend, student, data, 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("distilled student: loss %.3f, accuracy %.2f", res.Loss, se.Accuracy)
	if se.Accuracy < 0.6 {
		t.Errorf("distilled student's accuracy %.2f (chance 0.25)", se.Accuracy)
	}
	ev, err := Evaluate(context.Background(), backend, teacher, data, 64)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy < 0.9 {
		t.Errorf("teacher accuracy %.2f on its training data", ev.Accuracy)
	}
}
