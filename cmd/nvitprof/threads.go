package main

import (
	"os"
	"runtime"
	"strconv"

	"github.com/urfave/cli/v2"
)

// threadsFlag limits the threads that run graphs on the CPU device.
var threadsFlag = &cli.IntFlag{
	Name:  "threads",
	Value: 1,
	Usage: "CPU device only: threads running the graphs (GOMAXPROCS; 0 = every core). " +
		"One thread repeats from run to run on a shared machine where several do not " +
		"(README, \"Measuring on the CPU\"); a GOMAXPROCS set in the environment is kept unless --threads is given",
}

// limitThreads sets GOMAXPROCS to --threads while measuring on the CPU and
// returns the function that restores it. The variable is exported too, so
// runner processes measure with the same threads. Off the CPU it does nothing.
func limitThreads(c *cli.Context, cpu bool) (restore func(), err error) {
	n := c.Int("threads")
	if n < 0 || n > runtime.NumCPU() {
		return nil, usagef("--threads %d: want 0 (every core) to %d", n, runtime.NumCPU())
	}
	if !cpu || (!c.IsSet("threads") && os.Getenv("GOMAXPROCS") != "") {
		return func() {}, nil
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	env, hadEnv := os.LookupEnv("GOMAXPROCS")
	old := runtime.GOMAXPROCS(n)
	_ = os.Setenv("GOMAXPROCS", strconv.Itoa(n))
	return func() {
		runtime.GOMAXPROCS(old)
		if hadEnv {
			_ = os.Setenv("GOMAXPROCS", env)
		} else {
			_ = os.Unsetenv("GOMAXPROCS")
		}
	}, nil
}

// withThreads runs fn with the threads of --threads (limitThreads).
func withThreads(c *cli.Context, cpu bool, fn func() error) error {
	restore, err := limitThreads(c, cpu)
	if err != nil {
		return err
	}
	defer restore()
	return fn()
}

// withCategory is f in a help category (flags are shared between commands).
func withCategory(f *cli.IntFlag, category string) *cli.IntFlag {
	g := *f
	g.Category = category
	return &g
}
