package profiler

import (
	"fmt"
	"strings"
)

// OptionError is an option of a sweep or a measurement (PlanOptions,
// MeasureOptions, WithThreads) that cannot be used as given. Option is the
// option's name in lower case ("batch", "passes", "device"; "grid" for a
// grid that the preset and the dimension lists leave incomplete or
// invalid), so that a command line can name its own flag.
type OptionError struct {
	Option string
	Err    error
}

// Error names the option (once: Grid.Validate's errors start with "grid:")
// and what is wrong with it.
func (e *OptionError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Option+":") {
		return msg
	}
	return e.Option + ": " + msg
}

// Unwrap returns what is wrong.
func (e *OptionError) Unwrap() error { return e.Err }

// optionErrorf makes an *OptionError for option.
func optionErrorf(option, format string, args ...any) error {
	return &OptionError{Option: option, Err: fmt.Errorf(format, args...)}
}

// optionError wraps err, if not nil, as an *OptionError for option.
func optionError(option string, err error) error {
	if err == nil {
		return nil
	}
	return &OptionError{Option: option, Err: err}
}
