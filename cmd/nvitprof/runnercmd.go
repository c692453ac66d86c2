package main

import (
	"os"

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
		Action: runRunner,
	}
}

func runRunner(c *cli.Context) error {
	return profiler.ServeGoMLX(c.Context, os.Stdin, c.App.Writer, c.String("device"), profiler.DeviceOptions{Plugin: c.String("plugin")}, version)
}
