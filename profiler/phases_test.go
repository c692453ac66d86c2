package profiler

import (
	"testing"
	"time"
)

func TestPhasesArithmetic(t *testing.T) {
	before := Phases{Compile: 2 * time.Second, Weights: time.Second, Timing: 3 * time.Second}
	after := before.Add(Phases{Compile: 8 * time.Second, Weights: 2 * time.Second, Timing: 4 * time.Second})
	got := after.Sub(before).Per(4)
	want := Phases{Compile: 2 * time.Second, Weights: 500 * time.Millisecond, Timing: time.Second}
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
	if s := want.String(); s != "compile 2 s, weights 0.5 s, timing 1 s" {
		t.Errorf("String() = %q", s)
	}
}
