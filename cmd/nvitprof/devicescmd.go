package main

import (
	"fmt"

	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// pluginFlag names an explicit CUDA PJRT plugin.
var pluginFlag = &cli.StringFlag{
	Name:    "plugin",
	Usage:   "CUDA PJRT plugin `PATH` (default: searched in $PJRT_PLUGIN_LIBRARY_PATH, go-xla's folders, Python site-packages)",
	EnvVars: []string{profiler.PluginEnv},
}

func devicesCmd() *cli.Command {
	return &cli.Command{
		Name:  "devices",
		Usage: "list the devices nvitprof can measure on",
		Flags: []cli.Flag{pluginFlag},
		Action: func(c *cli.Context) error {
			w := c.App.Writer
			cpu, err := profiler.OpenDevice("cpu", profiler.DeviceOptions{})
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "cpu\tbackend %s\t%s\n", cpu.Backend.Name(), cpu.Hardware)
			cpu.Close()

			gpu, err := profiler.OpenDevice("cuda:0", profiler.DeviceOptions{Plugin: c.String("plugin")})
			if err != nil {
				// No GPU is a normal answer here, not a failure.
				fmt.Fprintf(w, "cuda\tnot available: %v\n", err)
				return nil
			}
			defer gpu.Close()
			for i := 0; i < gpu.Backend.NumDevices(); i++ {
				fmt.Fprintf(w, "cuda:%d\tbackend %s\t%s\tplugin %s (%s)\n",
					i, gpu.Backend.Name(), gpu.HardwareOf(i), gpu.Plugin, gpu.PluginVersion)
			}
			return nil
		},
	}
}
