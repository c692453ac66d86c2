//go:build linux

package profiler

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procState is the state letter of /proc/PID/stat: T when stopped.
func procState(t *testing.T, p *os.Process) byte {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[strings.LastIndexByte(s, ')')+2]
}

// waitState polls until p is in state want (signals arrive asynchronously).
func waitState(t *testing.T, p *os.Process, want byte) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for procState(t, p) != want {
		if time.Now().After(deadline) {
			t.Fatalf("process %d in state %c, want %c", p.Pid, procState(t, p), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Holding the gate freezes the other members, not the holder, and
// releasing it thaws them; a member that left is left alone.
func TestTimingGateFreezesTheOtherRunners(t *testing.T) {
	var procs []*os.Process
	for range 3 {
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Skip("no sleep command:", err)
		}
		procs = append(procs, cmd.Process)
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	g := &TimingGate{}
	for _, p := range procs {
		g.Join(p)
	}
	g.Leave(procs[2])
	release := g.Hold(procs[0])
	waitState(t, procs[1], 'T')
	if s := procState(t, procs[0]); s == 'T' {
		t.Error("the holder was frozen")
	}
	if s := procState(t, procs[2]); s == 'T' {
		t.Error("a runner that left was frozen")
	}
	release()
	waitState(t, procs[1], 'S')

	// A second holder gets the gate once the first let go.
	done := make(chan struct{})
	release = g.Hold(procs[1])
	go func() { g.Hold(procs[0])(); close(done) }()
	select {
	case <-done:
		t.Fatal("two runners held the gate at once")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	<-done
}
