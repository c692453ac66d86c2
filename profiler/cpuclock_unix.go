//go:build linux || darwin || freebsd

package profiler

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuClock reads the process's CPU clock: the time its threads ran. It is
// false where the system has none.
func cpuClock() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
