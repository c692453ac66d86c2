package profiler

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// PluginEnv names the environment variable holding an explicit CUDA PJRT
// plugin path, the same as the --plugin flag.
const PluginEnv = "NVITPROF_PJRT_PLUGIN"

// PluginNotFoundError says a CUDA PJRT plugin could not be found, where the
// search went and how to install one.
type PluginNotFoundError struct {
	Searched []string
}

// Error names every place searched and how to install a plugin.
func (e *PluginNotFoundError) Error() string {
	return fmt.Sprintf("no CUDA PJRT plugin found (searched %s); install one with "+
		"`pip install jax[cuda13]` (it ships jax_plugins/xla_cuda13/xla_cuda_plugin.so) "+
		"or pass its path with --plugin or $%s", strings.Join(e.Searched, ", "), PluginEnv)
}

// FindCUDAPlugin returns the path of a CUDA PJRT plugin. The search order is
// the explicit path (flag), $NVITPROF_PJRT_PLUGIN, $PJRT_PLUGIN_LIBRARY_PATH,
// go-xla's install folders, then Python site-packages holding JAX's CUDA
// plugin (jax_plugins/xla_cuda*/xla_cuda_plugin.so).
func FindCUDAPlugin(explicit string) (string, error) {
	if explicit != "" {
		return checkPlugin(explicit, "--plugin")
	}
	if p := os.Getenv(PluginEnv); p != "" {
		return checkPlugin(p, "$"+PluginEnv)
	}
	var searched []string
	for _, pattern := range pluginSearchPatterns() {
		searched = append(searched, pattern)
		matches, _ := filepath.Glob(pattern)
		sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest CUDA major first
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				return m, nil
			}
		}
	}
	return "", &PluginNotFoundError{Searched: searched}
}

func checkPlugin(path, from string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("plugin %s (from %s): %w", path, from, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("plugin %s (from %s): %w", path, from, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("plugin %s (from %s) is not a file", path, from)
	}
	return abs, nil
}

// pluginSearchPatterns lists glob patterns in search order.
func pluginSearchPatterns() []string {
	var pats []string
	for _, dir := range filepath.SplitList(os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")) {
		if dir != "" {
			pats = append(pats, filepath.Join(dir, "pjrt_c_api_cuda*_plugin.so"))
		}
	}
	home, _ := os.UserHomeDir()
	if home != "" {
		pats = append(pats, filepath.Join(home, ".local/lib/go-xla/pjrt_c_api_cuda*_plugin.so"))
	}
	pats = append(pats, "/usr/local/lib/go-xla/pjrt_c_api_cuda*_plugin.so")

	const jax = "jax_plugins/xla_cuda*/xla_cuda_plugin.so"
	var sitePackages []string
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := os.Getenv(env); p != "" {
			sitePackages = append(sitePackages, filepath.Join(p, "lib/python3*/site-packages"))
		}
	}
	if home != "" {
		sitePackages = append(sitePackages, filepath.Join(home, ".local/lib/python3*/site-packages"))
	}
	sitePackages = append(sitePackages,
		"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages",
		"/opt/*/.venv/lib/python3*/site-packages", "/opt/conda/lib/python3*/site-packages")
	for _, sp := range sitePackages {
		pats = append(pats, filepath.Join(sp, jax))
	}
	return pats
}
