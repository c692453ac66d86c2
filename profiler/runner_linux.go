//go:build linux

package profiler

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a runner end with the sweep even when the sweep is
// killed outright, which matters for a runner a gate has frozen: nothing
// else would ever thaw it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
