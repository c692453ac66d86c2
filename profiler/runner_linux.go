//go:build linux

package profiler

import (
	"os/exec"
	"syscall"
)

// detachRunner puts a runner in its own process group, so that Ctrl-C (or
// timeout's SIGINT to the group) reaches the sweep alone, which stops its
// runners itself: a runner that died first would read as a failed
// configuration. The runner also ends with the sweep when the sweep is
// killed outright, which matters for a runner a gate has frozen: nothing
// else would ever thaw it.
func detachRunner(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
