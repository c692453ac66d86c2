package profiler

import (
	"context"
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ModelTiming is a whole-model forward pass measured two ways.
type ModelTiming struct {
	// Wall is one execution of one model as the host sees it: device time
	// plus host dispatch, transfers of the inputs and the read of the result.
	Wall Timing
	// Device is the per-model time from differential stacking (one and two
	// copies of the model in one graph): dispatch cancels out.
	Device Timing
	Batch  int
	// Estimator is how samples became the latencies (tablefmt.EstimatorMedian or EstimatorMin).
	Estimator string
	// Clock timed the device time (tablefmt.ClockWall or ClockCPU); the
	// wall time is always the wall clock's.
	Clock string
}

// Overhead is the wall time not spent on the device: dispatch and sync.
func (t ModelTiming) Overhead() float64 { return t.Wall.Estimate - t.Device.Estimate }

// ImagesPerSecond is the throughput implied by the device time.
func (t ModelTiming) ImagesPerSecond() float64 {
	if t.Device.Estimate <= 0 {
		return 0
	}
	return float64(t.Batch) / (t.Device.Estimate / 1000)
}

// ModelHeader is the table header that measuring s on dev with batch and
// dtype implies.
func ModelHeader(dev *Device, s arch.Spec, batch int, dtype string, t TimingOptions) tablefmt.Header {
	return tablefmt.Header{Version: tablefmt.FormatVersion, Device: dev.Name, DeviceKind: dev.Kind,
		DeviceName: dev.Hardware, Runtime: "gomlx", Backend: dev.Backend.Name(), Plugin: dev.Plugin,
		PluginVersion: dev.PluginVersion, DType: dtype, Batch: batch, Tokens: s.Tokens(),
		Image: s.Image, Patch: s.Patch, Channels: s.Channels, Classes: s.Classes,
		Method: tablefmt.Method{Name: "differential", Depths: []int{ModelDepths[0], ModelDepths[1]},
			Warmup: t.Warmup, Samples: t.Samples, NoiseThreshold: t.NoiseThreshold, Estimator: t.Estimator, Clock: t.Clock}}
}

// MeasureModel times the forward pass of s on m's device, both per
// execution and as device time.
func (m *GoMLXMeasurer) MeasureModel(ctx context.Context, s arch.Spec) (ModelTiming, error) {
	if err := s.Validate(); err != nil {
		return ModelTiming{}, err
	}
	if s.Tokens() != m.hdr.Tokens || s.Image != m.hdr.Image {
		return ModelTiming{}, fmt.Errorf("measure: %s has %d tokens of %d² images, the measurer %d of %d²", s.Name, s.Tokens(), s.Image, m.hdr.Tokens, m.hdr.Image)
	}
	d := s.Dim()
	p, err := m.Prepare(ctx, tablefmt.Row{Kind: tablefmt.KindModel, Name: s.Name, EMB: s.EMB, Dim: &d})
	if err != nil {
		return ModelTiming{}, err
	}
	defer p.Close()
	gp := p.(*gomlxPrepared)
	wallTiming := m.timing
	wallTiming.Clock = tablefmt.ClockWall // what the host sees, dispatch and all
	wall, err := TimeDirect(ctx, gp.run(0), wallTiming)
	if err != nil {
		return ModelTiming{}, err
	}
	dev, err := TimeDifferential(ctx, gp.run(0), gp.run(1), gp.depths[0], gp.depths[1], m.timing)
	if err != nil {
		return ModelTiming{}, err
	}
	return ModelTiming{Wall: wall, Device: dev, Batch: m.hdr.Batch, Estimator: m.hdr.Method.EstimatorName(),
		Clock: m.hdr.Method.ClockName()}, nil
}
