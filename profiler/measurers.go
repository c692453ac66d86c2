package profiler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// startMeasurers opens the plan's device(s) and fills h's device fields.
// One device runs in this process; several devices, an external runner or
// more than one worker run as runner processes.
func (p *Plan) startMeasurers(ctx context.Context, h *tablefmt.Header) ([]Measurer, func(), error) {
	workers := 1
	if p.opts.Workers != nil {
		workers = *p.opts.Workers
	}
	if p.replay != nil && len(p.opts.Runner) == 0 {
		return p.startReplay(), func() {}, nil
	}
	if argv := p.opts.Runner; len(argv) > 0 {
		m, err := StartRunner(ctx, argv, nil, *h, nil)
		if err != nil {
			return nil, nil, err
		}
		hello := m.Hello()
		h.Device, h.DeviceKind, h.DeviceName = "runner", cmp.Or(hello.DeviceKind, KindExternal), hello.DeviceName
		h.Runtime, h.Backend, h.PluginVersion = hello.Runtime, hello.Backend, hello.Version
		h.Notes = append(h.Notes, "runner: "+strings.Join(argv, " "))
		return []Measurer{m}, func() { m.Close() }, nil
	}
	if len(p.Devices) == 1 && workers == 1 {
		dev, err := OpenDevice(p.Devices[0], DeviceOptions{Plugin: p.opts.Plugin})
		if err != nil {
			return nil, nil, err
		}
		dev.SetHeader(h)
		m, err := NewGoMLXMeasurer(dev, *h)
		if err != nil {
			dev.Close()
			return nil, nil, err
		}
		return []Measurer{m}, dev.Close, nil
	}
	return p.startWorkers(ctx, h, workers)
}

// startWorkers starts workers runner processes per device, the workers of a
// device sharing one TimingGate, and checks that all measure the same kind
// of device: the header below is the first runner's.
func (p *Plan) startWorkers(ctx context.Context, h *tablefmt.Header, workers int) ([]Measurer, func(), error) {
	if p.opts.WorkerCommand == nil {
		return nil, nil, errors.New("sweep: several devices or workers need PlanOptions.WorkerCommand to start runner processes")
	}
	var ext []*ExternalMeasurer
	var extDevice []string // the device each runner in ext measures
	closeAll := func() {
		for _, m := range ext {
			m.Close()
		}
	}
	for _, d := range p.Devices {
		gate := &TimingGate{} // one timing at a time per device, the other runners frozen
		for range workers {
			m, err := StartRunner(ctx, p.opts.WorkerCommand(d), nil, *h, gate)
			if err != nil {
				closeAll()
				return nil, nil, err
			}
			ext, extDevice = append(ext, m), append(extDevice, d)
		}
	}
	hello := ext[0].Hello()
	for i, m := range ext[1:] {
		if err := SameDevice(extDevice[0], hello, extDevice[i+1], m.Hello()); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	kind, _, _ := ParseDevice(p.Devices[0])
	fillDevice(h, strings.Join(p.Devices, ","), kind, hello.DeviceName, hello.Backend, "", hello.Version)
	h.Notes = append(h.Notes, fmt.Sprintf("%d runner process(es) per device", workers))
	ms := make([]Measurer, len(ext))
	for i, m := range ext {
		ms[i] = m
	}
	return ms, closeAll, nil
}

// SetHeader fills h's device fields with d's. On the CPU a note records
// GOMAXPROCS, the threads the pure-Go backend measured with.
func (d *Device) SetHeader(h *tablefmt.Header) {
	fillDevice(h, d.Name, d.Kind, d.Hardware, d.Backend.Name(), d.Plugin, d.PluginVersion)
}

func fillDevice(h *tablefmt.Header, name, kind, hw, backend, plugin, pluginVersion string) {
	h.Device, h.DeviceKind, h.DeviceName, h.Backend, h.Plugin, h.PluginVersion = name, kind, hw, backend, plugin, pluginVersion
	if kind == KindCPU {
		h.Notes = append(h.Notes, fmt.Sprintf("GOMAXPROCS %d", runtime.GOMAXPROCS(0)))
	}
}
