package reports

import (
	"fmt"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// The caption under a figure of a CPU table (the header a sweep on the
// pure-Go backend writes) and of NViT's V100 table.
func ExampleDeviceCaption() {
	cpu := tablefmt.Header{DeviceName: "linux/amd64, Intel(R) Xeon(R) Processor, 2 cores, GOMAXPROCS 1 (GoMLX pure-Go backend)",
		Runtime: "gomlx", Backend: "SimpleGo (go)", DType: "float32", Batch: 8, Tokens: 65}
	fmt.Println(DeviceCaption(cpu))
	fmt.Println(DeviceCaption(tablefmt.NViTV100Header()))
	fmt.Printf("%q\n", DeviceCaption(tablefmt.Header{}))
	// Output:
	// Intel Xeon Processor, 2 cores, GOMAXPROCS 1 · gomlx/SimpleGo · float32 · batch 8 · 65 tokens
	// Tesla V100 · pytorch · batch 256 · 198 tokens
	// ""
}
