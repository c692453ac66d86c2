package profiler

import (
	"context"
	"fmt"
	"io"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ServeGoMLX is a runner of nvitprof's own: it serves the external-runner
// protocol (RunnerProtocol) on in and out, measuring with nvitprof's GoMLX
// graphs on device, which it opens with opts when the hello arrives and
// closes at the end. version is nvitprof's, for the hello. A sweep starts
// one per GPU and compiling worker (PlanOptions.WorkerCommand).
func ServeGoMLX(ctx context.Context, in io.Reader, out io.Writer, device string, opts DeviceOptions, version string) error {
	var dev *Device
	defer func() { dev.Close() }()
	return ServeRunner(ctx, in, out, func(h tablefmt.Header) (Measurer, RunnerHello, error) {
		var err error
		if dev, err = OpenDevice(device, opts); err != nil {
			return nil, RunnerHello{}, err
		}
		m, err := NewGoMLXMeasurer(dev, h)
		if err != nil {
			return nil, RunnerHello{}, err
		}
		return m, RunnerHello{DeviceName: dev.Hardware, Runtime: "gomlx", Backend: dev.Backend.Name(),
			Version: fmt.Sprintf("nvitprof %s %s", version, dev.PluginVersion)}, nil
	})
}
