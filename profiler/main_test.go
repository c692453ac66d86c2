package profiler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// The test binary stands in for the processes a sweep deals with, chosen by
// environment variables, instead of running the tests:
//   - $NVITPROF_FAKE_RUNNER: a runner that breaks the protocol in ways
//     formularunner does not (fakeRunner);
//   - $NVITPROF_TEST_WORKER: nvitprof's own runner on that device
//     (ServeGoMLX), as PlanOptions.WorkerCommand starts;
//   - $NVITPROF_TEST_SWEEP: a sweep of tinyCPU into that path, stopped by
//     SIGINT as Ctrl-C would (exit 130), for tests that kill it.
func TestMain(m *testing.M) {
	if script := os.Getenv("NVITPROF_FAKE_RUNNER"); script != "" {
		os.Exit(fakeRunner(script))
	}
	if device := os.Getenv("NVITPROF_TEST_WORKER"); device != "" {
		if err := ServeGoMLX(context.Background(), os.Stdin, os.Stdout, device, DeviceOptions{}, "test"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if out := os.Getenv("NVITPROF_TEST_SWEEP"); out != "" {
		os.Exit(sweepChild(out))
	}
	os.Exit(m.Run())
}

// sweepChild sweeps killSweep into out, resuming it, and exits as the CLI
// would: 130 when interrupted, with the error on stderr.
func sweepChild(out string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	plan, err := NewPlan(killSweep())
	if err == nil {
		_, err = plan.Run(ctx, out, RunOptions{Resume: true, Again: "resume it"})
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, err)
		return 130
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}
