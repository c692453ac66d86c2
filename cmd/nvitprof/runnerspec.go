package main

import (
	"errors"

	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/runners/pytorch"
	"github.com/urfave/cli/v2"
)

// runnerOptions sets opts' runner from --runner: the built-in PyTorch runner
// ("pytorch" or "pytorch:OPTIONS"), whose device is known before it starts,
// or any other command line. A PyTorch runner on the CPU takes --threads
// (one by default) and, with one thread, the CPU clock.
func runnerOptions(c *cli.Context, opts *profiler.PlanOptions) error {
	spec := c.String("runner")
	if !pytorch.IsSpec(spec) {
		return nil
	}
	o, err := pytorch.ParseSpec(spec)
	if err != nil {
		return usagef("--runner: %v", err)
	}
	if c.IsSet("threads") {
		o.Threads = c.Int("threads")
	}
	cmd, err := pytorch.NewCommand(c.Context, o)
	if errors.Is(err, pytorch.ErrSpec) {
		return usagef("--runner: %v", err)
	}
	if err != nil {
		return err
	}
	opts.Runner, opts.RunnerKind = cmd.Argv, cmd.DeviceKind
	opts.Threads = nil // the runner's threads, not this process's
	if cmd.DeviceKind == pytorch.KindCPU && o.Threads == 1 {
		opts.Threads = new(1) // the CPU clock's default applies
	}
	return nil
}
