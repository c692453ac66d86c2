package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// adaptiveFlags make a sweep adaptive.
func adaptiveFlags() []cli.Flag {
	const cat = "Adaptive"
	return []cli.Flag{
		&cli.Float64Flag{Name: "accuracy", Category: cat, Usage: "measure only until 95% of a validation sample, measured for that and never fitted, is predicted within ±`P` percent: a design over every axis first, then where the cost model is least sure"},
		&cli.StringFlag{Name: "budget", Category: cat, Usage: "adaptive: measure at most `N` configurations (validation, rest and models included), or for at most a time such as 5m"},
		&cli.IntFlag{Name: "holdout", Category: cat, Usage: "adaptive: size of the validation sample (default: a tenth of the configurations it is drawn from, 5 to 60)"},
		&cli.StringFlag{Name: "prior", Category: cat, Usage: "adaptive: start from the latency table `FILE` of another device or batch on an overlapping grid, fitting a smooth correction of it"},
	}
}

// adaptiveOptions reads the adaptive flags: nil when none is given.
func adaptiveOptions(c *cli.Context) (*profiler.AdaptiveOptions, error) {
	if !c.IsSet("accuracy") && !c.IsSet("budget") && !c.IsSet("holdout") && !c.IsSet("prior") {
		return nil, nil
	}
	a := &profiler.AdaptiveOptions{AccuracyPct: c.Float64("accuracy"), Holdout: c.Int("holdout")}
	if c.IsSet("accuracy") && !(a.AccuracyPct > 0) {
		return nil, usagef("--accuracy %g: want a percentage above 0 and below 100", a.AccuracyPct)
	}
	if s := c.String("budget"); s != "" {
		n, d, err := parseBudget(s)
		if err != nil {
			return nil, usageError{err}
		}
		a.Budget, a.Time = n, d
	}
	if path := c.String("prior"); path != "" {
		o, err := tablefmt.Open(path, tablefmt.OpenOptions{})
		if err != nil {
			return nil, fmt.Errorf("--prior: %w", err)
		}
		a.Prior, a.PriorPath = &o.Table, path
	}
	return a, nil
}

// parseBudget reads a budget: a positive number of configurations, or a
// positive duration ("90s", "5m").
func parseBudget(s string) (int, time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 {
			return 0, 0, fmt.Errorf("--budget %q: want a positive number of configurations or a time such as 5m", s)
		}
		return n, 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("--budget %q: want a positive number of configurations or a time such as 5m", s)
	}
	return 0, d, nil
}

// adaptiveUsage adds the flag hints to an adaptive sweep's planning errors.
func adaptiveUsage(err error) error {
	var oe *profiler.OptionError
	if errors.As(err, &oe) && oe.Option == "shard" && errors.Is(err, profiler.ErrAdaptiveShards) {
		return usagef("--shard with --accuracy or --budget: %v", profiler.ErrAdaptiveShards)
	}
	return err
}

// printAdaptive ends an adaptive sweep's output with its result.
func printAdaptive(w io.Writer, res profiler.RunResult) {
	if res.Adaptive != nil {
		fmt.Fprintln(w, res.Adaptive)
	}
}
