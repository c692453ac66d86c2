package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// trajectoryLine is one step of a pruning log: nvitprof prune's log.jsonl
// (predicted_ms, accuracy as a fraction, target_ms), or a hand-made file of
// TrajectoryStep (latency_ms, accuracy in %).
type trajectoryLine struct {
	Step        int      `json:"step"`
	LatencyMS   *float64 `json:"latency_ms"`
	PredictedMS *float64 `json:"predicted_ms"`
	Accuracy    *float64 `json:"accuracy"`
	Params      int64    `json:"params"`
	TargetMS    float64  `json:"target_ms"`
}

// ReadTrajectory reads a pruning log from r, JSON lines or one JSON array,
// in either of two forms: the pruner's log (predicted_ms, accuracy as a
// fraction, target_ms) or TrajectoryStep's (latency_ms, accuracy in %).
// Accuracy comes back in %, NaN where a step has none; the pruner's
// latencies are marked LatencyPredicted. name is r's file name, for
// messages.
func ReadTrajectory(r io.Reader, name string) (Trajectory, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Trajectory{}, fmt.Errorf("%s: %w", name, err)
	}
	var lines []trajectoryLine
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		err = json.Unmarshal(trimmed, &lines)
	} else {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for dec.More() {
			var l trajectoryLine
			if err = dec.Decode(&l); err != nil {
				break
			}
			lines = append(lines, l)
		}
	}
	if err != nil {
		return Trajectory{}, fmt.Errorf("%s: %w", name, err)
	}
	var tr Trajectory
	for _, l := range lines {
		s := TrajectoryStep{Step: l.Step, Params: l.Params, Accuracy: math.NaN()}
		switch {
		case l.LatencyMS != nil:
			s.LatencyMS = *l.LatencyMS
			if l.Accuracy != nil {
				s.Accuracy = *l.Accuracy
			}
		case l.PredictedMS != nil: // the pruner's log: accuracy is a fraction
			s.LatencyMS = *l.PredictedMS
			if l.Accuracy != nil {
				s.Accuracy = 100 * *l.Accuracy
			}
			tr.TargetMS, tr.Latency = l.TargetMS, LatencyPredicted
		default:
			return Trajectory{}, fmt.Errorf("%s: step %d has neither latency_ms nor predicted_ms", name, l.Step)
		}
		tr.Steps = append(tr.Steps, s)
	}
	if len(tr.Steps) == 0 {
		return Trajectory{}, fmt.Errorf("%s: no steps", name)
	}
	return tr, nil
}
