// Command nvitprof measures ViT building blocks on a device, fits latency
// cost models, prunes and generates ViTs with them. Run `nvitprof --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args)
	code := exitCode(ctx, err, os.Stderr) // before stop(), which cancels ctx
	stop()
	os.Exit(code)
}
