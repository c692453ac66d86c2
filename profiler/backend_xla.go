//go:build !noxla

package profiler

import (
	"os"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// openXLA opens GoMLX's XLA backend on a CUDA PJRT plugin given by absolute
// path, never auto-installing (which would download plugins).
func openXLA(plugin string) (backends.Backend, error) {
	xla.EnableAutoInstall(false)
	// go-xla writes a foreign CUDA data dir into XLA_FLAGS when it is unset;
	// point it at the system CUDA instead (DESIGN.md, Devices).
	if _, ok := os.LookupEnv("XLA_FLAGS"); !ok {
		if _, err := os.Stat("/usr/local/cuda"); err == nil {
			_ = os.Setenv("XLA_FLAGS", "--xla_gpu_cuda_data_dir=/usr/local/cuda")
		}
	}
	if _, ok := os.LookupEnv("GOPJRT_CUDA_CHECKS"); !ok {
		_ = os.Setenv("GOPJRT_CUDA_CHECKS", "0") // its nvidia/ folder warning does not apply to JAX's plugin
	}
	return newBackend(xla.BackendName + ":" + plugin)
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
