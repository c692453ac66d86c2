package pytorch_test

import (
	"fmt"

	"github.com/nvitprof/nvitprof/runners/pytorch"
)

func ExampleParseSpec() {
	o, err := pytorch.ParseSpec("pytorch:device=cuda:0,attention=sdpa,compile")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.Args())
	_, err = pytorch.ParseSpec("pytorch:dtype=bfloat16")
	fmt.Println(err)
	// Output:
	// [--device cuda:0 --threads 1 --attention sdpa --retries 2 --compile]
	// pytorch runner spec "pytorch:dtype=bfloat16": unknown option "dtype" (known: device, threads, attention, compile, retries, python)
}
