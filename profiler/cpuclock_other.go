//go:build !(linux || darwin || freebsd)

package profiler

import "time"

// cpuClock reads the process's CPU clock; this system has none here.
func cpuClock() (time.Duration, bool) { return 0, false }
