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
		Name:   "devices",
		Usage:  "list the devices nvitprof can measure on",
		Flags:  []cli.Flag{pluginFlag},
		Action: runDevices,
	}
}

func runDevices(c *cli.Context) error {
	list, err := profiler.ListDevices(profiler.DeviceOptions{Plugin: c.String("plugin")})
	if err != nil {
		return err
	}
	w := c.App.Writer
	for _, d := range list {
		switch {
		case d.Err != nil: // no GPU is a normal answer here, not a failure
			fmt.Fprintf(w, "%s\tnot available: %v\n", d.Name, d.Err)
		case d.Name == profiler.KindCPU:
			fmt.Fprintf(w, "%s\tbackend %s\t%s\n", d.Name, d.Backend, d.Hardware)
		default:
			fmt.Fprintf(w, "%s\tbackend %s\t%s\tplugin %s (%s)\n", d.Name, d.Backend, d.Hardware, d.Plugin, d.PluginVersion)
		}
	}
	return nil
}
