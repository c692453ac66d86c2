package main

import (
	"flag"
	"testing"

	"github.com/urfave/cli/v2"
)

// --threads defaults to one thread, unless $GOMAXPROCS says otherwise and
// the flag is not given.
func TestThreadsOption(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want int // -1: leave GOMAXPROCS alone
	}{
		{"", nil, 1},
		{"", []string{"--threads", "0"}, 0},
		{"3", nil, -1},
		{"3", []string{"--threads", "2"}, 2},
	} {
		t.Setenv("GOMAXPROCS", tc.env)
		set := flag.NewFlagSet("t", flag.ContinueOnError)
		if err := threadsFlag.Apply(set); err != nil {
			t.Fatal(err)
		}
		if err := set.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		got := threadsOption(cli.NewContext(cli.NewApp(), set, nil))
		if (got == nil) != (tc.want < 0) || got != nil && *got != tc.want {
			t.Errorf("$GOMAXPROCS %q, %v: %v, want %d", tc.env, tc.args, got, tc.want)
		}
	}
}
