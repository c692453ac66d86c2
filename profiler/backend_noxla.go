//go:build noxla

package profiler

import (
	"errors"

	"github.com/gomlx/gomlx/backends"
)

func openXLA(string) (backends.Backend, error) {
	return nil, errors.New("this nvitprof was built with -tags noxla: rebuild without it to use CUDA devices")
}

func pluginVersion(backends.Backend) string { return "" }
