package profiler

import "fmt"

// DeviceInfo describes a device nvitprof can measure on, or, with Err set,
// why the GPUs cannot be used.
type DeviceInfo struct {
	Name                  string // "cpu", "cuda:N"; "cuda" with Err
	Backend, Hardware     string
	Plugin, PluginVersion string // CUDA only
	Err                   error
}

// ListDevices opens the CPU and the GPUs the CUDA plugin sees, to describe
// them. No GPU or no plugin is an entry with Err, not an error: only a CPU
// that cannot be opened is.
func ListDevices(opts DeviceOptions) ([]DeviceInfo, error) {
	cpu, err := OpenDevice(KindCPU, DeviceOptions{})
	if err != nil {
		return nil, err
	}
	list := []DeviceInfo{{Name: KindCPU, Backend: cpu.Backend.Name(), Hardware: cpu.Hardware}}
	cpu.Close()
	gpu, err := OpenDevice("cuda:0", opts)
	if err != nil {
		return append(list, DeviceInfo{Name: KindCUDA, Err: err}), nil
	}
	defer gpu.Close()
	for i := range gpu.Backend.NumDevices() {
		list = append(list, DeviceInfo{Name: fmt.Sprintf("cuda:%d", i), Backend: gpu.Backend.Name(), Hardware: gpu.HardwareOf(i),
			Plugin: gpu.Plugin, PluginVersion: gpu.PluginVersion})
	}
	return list, nil
}
