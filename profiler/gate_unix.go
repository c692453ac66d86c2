//go:build unix

package profiler

import (
	"os"
	"syscall"
)

func freeze(p *os.Process) { _ = p.Signal(syscall.SIGSTOP) }
func thaw(p *os.Process)   { _ = p.Signal(syscall.SIGCONT) }
