package profiler

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the "cpu" device
)

// Device kinds.
const (
	KindCPU  = "cpu"
	KindCUDA = "cuda"
	// KindExternal is the kind of a table an external runner measured.
	KindExternal = "external"
)

// Device is an opened device: a GoMLX backend and which of its devices runs
// the graphs.
type Device struct {
	Name    string // as the user wrote it: "cpu", "cuda:0"
	Kind    string // KindCPU or KindCUDA
	Backend backends.Backend
	// Hardware is the GPU's or CPU's name, e.g. "NVIDIA H100 80GB HBM3".
	Hardware string
	// Plugin is the PJRT plugin path (CUDA only) and PluginVersion its PJRT API version.
	Plugin, PluginVersion string
}

// DeviceOptions say how to reach devices.
type DeviceOptions struct {
	// Plugin is an explicit CUDA PJRT plugin path (flag --plugin or
	// $NVITPROF_PJRT_PLUGIN); empty means search the standard places.
	Plugin string
}

// ParseDevice splits a device name into its kind and index: "cpu" is
// (cpu, 0), "cuda:2" is (cuda, 2), "cuda" is (cuda, 0).
func ParseDevice(name string) (kind string, index int, err error) {
	kind, num, hasNum := strings.Cut(strings.ToLower(strings.TrimSpace(name)), ":")
	switch kind {
	case KindCPU:
		if hasNum {
			return "", 0, fmt.Errorf("unknown device %q: the CPU is \"cpu\", without an index", name)
		}
		return KindCPU, 0, nil
	case KindCUDA, "gpu":
		if !hasNum {
			return KindCUDA, 0, nil
		}
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 || strconv.Itoa(i) != num {
			return "", 0, fmt.Errorf("unknown device %q: want cuda:N, N a GPU number (0, 1, ...; see nvitprof devices)", name)
		}
		return KindCUDA, i, nil
	}
	return "", 0, fmt.Errorf("unknown device %q: want cpu or cuda:N", name)
}

// ParseDevices splits a comma-separated device list ("cuda:0,cuda:1"),
// refusing duplicates.
func ParseDevices(list string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		kind, idx, err := ParseDevice(n)
		if err != nil {
			return nil, err
		}
		canon := kind
		if kind == KindCUDA {
			canon = fmt.Sprintf("%s:%d", kind, idx)
		}
		if seen[canon] {
			return nil, fmt.Errorf("device %s listed twice", canon)
		}
		seen[canon] = true
		names = append(names, canon)
	}
	return names, nil
}

// OpenDevice opens the named device. Nothing is downloaded: a missing CUDA
// plugin is an error that says where nvitprof looked and how to install one.
func OpenDevice(name string, opts DeviceOptions) (*Device, error) {
	kind, idx, err := ParseDevice(name)
	if err != nil {
		return nil, err
	}
	if kind == KindCPU {
		// Ops run one after another (matrix products still use every core):
		// simplego's parallel op scheduling deadlocks its worker pool on
		// graphs with independent branches of large products (v0.26.0).
		b, err := newBackend("go:ops_sequential")
		if err != nil {
			return nil, fmt.Errorf("open cpu: %w", err)
		}
		return &Device{Name: KindCPU, Kind: KindCPU, Backend: b, Hardware: cpuHardware()}, nil
	}
	plugin, err := FindCUDAPlugin(opts.Plugin)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	// Graphs run on the backend's default device, so a process measures one
	// GPU: cuda:N is made the only visible one (several GPUs are swept by one
	// process each). A user's own CUDA_VISIBLE_DEVICES is respected.
	backendIdx := idx
	if _, set := os.LookupEnv("CUDA_VISIBLE_DEVICES"); !set {
		_ = os.Setenv("CUDA_VISIBLE_DEVICES", strconv.Itoa(idx))
		backendIdx = 0
	}
	b, err := openXLA(plugin)
	if err != nil {
		return nil, fmt.Errorf("open %s with plugin %s: %w", name, plugin, err)
	}
	if n := b.NumDevices(); backendIdx >= n || n == 0 {
		b.Finalize()
		return nil, fmt.Errorf("open %s: the CUDA plugin sees %d GPU(s) here (CUDA_VISIBLE_DEVICES=%q)", name, n, os.Getenv("CUDA_VISIBLE_DEVICES"))
	}
	if backendIdx != 0 {
		b.Finalize()
		return nil, fmt.Errorf("open %s: with CUDA_VISIBLE_DEVICES=%q set, name the GPU by its visible index (cuda:0 ...)", name, os.Getenv("CUDA_VISIBLE_DEVICES"))
	}
	d := &Device{Name: fmt.Sprintf("cuda:%d", idx), Kind: KindCUDA, Backend: b, Plugin: plugin}
	d.Hardware = gpuName(b.DeviceDescription(0))
	if !strings.Contains(d.Hardware, "NVIDIA") {
		if name := nvidiaSMIName(idx); name != "" {
			d.Hardware = name
		}
	}
	d.PluginVersion = pluginVersion(b)
	return d, nil
}

// Close releases the backend.
func (d *Device) Close() {
	if d != nil && d.Backend != nil {
		d.Backend.Finalize()
	}
}

// newBackend creates a GoMLX backend, turning the panics some constructors
// raise on bad configurations into errors.
func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend %q: %v", config, r)
		}
	}()
	return backends.NewWithConfig(config)
}

// gpuName picks the device name out of a PJRT device description, whose
// format varies by plugin version; it falls back to the whole description.
func gpuName(desc string) string {
	for _, line := range strings.Split(desc, "\n") {
		if i := strings.Index(line, "NVIDIA"); i >= 0 {
			name := strings.TrimSpace(line[i:])
			return strings.TrimRight(strings.SplitN(name, "\"", 2)[0], " ,)")
		}
	}
	return strings.TrimSpace(desc)
}

// nvidiaSMIName asks nvidia-smi for GPU idx's name (PJRT's device
// description of JAX's CUDA plugin does not carry it); "" when unavailable.
func nvidiaSMIName(idx int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=name", "--format=csv,noheader", "-i", strconv.Itoa(idx)).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// HardwareOf names device i of d's backend (all GPUs the plugin sees).
func (d *Device) HardwareOf(i int) string {
	if d.Kind != KindCUDA {
		return d.Hardware
	}
	name := gpuName(d.Backend.DeviceDescription(backends.DeviceNum(i)))
	if !strings.Contains(name, "NVIDIA") && i == 0 {
		return d.Hardware
	}
	return name
}

// cpuHardware names the CPU a table was measured on: OS and architecture,
// the processor's model (where /proc/cpuinfo tells it), the cores, and
// GOMAXPROCS when it limits them, so that resume and merge refuse tables
// from another processor or core count.
func cpuHardware() string {
	name := fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH)
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if model := cpuModel(string(info)); model != "" {
			name += ", " + model
		}
	}
	name += fmt.Sprintf(", %d cores", runtime.NumCPU())
	if p := runtime.GOMAXPROCS(0); p != runtime.NumCPU() {
		name += fmt.Sprintf(", GOMAXPROCS %d", p)
	}
	return name + " (GoMLX pure-Go backend)"
}

// cpuModel is the first "model name" of a /proc/cpuinfo text, or "".
func cpuModel(cpuinfo string) string {
	for line := range strings.Lines(cpuinfo) {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.Join(strings.Fields(value), " ")
		}
	}
	return ""
}
