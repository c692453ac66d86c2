package profiler

import (
	"os"
	"runtime"
	"strconv"
)

// WithThreads runs fn with GOMAXPROCS at n (0: every core) and then restores
// it, whatever fn does. Meanwhile $GOMAXPROCS says n too, so that runner
// processes fn starts measure with the same threads; the variable is
// restored as well. The CPU device runs its graphs on GOMAXPROCS threads: on
// a shared machine one thread's timings repeat from run to run where
// several threads' do not, as the others' work lands on some of them. An n
// outside 0 to the number of cores is an *OptionError and fn does not run.
func WithThreads(n int, fn func() error) error {
	if err := checkThreads(n); err != nil {
		return err
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	env, hadEnv := os.LookupEnv("GOMAXPROCS")
	old := runtime.GOMAXPROCS(n)
	_ = os.Setenv("GOMAXPROCS", strconv.Itoa(n))
	defer func() {
		runtime.GOMAXPROCS(old)
		if hadEnv {
			_ = os.Setenv("GOMAXPROCS", env)
		} else {
			_ = os.Unsetenv("GOMAXPROCS")
		}
	}()
	return fn()
}

// checkThreads refuses a thread count WithThreads cannot set.
func checkThreads(n int) error {
	if n < 0 || n > runtime.NumCPU() {
		return optionErrorf("threads", "want 0 (every core) to %d, got %d", runtime.NumCPU(), n)
	}
	return nil
}
