package pruner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/nvitprof/nvitprof/arch"
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
