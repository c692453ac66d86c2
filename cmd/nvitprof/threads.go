package main

import (
	"os"

	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// threadsFlag limits the threads that run graphs on the CPU device.
var threadsFlag = &cli.IntFlag{
	Name:  "threads",
	Value: 1,
	Usage: "CPU device only: threads running the graphs (GOMAXPROCS; 0 = every core). " +
		"One thread repeats from run to run on a shared machine where several do not; " +
		"a GOMAXPROCS set in the environment is kept unless --threads is given",
}

// threadsOption is --threads as profiler takes it: nil, leaving GOMAXPROCS
// alone, when the flag is not given and $GOMAXPROCS is set.
func threadsOption(c *cli.Context) *int {
	if !c.IsSet("threads") && os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	return new(c.Int("threads"))
}

// withThreads runs fn with the threads of --threads when measuring on the
// CPU (profiler.WithThreads).
func withThreads(c *cli.Context, cpu bool, fn func() error) error {
	if n := threadsOption(c); cpu && n != nil {
		return optionUsage(profiler.WithThreads(*n, fn))
	}
	return fn()
}

// withCategory is f in a help category (flags are shared between commands).
func withCategory(f *cli.IntFlag, category string) *cli.IntFlag {
	g := *f
	g.Category = category
	return &g
}

// clockFlag chooses the clock that times executions, in a help category.
func clockFlag(category string) cli.Flag {
	return &cli.StringFlag{Name: "clock", Category: category,
		Usage: "what times executions: wall, or cpu (the process's CPU clock: time other programs hold the core does not count; " +
			"one thread on the CPU only, and its default there)"}
}
