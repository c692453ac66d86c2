//go:build !noxla

package profiler

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// openXLA opens GoMLX's XLA backend on a CUDA PJRT plugin given by absolute
// path, never auto-installing (which would download plugins).
func openXLA(plugin string) (backends.Backend, error) {
	xla.EnableAutoInstall(false)
	// When XLA_FLAGS names no CUDA data dir, go-xla (v0.1.4,
	// pkg/pjrt/cuda_linux.go) writes in a path of its own machine's layout,
	// where XLA then looks for CUDA's tools in vain: name the system CUDA
	// first, keeping the user's other flags (e.g. --xla_gpu_autotune_level).
	if flags := os.Getenv("XLA_FLAGS"); !strings.Contains(flags, "xla_gpu_cuda_data_dir") {
		if _, err := os.Stat("/usr/local/cuda"); err == nil {
			_ = os.Setenv("XLA_FLAGS", strings.TrimSpace(flags+" --xla_gpu_cuda_data_dir=/usr/local/cuda"))
		}
	}
	if _, ok := os.LookupEnv("GOPJRT_CUDA_CHECKS"); !ok {
		_ = os.Setenv("GOPJRT_CUDA_CHECKS", "0") // its nvidia/ folder warning does not apply to JAX's plugin
	}
	// JAX's plugin takes 75% of the GPU's memory up front by default, so a
	// second compiling worker on the same GPU (--workers) could not start:
	// allocate on demand. A plugin that rejects the option opens as it is.
	b, err := newXLAWithOptions(plugin, pjrt.NamedValuesMap{"preallocate": false})
	if err == nil {
		return b, nil
	}
	return newBackend(xla.BackendName + ":" + plugin)
}

// newXLAWithOptions opens an XLA backend with PJRT client options, turning
// panics into errors as newBackend does.
func newXLAWithOptions(plugin string, options pjrt.NamedValuesMap) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", plugin, r)
		}
	}()
	return xla.NewWithOptions(plugin, options)
}

// pluginVersion reports the PJRT API version of an XLA backend's plugin.
func pluginVersion(b backends.Backend) string {
	if xb, ok := b.(*xla.Backend); ok {
		if desc := xb.Description(); desc != "" {
			return desc
		}
	}
	return b.Name()
}
