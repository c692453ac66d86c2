package main

import (
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// runnerCmd serves the external-runner protocol with nvitprof's own GoMLX
// graphs: what `sweep` starts per GPU and per compiling worker.
func runnerCmd() *cli.Command {
	return &cli.Command{
		Name:   "runner",
		Usage:  "measure configurations sent as JSON Lines on stdin (the external-runner protocol; used by sweep)",
		Hidden: true,
		Flags:  []cli.Flag{deviceFlag, pluginFlag},
		Action: func(c *cli.Context) error {
			var dev *profiler.Device
			defer func() { dev.Close() }()
			return profiler.ServeRunner(c.Context, os.Stdin, c.App.Writer, func(h tablefmt.Header) (profiler.Measurer, profiler.RunnerHello, error) {
				var err error
				dev, err = profiler.OpenDevice(c.String("device"), profiler.DeviceOptions{Plugin: c.String("plugin")})
				if err != nil {
					return nil, profiler.RunnerHello{}, err
				}
				m, err := profiler.NewGoMLXMeasurer(dev, h)
				if err != nil {
					return nil, profiler.RunnerHello{}, err
				}
				return m, profiler.RunnerHello{DeviceName: dev.Hardware, Runtime: "gomlx", Backend: dev.Backend.Name(),
					Version: fmt.Sprintf("nvitprof %s %s", version, dev.PluginVersion)}, nil
			})
		},
	}
}
