package main

import (
	"errors"

	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

// intFlag is the value of an int flag when it is given, nil (profiler's
// default) when not.
func intFlag(c *cli.Context, name string) *int {
	if !c.IsSet(name) {
		return nil
	}
	return new(c.Int(name))
}

// optionUsage makes a *profiler.OptionError a usage error naming its flag,
// which is the option's name; other errors pass as they are.
func optionUsage(err error) error {
	var oe *profiler.OptionError
	switch {
	case !errors.As(err, &oe):
		return err
	case oe.Option == "grid": // Grid.Validate's errors name the dimension
		return usageError{oe.Err}
	}
	return usagef("--%s: %v", oe.Option, oe.Err)
}
