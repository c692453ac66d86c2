package pruner

import (
	"bytes"
	stdctx "context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
)

// Options configure a pruning run.
type Options struct {
	// Target is the predicted latency to reach, as a fraction of the dense
	// model's: the run stops once the prediction is ≤ Target × dense.
	Target float64
	// Steps is the number of pruning steps; step k cuts to
	// dense·(1 − (1−Target)·k/Steps), with fine-tuning after each.
	Steps int
	// Eta and RawEta set the regulariser (see Regularizer); Eta 0 is the
	// latency-blind baseline.
	Eta    float64
	RawEta bool
	// Selection is greedy (NViT) or knapsack (HALP).
	Selection Selection
	// Groups are the group sizes; zero means ScaledGroupSizes of the dense model.
	Groups GroupSizes
	// Saliency configures the saliency estimate of every step.
	Saliency SaliencyOptions
	// FineTune trains after every step, Final once more after the last.
	FineTune, Final TrainOptions
	// Distill adds KL distillation to the dense model during fine-tuning.
	Distill bool
	// Eval is the data every step is evaluated on (nil: no accuracy in the log).
	Eval      *Dataset
	EvalBatch int
	// Seed shifts the random streams of every step (saliency batches,
	// fine-tuning order): runs that differ only in Seed show how much of a
	// result is luck. 0 is the default streams.
	Seed uint64
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
}

// seedShift separates the streams of Options.Seed values: more than any
// step count, so that no two seeds share a step's stream.
const seedShift = 1 << 20

// DefaultOptions prunes to half the predicted latency in 5 steps.
var DefaultOptions = Options{
	Target: 0.5, Steps: 5, Eta: DefaultEta, Selection: SelectGreedy,
	Saliency:  SaliencyOptions{Batches: 8, BatchSize: 64, EMA: 0.9},
	FineTune:  TrainOptions{Steps: 60, BatchSize: 128, LR: 5e-4, MinLR: 1e-5, Warmup: 5, WeightDecay: 0.05, Seed: 2},
	Final:     TrainOptions{Steps: 150, BatchSize: 128, LR: 5e-4, MinLR: 1e-5, Warmup: 10, WeightDecay: 0.05, Seed: 3},
	EvalBatch: 500,
}

// StepLog is one line of a run's log (JSON Lines): the state after a step.
// Step 0 is the dense model; the last line of a finished run has Final set.
type StepLog struct {
	Step        int      `json:"step"`
	Final       bool     `json:"final,omitempty"`
	Dim         arch.Dim `json:"dim"`
	PredictedMS float64  `json:"predicted_ms"`
	// Relative is PredictedMS over the dense model's prediction.
	Relative  float64  `json:"relative"`
	TargetMS  float64  `json:"target_ms"`
	Params    int64    `json:"params"`
	MACs      int64    `json:"macs"`
	Removed   []string `json:"removed,omitempty"` // groups removed by this step, e.g. "mlp[b2]×16"
	TrainLoss float64  `json:"train_loss,omitempty"`
	Accuracy  float64  `json:"accuracy,omitempty"`
	EvalLoss  float64  `json:"eval_loss,omitempty"`
	Eta       float64  `json:"eta"`
	Selection string   `json:"selection"`
	Weights   string   `json:"weights,omitempty"` // checkpoint file, relative to the run directory
	ElapsedS  float64  `json:"elapsed_s"`
}

// Result is a finished run.
type Result struct {
	Dense, Final StepLog
	Log          []StepLog
	Weights      *Weights
}

// Files of a run directory.
const (
	LogFile          = "log.jsonl"
	RunFile          = "run.json"
	PrunedWeights    = "pruned.safetensors"
	PrunedArch       = "pruned.json"
	checkpointFormat = "step_%03d.safetensors"
)

// runConfig is what a resumed run must agree on.
type runConfig struct {
	Target    float64    `json:"target"`
	Steps     int        `json:"steps"`
	Eta       float64    `json:"eta"`
	RawEta    bool       `json:"raw_eta,omitempty"`
	Selection string     `json:"selection"`
	Groups    GroupSizes `json:"groups"`
	Dense     arch.Dim   `json:"dense"`
	DenseMS   float64    `json:"dense_ms"`
	Model     string     `json:"cost_model,omitempty"`
	Seed      uint64     `json:"seed,omitempty"`
}

// Run prunes dense with model as the latency predictor and train as the
// data (saliency and fine-tuning), writing into dir after every completed
// step: the step's weights (step_NNN.safetensors, timm naming), a line of
// log.jsonl, and at the end pruned.safetensors and pruned.json. With resume
// it continues the run in dir from its last completed step, refusing one
// that used another configuration or cost model (run.json). Cancelling ctx
// stops between (or inside) steps with every completed step on disk.
func Run(ctx stdctx.Context, backend backends.Backend, dense *Weights, model costmodel.Predictor, train *Dataset, opt Options, dir string, resume bool) (*Result, error) {
	start := time.Now()
	logf := opt.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := dense.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(dense, train); err != nil {
		return nil, err
	}
	if opt.Target <= 0 || opt.Target > 1 {
		return nil, fmt.Errorf("pruner: target %g must be in (0, 1]: a fraction of the dense model's predicted latency", opt.Target)
	}
	if opt.Steps < 1 {
		return nil, fmt.Errorf("pruner: steps must be at least 1, got %d", opt.Steps)
	}
	if opt.Selection == "" {
		opt.Selection = SelectGreedy
	}
	if _, err := ParseSelection(string(opt.Selection)); err != nil {
		return nil, err
	}
	if opt.Groups == (GroupSizes{}) {
		opt.Groups = ScaledGroupSizes(dense.Spec)
	}
	if err := opt.Groups.Validate(); err != nil {
		return nil, err
	}
	if opt.Eta < 0 {
		return nil, fmt.Errorf("pruner: eta must not be negative, got %g", opt.Eta)
	}
	if opt.EvalBatch <= 0 {
		opt.EvalBatch = 500
	}
	densePred, err := model.Latency(dense.Spec)
	if err != nil {
		return nil, fmt.Errorf("pruner: the cost model cannot predict the dense model: %w", err)
	}
	denseMS := densePred.TotalMS
	if err := checkReachable(model, dense.Spec, opt.Target*denseMS, denseMS); err != nil {
		return nil, err
	}
	reg := Regularizer{Model: model, Eta: opt.Eta, Raw: opt.RawEta}
	cfg := runConfig{Target: opt.Target, Steps: opt.Steps, Eta: opt.Eta, RawEta: opt.RawEta, Selection: string(opt.Selection),
		Groups: opt.Groups, Dense: dense.Spec.Dim(), DenseMS: denseMS, Seed: opt.Seed}
	if m, ok := model.(*costmodel.Model); ok {
		cfg.Model = string(m.Kind()) + " " + m.Source().Summary
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	logPath := filepath.Join(dir, LogFile)
	var done []StepLog
	cur := dense
	if resume {
		if done, cur, err = resumeRun(dir, cfg, dense); err != nil {
			return nil, err
		}
		if len(done) > 0 {
			logf("resuming %s after step %d (%s)", dir, done[len(done)-1].Step, formatDim(cur.Spec))
		}
	} else if _, err := os.Stat(logPath); err == nil {
		return nil, fmt.Errorf("%s already holds a run (%s): add --resume to continue it, or choose another output directory", dir, LogFile)
	}
	if len(done) == 0 {
		if err := writeJSON(filepath.Join(dir, RunFile), cfg); err != nil {
			return nil, err
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	record := func(l StepLog, w *Weights) error {
		l.ElapsedS = time.Since(start).Seconds()
		if w != nil {
			l.Weights = fmt.Sprintf(checkpointFormat, l.Step)
			if err := SaveTimm(filepath.Join(dir, l.Weights), w); err != nil {
				return err
			}
		}
		line, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if _, err := logFile.Write(append(line, '\n')); err != nil {
			return err
		}
		if err := logFile.Sync(); err != nil {
			return err
		}
		// Only the last checkpoint is needed to resume.
		if len(done) > 0 && done[len(done)-1].Weights != "" && done[len(done)-1].Step != l.Step {
			_ = os.Remove(filepath.Join(dir, done[len(done)-1].Weights))
		}
		done = append(done, l)
		return nil
	}
	describe := func(step int, w *Weights, target float64) (StepLog, error) {
		p, err := model.Latency(w.Spec)
		if err != nil {
			return StepLog{}, fmt.Errorf("pruner: cost model: %w", err)
		}
		l := StepLog{Step: step, Dim: w.Spec.Dim(), PredictedMS: p.TotalMS, Relative: p.TotalMS / denseMS,
			TargetMS: target, Params: w.Spec.Params(), MACs: w.Spec.MACs(), Eta: opt.Eta, Selection: string(opt.Selection)}
		if opt.Eval != nil {
			ev, err := Evaluate(ctx, backend, w, opt.Eval, opt.EvalBatch)
			if err != nil {
				return StepLog{}, err
			}
			l.Accuracy, l.EvalLoss = ev.Accuracy, ev.Loss
		}
		return l, nil
	}

	if len(done) == 0 {
		l, err := describe(0, dense, denseMS)
		if err != nil {
			return nil, err
		}
		logf("dense: %s, predicted %.4g ms, accuracy %.2f%%", formatDim(dense.Spec), denseMS, 100*l.Accuracy)
		if err := record(l, nil); err != nil {
			return nil, err
		}
	}
	var teacher *Weights
	if opt.Distill {
		teacher = dense
	}
	for step := done[len(done)-1].Step + 1; step <= opt.Steps && !done[len(done)-1].Final; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		target := denseMS * (1 - (1-opt.Target)*float64(step)/float64(opt.Steps))
		so := opt.Saliency
		so.Seed = uint64(1000+step) + seedShift*opt.Seed
		sal, err := Saliency(ctx, backend, cur, train, so)
		if err != nil {
			return nil, err
		}
		sel, err := Select(cur.Spec, sal, opt.Groups, reg, opt.Selection, target)
		if err != nil {
			return nil, err
		}
		keep := KeepAll(cur.Spec)
		var removed []string
		for _, g := range sel.Groups {
			removed = append(removed, g.String())
		}
		keep = keep.without(sel.Groups)
		next, err := Prune(cur, keep)
		if err != nil {
			return nil, err
		}
		if dimString(next.Spec.Dim()) != dimString(sel.Spec.Dim()) {
			return nil, fmt.Errorf("pruner: internal error: pruned to %s, selected %s", formatDim(next.Spec), formatDim(sel.Spec))
		}
		ft := opt.FineTune
		last := step == opt.Steps
		ft.Teacher = teacher
		ft.Seed += uint64(step) + seedShift*opt.Seed
		var tr TrainResult
		next, tr, err = Train(ctx, backend, next, train, ft)
		if err != nil {
			return nil, err
		}
		if last && opt.Final.Steps > 0 {
			fo := opt.Final
			fo.Teacher = teacher
			fo.Seed += seedShift * opt.Seed
			var fr TrainResult
			if next, fr, err = Train(ctx, backend, next, train, fo); err != nil {
				return nil, err
			}
			tr.Loss = fr.Loss
		}
		l, err := describe(step, next, target)
		if err != nil {
			return nil, err
		}
		l.Removed, l.TrainLoss, l.Final = removed, tr.Loss, last
		if err := record(l, next); err != nil {
			return nil, err
		}
		logf("step %d/%d: %s, predicted %.4g ms (%.1f%% of dense), accuracy %.2f%%, %d groups removed",
			step, opt.Steps, formatDim(next.Spec), l.PredictedMS, 100*l.Relative, 100*l.Accuracy, len(sel.Groups))
		cur = next
	}
	if err := SaveTimm(filepath.Join(dir, PrunedWeights), cur); err != nil {
		return nil, err
	}
	a, err := arch.MarshalFile(cur.Spec)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(filepath.Join(dir, PrunedArch), func(w io.Writer) error { _, err := w.Write(append(a, '\n')); return err }); err != nil {
		return nil, err
	}
	return &Result{Dense: done[0], Final: done[len(done)-1], Log: done, Weights: cur}, nil
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

// ReadLog reads a run's log, ignoring a torn last line.
func ReadLog(path string) ([]StepLog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	logs, _, err := parseLog(data, path)
	return logs, err
}

// parseLog decodes the lines of a run's log. A last line that does not
// decode is a step that did not complete (a kill mid-write) and is skipped;
// any other bad line is an error naming path and line. keep is the length of
// the prefix of data holding the decoded lines, including the newline of
// each that has one.
func parseLog(data []byte, path string) (logs []StepLog, keep int, err error) {
	for line := 1; keep < len(data); line++ {
		next := len(data)
		text := data[keep:]
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			text, next = text[:i], keep+i+1
		}
		var l StepLog
		if err := json.Unmarshal(text, &l); err != nil {
			if next == len(data) {
				break // a torn last line: the step did not complete
			}
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		logs = append(logs, l)
		keep = next
	}
	return logs, keep, nil
}

// repairLog reads the log of a run being resumed and cuts it back to the end
// of the last step it keeps, so that the next append starts a fresh line
// instead of gluing onto a torn one (which would make the log unreadable
// for every later resume). A last step that lacks only its newline gets one.
// A missing log holds no steps.
func repairLog(path string) ([]StepLog, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	logs, keep, err := parseLog(data, path)
	if err != nil {
		return nil, err
	}
	if keep == len(data) && (keep == 0 || data[keep-1] == '\n') {
		return logs, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(int64(keep)); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	if keep > 0 && data[keep-1] != '\n' {
		if _, err := f.WriteAt([]byte("\n"), int64(keep)); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	return logs, f.Close()
}

// resumeRun reads the completed steps of the run in dir and the weights of
// the last one, checking the run's configuration and cost model match, and
// cuts the log back to those steps.
func resumeRun(dir string, cfg runConfig, dense *Weights) ([]StepLog, *Weights, error) {
	var have runConfig
	logPath := filepath.Join(dir, LogFile)
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(logPath); err == nil {
			return nil, nil, fmt.Errorf("%s holds %s but no %s: the run's configuration is lost, so it cannot be resumed; remove the directory or choose another", dir, LogFile, RunFile)
		}
		return nil, dense, nil // nothing to resume: start afresh
	}
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(data, &have); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", RunFile, err)
	}
	if have.Target != cfg.Target || have.Steps != cfg.Steps || have.Eta != cfg.Eta || have.RawEta != cfg.RawEta ||
		have.Selection != cfg.Selection || have.Groups != cfg.Groups || dimString(have.Dense) != dimString(cfg.Dense) ||
		have.Seed != cfg.Seed {
		return nil, nil, fmt.Errorf("%s: the run there used target %g, %d steps, eta %g, %s selection, groups %+v, seed %d on %s; this one asks for target %g, %d steps, eta %g, %s, groups %+v, seed %d on %s",
			dir, have.Target, have.Steps, have.Eta, have.Selection, have.Groups, have.Seed, dimString(have.Dense),
			cfg.Target, cfg.Steps, cfg.Eta, cfg.Selection, cfg.Groups, cfg.Seed, dimString(cfg.Dense))
	}
	if err := sameCostModel(have, cfg); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	logs, err := repairLog(logPath)
	if err != nil {
		return nil, nil, err
	}
	if len(logs) == 0 {
		return nil, dense, nil
	}
	last := logs[len(logs)-1]
	if last.Weights == "" {
		return logs, dense, nil
	}
	blocks, err := last.Dim.Blocks()
	if err != nil {
		return nil, nil, err
	}
	s := dense.Spec.Clone()
	s.EMB, s.Blocks = last.Dim.EMB, blocks
	w, err := LoadTimm(filepath.Join(dir, last.Weights), &s)
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	return logs, w, nil
}

// denseMSTolerance is the relative difference in the dense model's predicted
// latency that a resumed run accepts: room for float rounding, none for
// another cost model.
const denseMSTolerance = 1e-9

// sameCostModel refuses to resume a run under another cost model than the
// one it started with: its targets are fractions of that model's dense
// latency, and its steps were selected with that model's marginals.
func sameCostModel(have, cfg runConfig) error {
	diff := math.Abs(have.DenseMS - cfg.DenseMS)
	if have.Model == cfg.Model && diff <= denseMSTolerance*max(math.Abs(have.DenseMS), math.Abs(cfg.DenseMS)) {
		return nil
	}
	return fmt.Errorf("the run there used cost model %q predicting the dense model at %v ms; this one uses %q predicting %v ms",
		have.Model, have.DenseMS, cfg.Model, cfg.DenseMS)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err })
}

// String describes g, e.g. "mlp[b2]×16" or "emb×4".
func (g Group) String() string {
	if g.Dim == arch.DimEMB {
		return fmt.Sprintf("emb×%d", len(g.Units))
	}
	return fmt.Sprintf("%s[b%d]×%d", g.Dim, g.Block, len(g.Units))
}

// without removes the groups' units from k (indices into the model k keeps
// all of).
func (k Keep) without(groups []Group) Keep {
	drop := map[axisRole][]int{}
	for _, g := range groups {
		r := axisRole{Dim: g.Dim, Block: max(g.Block, 0)}
		if g.Dim == arch.DimEMB {
			r.Block = 0
		}
		drop[r] = append(drop[r], g.Units...)
	}
	filter := func(idx []int, r axisRole) []int {
		d := drop[r]
		out := make([]int, 0, len(idx))
		for _, x := range idx {
			if !contains(d, x) {
				out = append(out, x)
			}
		}
		return out
	}
	out := Keep{EMB: filter(k.EMB, axisRole{Dim: arch.DimEMB})}
	for b := range k.Heads {
		heads := filter(k.Heads[b], axisRole{arch.DimHeads, b})
		qk, v := filter(k.QK[b], axisRole{arch.DimQK, b}), filter(k.V[b], axisRole{arch.DimV, b})
		if len(heads) == 0 {
			qk, v = nil, nil
		}
		out.Heads = append(out.Heads, heads)
		out.QK = append(out.QK, qk)
		out.V = append(out.V, v)
		out.MLP = append(out.MLP, filter(k.MLP[b], axisRole{arch.DimMLP, b}))
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// formatDim is a one-line description of s's dimensions.
func formatDim(s arch.Spec) string { return dimString(s.Dim()) }

// dimString is NViT's dim object on one line (arch.Dim.String).
func dimString(d arch.Dim) string { return d.String() }
