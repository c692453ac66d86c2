// Command cpuclock measures what the CPU clock and the speed gate are for
// (docs/measuring.md, bench/results/busy-machine-2026-12.md), with a fixed
// arithmetic loop on one thread:
//
//	go run ./bench/cpuclock -compare    # wall, process and thread clocks over 15 runs of three sizes
//	go run ./bench/cpuclock -series 40s # the loop every 200 ms, timed by the process's CPU clock
//
// Run -compare once quiet and once beside two `sha256sum /dev/zero`: the
// wall clock counts other programs' time slices, the CPU clock does not.
// -series shows whether the core itself changes speed.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

func clock(id int32) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

var sink float64

// work multiplies an n×n matrix by its transpose three times, in plain Go.
func work(n int) {
	a := make([]float64, n*n)
	for i := range a {
		a[i] = float64(i % 7)
	}
	s := 0.0
	for range 3 {
		for i := range n {
			for j := range n {
				s += a[i*n+j] * a[j*n+i]
			}
		}
	}
	sink = s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func compare() {
	for _, n := range []int{150, 600, 1200} {
		var wall, cpu, thread []float64
		for range 15 {
			w0, c0, t0 := time.Now(), clock(unix.CLOCK_PROCESS_CPUTIME_ID), clock(unix.CLOCK_THREAD_CPUTIME_ID)
			work(n)
			wall = append(wall, ms(time.Since(w0)))
			cpu = append(cpu, ms(clock(unix.CLOCK_PROCESS_CPUTIME_ID)-c0))
			thread = append(thread, ms(clock(unix.CLOCK_THREAD_CPUTIME_ID)-t0))
		}
		slices.Sort(wall)
		slices.Sort(cpu)
		slices.Sort(thread)
		fmt.Printf("n=%d wall min %.2f med %.2f max %.2f | cpu min %.2f med %.2f max %.2f | thread min %.2f med %.2f\n",
			n, wall[0], wall[7], wall[14], cpu[0], cpu[7], cpu[14], thread[0], thread[7])
	}
}

func series(d time.Duration) {
	start := time.Now()
	for time.Since(start) < d {
		c0 := clock(unix.CLOCK_PROCESS_CPUTIME_ID)
		s := 0.0
		for k := range 3_000_000 {
			s += float64(k%7) * 1.0001
		}
		sink = s
		fmt.Printf("%.1f s: %.2f ms\n", time.Since(start).Seconds(), ms(clock(unix.CLOCK_PROCESS_CPUTIME_ID)-c0))
		time.Sleep(200 * time.Millisecond)
	}
}

func main() {
	cmp := flag.Bool("compare", false, "compare the wall, process and thread clocks")
	ser := flag.Duration("series", 0, "time the loop every 200 ms for this long")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	if *ser > 0 {
		series(*ser)
	}
	if *cmp || *ser == 0 {
		compare()
	}
}
