package pruner

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
)

// backend is GoMLX's pure-Go backend with sequential ops (its parallel
// scheduler deadlocks on gradient graphs in v0.26.0): nothing downloaded.
var backend backends.Backend

func TestMain(m *testing.M) {
	if !slices.Contains(backends.List(), "go") {
		fmt.Fprintf(os.Stderr, "pruner tests: GoMLX backend \"go\" not registered (have %v)\n", backends.List())
		os.Exit(1)
	}
	b, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pruner tests: %v\n", err)
		os.Exit(1)
	}
	backend = b
	os.Exit(m.Run())
}
