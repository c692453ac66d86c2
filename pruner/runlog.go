package pruner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/arch"
)

// Files of a run directory.
const (
	LogFile          = "log.jsonl"
	RunFile          = "run.json"
	PrunedWeights    = "pruned.safetensors"
	PrunedArch       = "pruned.json"
	checkpointFormat = "step_%03d.safetensors"
)

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
