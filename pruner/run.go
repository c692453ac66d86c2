package pruner

import (
	stdctx "context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

// Run is a pruning run: NewRun checks its inputs, Run prunes.
type Run struct {
	backend backends.Backend
	dense   *Weights
	model   costmodel.Predictor
	train   *Dataset
	opt     Options
	reg     Regularizer
	cfg     runConfig // what run.json records; cfg.DenseMS is the dense model's prediction
	logf    func(format string, args ...any)

	// The state of Run while it runs.
	start time.Time
	log   *os.File  // log.jsonl, open for appending
	done  []StepLog // the completed steps, dense first
	cur   *Weights  // the weights after the last completed step
}

// Result is a finished run.
type Result struct {
	Dense, Final StepLog
	Log          []StepLog
	Weights      *Weights
}

// NewRun prepares to prune dense with model as the latency predictor and
// train as the data (saliency and fine-tuning). It checks the options
// (filling defaults: see Options) and refuses a target the cost model says
// pruning cannot reach; it touches no file.
func NewRun(backend backends.Backend, dense *Weights, model costmodel.Predictor, train *Dataset, opt Options) (*Run, error) {
	if err := dense.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(dense, train); err != nil {
		return nil, err
	}
	if err := opt.complete(dense.Spec); err != nil {
		return nil, err
	}
	p, err := model.Latency(dense.Spec)
	if err != nil {
		return nil, fmt.Errorf("pruner: the cost model cannot predict the dense model: %w", err)
	}
	if err := checkReachable(model, dense.Spec, opt.Target*p.TotalMS, p.TotalMS); err != nil {
		return nil, err
	}
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Run{backend: backend, dense: dense, model: model, train: train, opt: opt,
		reg: Regularizer{Model: model, Eta: opt.Eta, Raw: opt.RawEta}, cfg: opt.config(dense.Spec, p.TotalMS, model), logf: logf}, nil
}

// checkReachable refuses a target below the smallest model the cost model
// predicts: one group of EMB channels and no block left but the residual.
func checkReachable(model costmodel.Predictor, s arch.Spec, targetMS, denseMS float64) error {
	small := s.Clone()
	small.EMB = 1
	for i := range small.Blocks {
		small.Blocks[i] = arch.Block{}
	}
	p, err := model.Latency(small)
	if err != nil {
		return nil // outside the model's range: Select reports an unreachable target
	}
	if targetMS < p.TotalMS {
		return fmt.Errorf("pruner: target %.3g × dense = %.4g ms is below what pruning can reach: the model without blocks is predicted at %.4g ms (%.1f%% of dense)",
			targetMS/denseMS, targetMS, p.TotalMS, 100*p.TotalMS/denseMS)
	}
	return nil
}

// Run prunes in Options.Steps steps, writing into Options.Dir after every
// completed step: the step's weights (step_NNN.safetensors, timm naming;
// only the last is kept) and a line of log.jsonl, and at the end
// pruned.safetensors and pruned.json. With Options.Resume it continues the
// run in the directory from its last completed step, refusing one that used
// another configuration or cost model (run.json). Cancelling ctx stops
// between (or inside) steps with every completed step on disk.
func (r *Run) Run(ctx stdctx.Context) (*Result, error) {
	r.start = time.Now()
	if err := r.open(); err != nil {
		return nil, err
	}
	defer r.log.Close()
	if len(r.done) == 0 {
		if err := r.denseStep(ctx); err != nil {
			return nil, err
		}
	}
	for !r.finished() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.step(ctx, r.last().Step+1); err != nil {
			return nil, err
		}
	}
	return r.finish()
}

// open prepares the run directory: it resumes the run there (reading its
// completed steps and last weights) or refuses one there, records run.json
// for a run starting afresh, and opens the log for appending.
func (r *Run) open() error {
	dir := r.opt.Dir
	r.done, r.cur = nil, r.dense
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(dir, LogFile)
	if r.opt.Resume {
		done, cur, err := resumeRun(dir, r.cfg, r.dense)
		if err != nil {
			return err
		}
		r.done, r.cur = done, cur
		if len(done) > 0 {
			r.logf("resuming %s after step %d (%s)", dir, r.last().Step, formatDim(cur.Spec))
		}
	} else if _, err := os.Stat(logPath); err == nil {
		return fmt.Errorf("%w: %s (%s)", ErrRunExists, dir, LogFile)
	}
	if len(r.done) == 0 {
		if err := writeJSON(filepath.Join(dir, RunFile), r.cfg); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	r.log = f
	return nil
}

func (r *Run) last() StepLog { return r.done[len(r.done)-1] }

// finished reports whether the last completed step is the final one.
func (r *Run) finished() bool { return r.last().Step >= r.opt.Steps || r.last().Final }

// denseStep logs the dense model as step 0.
func (r *Run) denseStep(ctx stdctx.Context) error {
	l, err := r.describe(ctx, 0, r.dense, r.cfg.DenseMS)
	if err != nil {
		return err
	}
	r.logf("dense: %s, predicted %.4g ms, accuracy %.2f%%", formatDim(r.dense.Spec), r.cfg.DenseMS, 100*l.Accuracy)
	return r.record(l, nil)
}

// target is the predicted latency step must reach: the dense model's cut
// by an equal share of (1 − Target) per step.
func (r *Run) target(step int) float64 {
	return r.cfg.DenseMS * (1 - (1-r.opt.Target)*float64(step)/float64(r.opt.Steps))
}

// step is one pruning step from the last completed one: saliency,
// selection, the smaller weights, fine-tuning (with the final training
// after the last step), evaluation, and the step's log line and checkpoint.
func (r *Run) step(ctx stdctx.Context, step int) error {
	target := r.target(step)
	so := r.opt.Saliency
	so.Seed = uint64(1000+step) + seedShift*r.opt.Seed
	sal, err := Saliency(ctx, r.backend, r.cur, r.train, so)
	if err != nil {
		return err
	}
	sel, err := Select(r.cur.Spec, sal, r.opt.Groups, r.reg, r.opt.Selection, target)
	if err != nil {
		return err
	}
	next, err := r.apply(sel)
	if err != nil {
		return err
	}
	last := step == r.opt.Steps
	next, loss, err := r.fineTune(ctx, step, next, last)
	if err != nil {
		return err
	}
	l, err := r.describe(ctx, step, next, target)
	if err != nil {
		return err
	}
	l.Removed, l.TrainLoss, l.Final = groupNames(sel.Groups), loss, last
	if err := r.record(l, next); err != nil {
		return err
	}
	r.logf("step %d/%d: %s, predicted %.4g ms (%.1f%% of dense), accuracy %.2f%%, %d groups removed",
		step, r.opt.Steps, formatDim(next.Spec), l.PredictedMS, 100*l.Relative, 100*l.Accuracy, len(sel.Groups))
	r.cur = next
	return nil
}

// apply returns the current weights without the selected groups.
func (r *Run) apply(sel Selected) (*Weights, error) {
	next, err := Prune(r.cur, KeepAll(r.cur.Spec).without(sel.Groups))
	if err != nil {
		return nil, err
	}
	if dimString(next.Spec.Dim()) != dimString(sel.Spec.Dim()) {
		return nil, fmt.Errorf("pruner: internal error: pruned to %s, selected %s", formatDim(next.Spec), formatDim(sel.Spec))
	}
	return next, nil
}

// fineTune trains w after step, and after the last step trains it once
// more with Options.Final; loss is that of the last training.
func (r *Run) fineTune(ctx stdctx.Context, step int, w *Weights, last bool) (_ *Weights, loss float64, err error) {
	ft := r.opt.FineTune
	ft.Teacher = r.teacher()
	ft.Seed += uint64(step) + seedShift*r.opt.Seed
	w, tr, err := Train(ctx, r.backend, w, r.train, ft)
	if err != nil || !last || r.opt.Final.Steps <= 0 {
		return w, tr.Loss, err
	}
	fo := r.opt.Final
	fo.Teacher = r.teacher()
	fo.Seed += seedShift * r.opt.Seed
	w, fr, err := Train(ctx, r.backend, w, r.train, fo)
	return w, fr.Loss, err
}

// teacher is the model fine-tuning distils from: the dense one with
// Options.Distill, else none.
func (r *Run) teacher() *Weights {
	if r.opt.Distill {
		return r.dense
	}
	return nil
}

// describe is the log line of w after step: its predicted latency and
// counts, and its accuracy on Options.Eval.
func (r *Run) describe(ctx stdctx.Context, step int, w *Weights, target float64) (StepLog, error) {
	p, err := r.model.Latency(w.Spec)
	if err != nil {
		return StepLog{}, fmt.Errorf("pruner: cost model: %w", err)
	}
	l := StepLog{Step: step, Dim: w.Spec.Dim(), PredictedMS: p.TotalMS, Relative: p.TotalMS / r.cfg.DenseMS,
		TargetMS: target, Params: w.Spec.Params(), MACs: w.Spec.MACs(), Eta: r.opt.Eta, Selection: string(r.opt.Selection)}
	if r.opt.Eval != nil {
		ev, err := Evaluate(ctx, r.backend, w, r.opt.Eval, r.opt.EvalBatch)
		if err != nil {
			return StepLog{}, err
		}
		l.Accuracy, l.EvalLoss = ev.Accuracy, ev.Loss
	}
	return l, nil
}

// record completes a step on disk: w's checkpoint (none for the dense
// step), then the log line, synced; then the previous checkpoint goes,
// since only the last is needed to resume.
func (r *Run) record(l StepLog, w *Weights) error {
	l.ElapsedS = time.Since(r.start).Seconds()
	if w != nil {
		l.Weights = fmt.Sprintf(checkpointFormat, l.Step)
		if err := SaveTimm(filepath.Join(r.opt.Dir, l.Weights), w); err != nil {
			return err
		}
	}
	line, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := r.log.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := r.log.Sync(); err != nil {
		return err
	}
	if len(r.done) > 0 && r.last().Weights != "" && r.last().Step != l.Step {
		_ = os.Remove(filepath.Join(r.opt.Dir, r.last().Weights))
	}
	r.done = append(r.done, l)
	return nil
}

// finish writes the pruned model (pruned.safetensors, pruned.json).
func (r *Run) finish() (*Result, error) {
	if err := SaveTimm(filepath.Join(r.opt.Dir, PrunedWeights), r.cur); err != nil {
		return nil, err
	}
	a, err := arch.MarshalFile(r.cur.Spec)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(r.opt.Dir, PrunedArch), func(w io.Writer) error { _, err := w.Write(append(a, '\n')); return err }); err != nil {
		return nil, err
	}
	return &Result{Dense: r.done[0], Final: r.last(), Log: r.done, Weights: r.cur}, nil
}

// groupNames are the groups as the log names them (Group.String).
func groupNames(gs []Group) []string {
	var names []string
	for _, g := range gs {
		names = append(names, g.String())
	}
	return names
}

// formatDim is a one-line description of s's dimensions.
func formatDim(s arch.Spec) string { return dimString(s.Dim()) }

// dimString is NViT's dim object on one line (arch.Dim.String).
func dimString(d arch.Dim) string { return d.String() }
