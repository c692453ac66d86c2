package profiler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	for _, tc := range []struct {
		in    string
		kind  string
		index int
		bad   bool
	}{
		{in: "cpu", kind: KindCPU},
		{in: "CPU", kind: KindCPU},
		{in: "cuda:0", kind: KindCUDA},
		{in: "cuda:3", kind: KindCUDA, index: 3},
		{in: "cuda", kind: KindCUDA},
		{in: "gpu:1", kind: KindCUDA, index: 1},
		{in: "cuda:-1", bad: true},
		{in: "cuda:x", bad: true},
		{in: "cpu:1", bad: true},
		{in: "cpu:0", bad: true},
		{in: "cuda:01", bad: true},
		{in: "cuda:+1", bad: true},
		{in: "tpu:0", bad: true},
		{in: "", bad: true},
	} {
		kind, idx, err := ParseDevice(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseDevice(%q) accepted, want error", tc.in)
			}
			continue
		}
		if err != nil || kind != tc.kind || idx != tc.index {
			t.Errorf("ParseDevice(%q) = %q, %d, %v; want %q, %d", tc.in, kind, idx, err, tc.kind, tc.index)
		}
	}
}

func TestParseDevicesRefusesDuplicates(t *testing.T) {
	got, err := ParseDevices("cuda:0, cuda:1")
	if err != nil || strings.Join(got, ",") != "cuda:0,cuda:1" {
		t.Fatalf("ParseDevices = %v, %v", got, err)
	}
	if _, err := ParseDevices("cuda:0,cuda"); err == nil {
		t.Error("cuda:0 and cuda (= cuda:0) accepted together")
	}
}

func TestOpenCPURunsNothingExternal(t *testing.T) {
	d, err := OpenDevice("cpu", DeviceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !strings.Contains(d.Backend.Name(), "go") || d.Kind != KindCPU {
		t.Errorf("cpu opened backend %q kind %q", d.Backend.Name(), d.Kind)
	}
}

// isolate points every search location at an empty temporary tree.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv(PluginEnv, "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "")
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv("CONDA_PREFIX", "")
	return dir
}

func TestFindCUDAPluginInVirtualEnv(t *testing.T) {
	dir := isolate(t)
	venv := filepath.Join(dir, "venv")
	plugin := filepath.Join(venv, "lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	if err := os.MkdirAll(filepath.Dir(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, []byte("not really a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIRTUAL_ENV", venv)
	got, err := FindCUDAPlugin("")
	if err != nil {
		t.Fatal(err)
	}
	if got != plugin {
		t.Errorf("found %s, want %s", got, plugin)
	}
}

func TestFindCUDAPluginExplicitWins(t *testing.T) {
	dir := isolate(t)
	p := filepath.Join(dir, "my.so")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PluginEnv, filepath.Join(dir, "other.so")) // would fail: does not exist
	if got, err := FindCUDAPlugin(p); err != nil || got != p {
		t.Errorf("explicit plugin: %s, %v", got, err)
	}
	if _, err := FindCUDAPlugin(""); err == nil || !strings.Contains(err.Error(), PluginEnv) {
		t.Errorf("missing $%s plugin: err = %v, want it named", PluginEnv, err)
	}
}

func TestMissingPluginErrorNamesSearchAndInstall(t *testing.T) {
	isolate(t)
	if _, err := os.Stat("/usr/local/lib/go-xla"); err == nil {
		t.Skip("this machine has go-xla plugins installed")
	}
	matches, _ := filepath.Glob("/opt/*/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so")
	if len(matches) > 0 {
		t.Skip("this machine has a JAX CUDA plugin")
	}
	_, err := OpenDevice("cuda:0", DeviceOptions{})
	var nf *PluginNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("OpenDevice(cuda:0) = %v, want PluginNotFoundError", err)
	}
	msg := err.Error()
	for _, want := range []string{"jax_plugins", "pip install", "--plugin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t:  AMD EPYC   7B13\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: other\n"
	if got := cpuModel(info); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q, want the first model name with its spaces squeezed", got)
	}
	if got := cpuModel("processor\t: 0\nCPU implementer\t: 0x41\n"); got != "" {
		t.Errorf("cpuModel without a model name = %q, want empty", got)
	}
}
