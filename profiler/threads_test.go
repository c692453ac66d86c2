package profiler

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// WithThreads sets GOMAXPROCS and $GOMAXPROCS for fn alone, whichever way
// fn ends, and runs nothing with a count it cannot set.
func TestWithThreadsRestoresOnEveryPath(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Setenv("GOMAXPROCS", "7") // restored by the test; WithThreads must restore it first
	check := func(path string) {
		if got, env := runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS"); got != before || env != "7" {
			t.Errorf("after %s: GOMAXPROCS %d, $GOMAXPROCS %q; want %d and 7 back", path, got, env, before)
		}
	}
	inside := func() error {
		if got, env := runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS"); got != 1 || env != "1" {
			t.Errorf("inside: GOMAXPROCS %d, $GOMAXPROCS %q; want 1 and 1", got, env)
		}
		return nil
	}
	if err := WithThreads(1, inside); err != nil {
		t.Fatal(err)
	}
	check("a return")
	failed := errors.New("failed")
	if err := WithThreads(1, func() error { return failed }); err != failed {
		t.Errorf("fn's error came back as %v", err)
	}
	check("an error")
	func() {
		defer func() { _ = recover() }()
		_ = WithThreads(1, func() error { panic("measuring") })
	}()
	check("a panic")
	if err := WithThreads(0, func() error {
		if got := os.Getenv("GOMAXPROCS"); got != strconv.Itoa(runtime.NumCPU()) {
			t.Errorf("every core: $GOMAXPROCS %q, want %d", got, runtime.NumCPU())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check("every core")
	for _, n := range []int{-1, runtime.NumCPU() + 1} {
		ran := false
		err := WithThreads(n, func() error { ran = true; return nil })
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Option != "threads" || ran {
			t.Errorf("%d threads: %v (ran: %v); want an *OptionError for threads and nothing run", n, err, ran)
		}
	}
}
