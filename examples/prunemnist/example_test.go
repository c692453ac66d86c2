package prunemnist_test

import (
	"context"
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/examples/prunemnist"
)

// The whole demo from Go: about a quarter of an hour on two cores, so this example is
// compiled but not run by go test.
func ExampleRun() {
	threads := 1
	sum, err := prunemnist.Run(context.Background(), prunemnist.Options{Out: "demo", Threads: &threads})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = sum.WriteMarkdown(os.Stdout)
}
