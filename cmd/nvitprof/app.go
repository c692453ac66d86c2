package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is stamped into tables and reports; overridden with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks a mistake in how nvitprof was called (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is main without the process: tests call it with their own writers.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return newApp(stdout, stderr).RunContext(ctx, args)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "nvitprof",
		Usage:   "latency profiler, cost model and latency-aware pruner for Vision Transformers",
		Version: version,
		Description: "nvitprof measures how fast ViT building blocks run on a device (--device cpu uses\n" +
			"GoMLX's pure-Go backend; --device cuda:N uses XLA with a CUDA PJRT plugin), turns the\n" +
			"measurements into latency tables and cost models, and uses them to prune and generate ViTs.\n" +
			"Output files are written atomically (a failed or killed write leaves the old file), and an\n" +
			"existing one is refused unless --force is given (sweep continues a table with --resume).",
		Writer:    stdout,
		ErrWriter: stderr,
		// In the order of the workflow: measure, model, generate and plot, prune.
		Commands: []*cli.Command{
			quickstartCmd(),
			devicesCmd(), archCmd(), measureCmd(),
			sweepCmd(), mergeCmd(), runnerCmd(),
			fitCmd(), evalCmd(), predictCmd(), exportCmd(),
			generateCmd(), paretoCmd(), reportCmd(),
			trainCmd(), pruneCmd(), pruneCompareCmd(), trendsCmd(), inferCmd(), demoCmd(),
		},
		// Errors are returned to main, which prints one line and picks the
		// exit code; cli must not exit by itself (it would skip deferred flushes).
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		HideHelpCommand: true,
		// No command is a usage error, as an unknown command is: the help
		// goes to stderr and the exit code is 2.
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q (see nvitprof --help)", c.Args().First())
			}
			c.App.Writer = c.App.ErrWriter
			_ = cli.ShowAppHelp(c)
			return usagef("no command given")
		},
	}
	for _, cmd := range app.Commands {
		strictCommand(cmd)
	}
	return app
}

// strictCommand makes cmd and its subcommands answer a bad flag with one line
// and refuse positional arguments unless they declare some (ArgsUsage): an
// argument nobody reads is a mistake, often a flag placed after it.
func strictCommand(cmd *cli.Command) {
	// A bad flag is one line (see `--help`), not a page of help.
	cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageError{fmt.Errorf("%w (see --help)", err)}
	}
	for _, sub := range cmd.Subcommands {
		strictCommand(sub)
	}
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		cmd.Action = func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown %s command %q (see nvitprof %s --help)", cmd.Name, c.Args().First(), cmd.Name)
			}
			c.App.Writer = c.App.ErrWriter
			_ = cli.ShowSubcommandHelp(c)
			return usagef("%s: no command given", cmd.Name)
		}
	}
	if cmd.ArgsUsage != "" || len(cmd.Subcommands) > 0 {
		return
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usagef("%s takes no arguments, got %q (flags go before arguments; see --help)", cmd.Name, c.Args().First())
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// exitCode prints err as one line and maps it to the process exit code.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	msg := strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " "))
	fmt.Fprintf(stderr, "nvitprof: %s\n", msg)
	var u usageError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &u), isFlagError(err):
		return exitUsage
	}
	return exitFailure
}

// isFlagError recognises the flag package's and cli's own parse errors.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"flag provided but not defined", "invalid value", "Required flag", "flag needs an argument", "No help topic"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
