package costmodel

import "github.com/nvitprof/nvitprof/arch"

// LatencyFunc adapts p to the latency function package arch takes
// (arch.Family, arch.Snap): the whole-model latency p predicts, in ms.
func LatencyFunc(p Predictor) arch.LatencyFunc {
	return func(s arch.Spec) (float64, error) {
		pr, err := p.Latency(s)
		if err != nil {
			return 0, err
		}
		return pr.TotalMS, nil
	}
}
