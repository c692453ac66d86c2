package profiler

import (
	"errors"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

// tinyModel is a two-block ViT on 16² images that the CPU measures in a blink.
var tinyModel = arch.Spec{Name: "tiny", Image: 16, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: 32,
	Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 8, V: 8, MLP: 64})}

func TestMeasureModelOnCPU(t *testing.T) {
	m, err := MeasureModel(t.Context(), tinyModel, MeasureOptions{Batch: new(2), Warmup: new(1), Samples: new(3), Threads: new(1)})
	if err != nil {
		t.Fatal(err)
	}
	tm := m.Timing
	// The CPU takes the floor, pooling a retry's samples when the first did not confirm it; the
	// speed gate keeps 1 to GateTries times the samples a round (SpeedGate).
	if m.Device != "cpu" || m.DType != "float32" || tm.Batch != 2 || tm.Estimator != "min" ||
		tm.Device.N < 1 || tm.Device.N > 3*GateTries*(1+DefaultTiming.Retries) || tm.Wall.Estimate <= 0 || m.Hardware == "" {
		t.Errorf("measurement %+v", m)
	}
}

func TestMeasureModelOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opts   MeasureOptions
		option string
	}{
		{MeasureOptions{Device: "tpu:0"}, "device"},
		{MeasureOptions{Batch: new(0)}, "batch"},
		{MeasureOptions{Warmup: new(-1)}, "warmup"},
		{MeasureOptions{Samples: new(0)}, "samples"},
		{MeasureOptions{DType: "int8"}, "dtype"},
		{MeasureOptions{Estimator: "mean"}, "estimator"},
		{MeasureOptions{Threads: new(-1)}, "threads"},
	} {
		_, err := MeasureModel(t.Context(), tinyModel, tc.opts)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != tc.option {
			t.Errorf("%+v: %v; want an *OptionError for %s", tc.opts, err, tc.option)
		}
	}
}

func TestDefaultsPerDeviceKind(t *testing.T) {
	for _, tc := range []struct{ kind, dtype, estimator string }{
		{KindCPU, "float32", "min"}, {KindCUDA, "bfloat16", ""}, {KindExternal, "bfloat16", ""},
	} {
		if d, e := DefaultDType(tc.kind), DefaultEstimator(tc.kind); d != tc.dtype || e != tc.estimator {
			t.Errorf("%s: %s and %q, want %s and %q", tc.kind, d, e, tc.dtype, tc.estimator)
		}
	}
}

// The CPU is always there; no GPU is an entry saying why, not an error.
func TestListDevices(t *testing.T) {
	list, err := ListDevices(DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 2 || list[0].Name != KindCPU || list[0].Backend == "" || list[0].Hardware == "" {
		t.Fatalf("devices %+v", list)
	}
	if gpu := list[1]; gpu.Err == nil && gpu.Name != "cuda:0" || gpu.Err != nil && gpu.Name != KindCUDA {
		t.Errorf("second entry %+v: want cuda:0, or cuda with why not", gpu)
	}
}
