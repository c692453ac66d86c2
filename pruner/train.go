package pruner

import (
	stdctx "context"
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

// TrainOptions configure Train: AdamW (GoMLX's Adam with decoupled weight
// decay) with a linear warm-up and a cosine decay of the learning rate, and
// optional knowledge distillation from a teacher.
type TrainOptions struct {
	Steps       int     // optimisation steps
	BatchSize   int     // images per step
	LR          float64 // peak learning rate (after warm-up)
	MinLR       float64 // learning rate at the end of the cosine decay
	Warmup      int     // linear warm-up steps, from LR/Warmup to LR
	WeightDecay float64 // AdamW's decoupled weight decay (multiplied by the learning rate)
	Seed        uint64  // batch order

	// Teacher, when set, adds distillation: the loss becomes
	// (1−KDAlpha)·CE + KDAlpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)).
	Teacher       *Weights
	KDAlpha       float64 // weight of the distillation term (default 0.5 with a teacher)
	KDTemperature float64 // T (default 2)

	// Progress, when set, is called after every step with the step number
	// (1-based), the number of steps and the step's loss.
	Progress func(step, steps int, loss float64)
}

// DefaultTrainOptions trains a small ViT from scratch.
var DefaultTrainOptions = TrainOptions{Steps: 400, BatchSize: 128, LR: 2e-3, MinLR: 1e-5, Warmup: 40, WeightDecay: 0.05, Seed: 1}

// LearningRate is the schedule's rate at step (0-based): linear warm-up to
// LR over Warmup steps, then a cosine from LR to MinLR at step Steps−1.
func (o TrainOptions) LearningRate(step int) float64 {
	if step < o.Warmup {
		return o.LR * float64(step+1) / float64(o.Warmup)
	}
	span := o.Steps - o.Warmup - 1
	if span <= 0 {
		return o.LR
	}
	p := math.Min(1, float64(step-o.Warmup)/float64(span))
	return o.MinLR + (o.LR-o.MinLR)*0.5*(1+math.Cos(math.Pi*p))
}

func (o *TrainOptions) validate() error {
	switch {
	case o.Steps < 0:
		return fmt.Errorf("train: steps must not be negative, got %d", o.Steps)
	case o.BatchSize < 1:
		return fmt.Errorf("train: batch size must be positive, got %d", o.BatchSize)
	case o.LR <= 0 || o.MinLR < 0 || o.MinLR > o.LR:
		return fmt.Errorf("train: want 0 <= min LR <= LR and LR > 0, got %g and %g", o.MinLR, o.LR)
	case o.Warmup < 0 || o.WeightDecay < 0:
		return errors.New("train: warm-up and weight decay must not be negative")
	}
	if o.Teacher != nil {
		if o.KDAlpha == 0 {
			o.KDAlpha = 0.5
		}
		if o.KDTemperature == 0 {
			o.KDTemperature = 2
		}
		if o.KDAlpha < 0 || o.KDAlpha > 1 || o.KDTemperature <= 0 {
			return fmt.Errorf("train: distillation weight must be in [0, 1] and temperature positive, got %g and %g", o.KDAlpha, o.KDTemperature)
		}
	}
	return nil
}

// TrainResult summarises a training run.
type TrainResult struct {
	Steps    int     // steps taken
	Loss     float64 // mean loss over the last tenth of the steps (at least the last one)
	Epochs   float64 // passes over the training data
	Examples int     // images seen
}

// crossEntropy is the mean softmax cross-entropy of logits [batch, classes]
// against integer labels [batch].
func crossEntropy(logits, labels *graph.Node) *graph.Node {
	classes := logits.Shape().Dimensions[1]
	onehot := graph.OneHot(labels, classes, logits.DType())
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(onehot, graph.LogSoftmax(logits, -1)), -1)))
}

// distillLoss is T²·KL(softmax(teacher/T) ‖ softmax(student/T)), batch mean.
func distillLoss(student, teacher *graph.Node, temp float64) *graph.Node {
	ls := graph.LogSoftmax(graph.DivScalar(student, temp), -1)
	lt := graph.LogSoftmax(graph.DivScalar(teacher, temp), -1)
	kl := graph.ReduceSum(graph.Mul(graph.Exp(lt), graph.Sub(lt, ls)), -1)
	return graph.MulScalar(graph.ReduceAllMean(kl), temp*temp)
}

// logitsExec compiles the forward pass of w's model.
func logitsExec(backend backends.Backend, w *Weights) (*context.Exec, error) {
	ctx, err := w.Context()
	if err != nil {
		return nil, err
	}
	spec := w.Spec.Clone()
	return context.NewExec(backend, ctx.Reuse(), func(ctx *context.Context, images *graph.Node) *graph.Node {
		return blocks.Model(ctx, images, spec)
	})
}

// Train optimises a copy of w on data and returns it. It stops early at
// ctx's cancellation, returning the weights so far and ctx's error.
func Train(ctx stdctx.Context, backend backends.Backend, w *Weights, data *Dataset, opt TrainOptions) (*Weights, TrainResult, error) {
	if err := opt.validate(); err != nil {
		return nil, TrainResult{}, err
	}
	if err := checkData(w, data); err != nil {
		return nil, TrainResult{}, err
	}
	gctx, err := w.Context()
	if err != nil {
		return nil, TrainResult{}, err
	}
	if opt.Steps == 0 {
		return w.Clone(), TrainResult{}, nil
	}
	var teacher *context.Exec
	if opt.Teacher != nil {
		if err := checkData(opt.Teacher, data); err != nil {
			return nil, TrainResult{}, fmt.Errorf("teacher: %w", err)
		}
		if teacher, err = logitsExec(backend, opt.Teacher); err != nil {
			return nil, TrainResult{}, fmt.Errorf("teacher: %w", err)
		}
		defer teacher.Finalize()
	}
	t := trainer{opt: opt, data: data, teacher: teacher, lr: optimizers.LearningRateVar(gctx, dtypes.Float32, opt.LearningRate(0))}
	if t.step, err = stepExec(backend, gctx, w.Spec.Clone(), opt, teacher != nil); err != nil {
		return nil, TrainResult{}, err
	}
	defer t.step.Finalize()
	res, err := t.run(ctx)
	if err != nil && !errors.Is(err, ctx.Err()) {
		return nil, res, err
	}
	out, rerr := FromContext(gctx, w.Spec.Clone())
	if rerr != nil {
		return nil, res, rerr
	}
	return out, res, err
}

// stepExec compiles one AdamW step on gctx's variables: images and labels
// (and, when distilling, the teacher's logits) in, the loss out.
func stepExec(backend backends.Backend, gctx *context.Context, spec arch.Spec, opt TrainOptions, distil bool) (*context.Exec, error) {
	adamw := optimizers.Adam().LearningRate(opt.LR).WeightDecay(opt.WeightDecay).Done()
	build := func(ctx *context.Context, images, labels *graph.Node, tlogits *graph.Node) *graph.Node {
		logits := blocks.Model(ctx, images, spec)
		loss := crossEntropy(logits, labels)
		if tlogits != nil {
			loss = graph.Add(graph.MulScalar(loss, 1-opt.KDAlpha),
				graph.MulScalar(distillLoss(logits, tlogits, opt.KDTemperature), opt.KDAlpha))
		}
		adamw.UpdateGraph(ctx, images.Graph(), loss)
		return loss
	}
	if distil {
		return context.NewExec(backend, gctx.Checked(false), func(ctx *context.Context, images, labels, tl *graph.Node) *graph.Node {
			return build(ctx, images, labels, tl)
		})
	}
	return context.NewExec(backend, gctx.Checked(false), func(ctx *context.Context, images, labels *graph.Node) *graph.Node {
		return build(ctx, images, labels, nil)
	})
}

// trainer runs the steps of Train.
type trainer struct {
	opt     TrainOptions
	data    *Dataset
	step    *context.Exec // stepExec
	teacher *context.Exec // logitsExec of the teacher, or nil
	lr      *context.Variable
}

// run takes opt.Steps steps over batches in opt.Seed's order, setting the
// learning rate of each; the result's loss is the mean over the last tenth.
// It stops at ctx's cancellation with ctx's error.
func (t *trainer) run(ctx stdctx.Context) (TrainResult, error) {
	batches := NewBatches(t.data, t.opt.BatchSize, t.opt.Seed)
	var res TrainResult
	tail := max(1, t.opt.Steps/10)
	var tailSum float64
	for i := range t.opt.Steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		idx := batches.Next()
		loss, err := t.take(i, idx)
		if err != nil {
			return res, err
		}
		if i >= t.opt.Steps-tail {
			tailSum += loss
		}
		res.Steps++
		res.Examples += len(idx)
		if t.opt.Progress != nil {
			t.opt.Progress(i+1, t.opt.Steps, loss)
		}
	}
	res.Loss = tailSum / float64(tail)
	res.Epochs = float64(res.Examples) / float64(t.data.Len())
	return res, nil
}

// take is step i (0-based) on the images idx: its loss.
func (t *trainer) take(i int, idx []int) (float64, error) {
	if err := t.lr.SetValue(tensors.FromScalar(float32(t.opt.LearningRate(i)))); err != nil {
		return 0, err
	}
	images, labels := t.data.Batch(idx)
	args := []any{images, labels}
	if t.teacher != nil {
		tl, err := t.teacher.Exec1(images)
		if err != nil {
			return 0, fmt.Errorf("teacher: %w", err)
		}
		args = append(args, tl)
	}
	out, err := t.step.Exec1(args...)
	if err != nil {
		return 0, fmt.Errorf("train step %d: %w", i+1, err)
	}
	loss := float64(tensors.ToScalar[float32](out))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, fmt.Errorf("train step %d: the loss is %g (learning rate %g too high?)", i+1, loss, t.opt.LearningRate(i))
	}
	return loss, nil
}

// checkData refuses data whose images do not fit w's input.
func checkData(w *Weights, d *Dataset) error {
	if err := d.Validate(); err != nil {
		return err
	}
	s := w.Spec
	if d.Channels != s.Channels || d.Height != s.Image || d.Width != s.Image || d.Classes != s.Classes {
		return fmt.Errorf("dataset %s has %d×%d×%d images in %d classes, the model takes %d×%d×%d in %d classes",
			d.Name, d.Channels, d.Height, d.Width, d.Classes, s.Channels, s.Image, s.Image, s.Classes)
	}
	return nil
}

// EvalResult is a model's accuracy on a dataset.
type EvalResult struct {
	Accuracy float64 // top-1, in [0, 1]
	Loss     float64 // mean cross-entropy
	N        int     // images evaluated
}

// Evaluate computes top-1 accuracy and loss of w on data in batches of
// batchSize.
func Evaluate(ctx stdctx.Context, backend backends.Backend, w *Weights, data *Dataset, batchSize int) (EvalResult, error) {
	if err := checkData(w, data); err != nil {
		return EvalResult{}, err
	}
	gctx, err := w.Context()
	if err != nil {
		return EvalResult{}, err
	}
	spec := w.Spec.Clone()
	exec, err := context.NewExec(backend, gctx.Reuse(), func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		logits := blocks.Model(ctx, images, spec)
		pred := graph.ArgMax(logits, -1, dtypes.Int32)
		correct := graph.ReduceAllSum(graph.ConvertDType(graph.Equal(pred, labels), dtypes.Float32))
		n := float64(logits.Shape().Dimensions[0])
		return []*graph.Node{correct, graph.MulScalar(crossEntropy(logits, labels), n)}
	})
	if err != nil {
		return EvalResult{}, err
	}
	defer exec.Finalize()
	var res EvalResult
	var correct, loss float64
	for start := 0; start < data.Len(); start += batchSize {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		idx := make([]int, 0, batchSize)
		for i := start; i < min(start+batchSize, data.Len()); i++ {
			idx = append(idx, i)
		}
		images, labels := data.Batch(idx)
		out, err := exec.Exec(images, labels)
		if err != nil {
			return res, err
		}
		correct += float64(tensors.ToScalar[float32](out[0]))
		loss += float64(tensors.ToScalar[float32](out[1]))
		res.N += len(idx)
	}
	res.Accuracy, res.Loss = correct/float64(res.N), loss/float64(res.N)
	return res, nil
}
