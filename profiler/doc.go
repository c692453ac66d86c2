// Package profiler measures how long ViT building blocks take on a device.
//
// It owns the devices (which GoMLX backend runs a measurement: the pure-Go
// backend for "cpu", XLA with a CUDA PJRT plugin for "cuda:N"), the timing
// harness and the sweeps that write latency tables.
package profiler
