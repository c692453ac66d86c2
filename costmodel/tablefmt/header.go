package tablefmt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
)

// FormatVersion is the table format version this package reads and writes,
// the value of the header's "nvitprof_table" field.
const FormatVersion = 1

// Header is the first line of a table: everything that is the same for all
// its rows and that a latency depends on besides the dimensions. A table is
// self-describing: the header says where, how and with what it was measured.
// Zero values mean "unknown" (or "not applicable").
type Header struct {
	// Version marks the line as a nvitprof table header; it is FormatVersion.
	Version int `json:"nvitprof_table"`

	Device     string `json:"device,omitempty"`      // as given on the command line: "cuda:0", "cpu"
	DeviceKind string `json:"device_kind,omitempty"` // "cuda", "cpu", ...
	DeviceName string `json:"device_name,omitempty"` // "NVIDIA H100 80GB HBM3", a CPU model name

	Runtime       string `json:"runtime,omitempty"`        // "gomlx", "pytorch", ...
	Backend       string `json:"backend,omitempty"`        // GoMLX backend: "go", "xla"
	Plugin        string `json:"plugin,omitempty"`         // PJRT plugin path
	PluginVersion string `json:"plugin_version,omitempty"` // PJRT plugin or runtime library version

	DType  string `json:"dtype,omitempty"`  // element type: "float32", "bfloat16", ...
	Batch  int    `json:"batch,omitempty"`  // images per execution
	Tokens int    `json:"tokens,omitempty"` // sequence length every block sees

	// Geometry of the models measured, for rest and model rows.
	Image    int `json:"image,omitempty"`    // input side in pixels
	Patch    int `json:"patch,omitempty"`    // patch side in pixels
	Channels int `json:"channels,omitempty"` // input channels
	Classes  int `json:"classes,omitempty"`  // classifier outputs

	Method Method `json:"method,omitzero"`
	// Sampling, in a table an adaptive sweep wrote, is how its
	// configurations were chosen; nil: every configuration of the grid.
	Sampling *Sampling `json:"sampling,omitempty"`
	// Shard, in a table that holds one shard of a sweep split across
	// machines, says which (nil: the whole grid).
	Shard *Shard `json:"shard,omitempty"`

	Source          string    `json:"source,omitempty"` // where the rows came from, when not measured by this nvitprof (an imported file)
	NVitProfVersion string    `json:"nvitprof_version,omitempty"`
	Time            time.Time `json:"time,omitzero"` // when the sweep started
	Host            string    `json:"host,omitempty"`
	Notes           []string  `json:"notes,omitempty"` // free-form remarks
}

// Method is how the latencies were timed.
type Method struct {
	// Name is the timing method: "differential" (per-block time from the
	// difference of two stack depths), "single" (one block per execution),
	// or the name of an imported source such as "nvit-lut".
	Name   string `json:"name,omitempty"`
	Depths []int  `json:"depths,omitempty"` // stack depths, e.g. [2, 10] for differential timing
	Warmup int    `json:"warmup,omitempty"` // untimed executions before sampling
	// Samples is the number of timed executions per measurement, as planned;
	// each row records how many it actually took.
	Samples int `json:"samples,omitempty"`
	// NoiseThreshold is the relative spread (spread / median) above which a
	// row is flagged noisy.
	NoiseThreshold float64 `json:"noise_threshold,omitempty"`
	// Estimator is how a row's samples became its latency: EstimatorMedian
	// (also when empty, as in tables written before it existed) or
	// EstimatorMin.
	Estimator string `json:"estimator,omitempty"`
	// Passes is how many times the sweep went over its whole grid, each row
	// keeping the fastest of its passes (0 and 1: once). Passes minutes
	// apart see a shared machine's slow spells at different times.
	Passes int `json:"passes,omitempty"`
	// Clock is what timed the executions: ClockWall (also when empty) or
	// ClockCPU.
	Clock string `json:"clock,omitempty"`
}

// The clocks a Method can name.
const (
	// ClockWall is the wall clock: what a user waits, everything included.
	ClockWall = "wall"
	// ClockCPU is the measuring process's CPU clock, for one thread on a
	// CPU: it stops while another program holds the core, so a shared
	// machine's time slices do not count (its caches' contention still
	// does). On a dedicated core it reads what the wall clock reads.
	ClockCPU = "cpu"
)

// ClockName is m's clock with the empty default spelled out.
func (m Method) ClockName() string {
	if m.Clock == "" {
		return ClockWall
	}
	return m.Clock
}

// The latency estimators a Method can name.
const (
	// EstimatorMedian takes the median of the per-unit samples (pair
	// differences): right where noise is symmetric, as on a dedicated GPU.
	EstimatorMedian = "median"
	// EstimatorMin takes the difference of the per-depth minima: on a shared
	// machine other tenants only ever add time, so the fastest execution is
	// the repeatable one.
	EstimatorMin = "min"
)

// EstimatorName is m's estimator with the empty default spelled out.
func (m Method) EstimatorName() string {
	if m.Estimator == "" {
		return EstimatorMedian
	}
	return m.Estimator
}

// Validate reports why h cannot head a table, or nil.
func (h Header) Validate() error {
	if h.Version != FormatVersion {
		return fmt.Errorf("unsupported table version %d (this nvitprof reads version %d)", h.Version, FormatVersion)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"batch", h.Batch}, {"tokens", h.Tokens}, {"image", h.Image}, {"patch", h.Patch},
		{"channels", h.Channels}, {"classes", h.Classes},
		{"method.warmup", h.Method.Warmup}, {"method.samples", h.Method.Samples}, {"method.passes", h.Method.Passes},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", f.name, f.v)
		}
	}
	for _, d := range h.Method.Depths {
		if d <= 0 {
			return fmt.Errorf("method.depths must be positive, got %v", h.Method.Depths)
		}
	}
	if !finite(h.Method.NoiseThreshold) || h.Method.NoiseThreshold < 0 {
		return fmt.Errorf("method.noise_threshold must be a non-negative number, got %v", h.Method.NoiseThreshold)
	}
	if e := h.Method.EstimatorName(); e != EstimatorMedian && e != EstimatorMin {
		return fmt.Errorf("method.estimator %q: want %q or %q", h.Method.Estimator, EstimatorMedian, EstimatorMin)
	}
	if c := h.Method.ClockName(); c != ClockWall && c != ClockCPU {
		return fmt.Errorf("method.clock %q: want %q or %q", h.Method.Clock, ClockWall, ClockCPU)
	}
	if h.Shard != nil {
		if err := h.Shard.Validate(); err != nil {
			return err
		}
	}
	if h.Sampling != nil {
		return h.Sampling.Validate()
	}
	return nil
}

// Compatible reports whether rows measured under h and under other can live
// in one table: same device kind and name, runtime, backend and its version,
// dtype, batch, tokens, model geometry and timing method. Fields that describe a run rather
// than what was measured (device index, plugin path, time, host, notes) may
// differ. The error names every field that disagrees, h's value first.
func (h Header) Compatible(other Header) error {
	if d := headerDiffs(h, other); len(d) > 0 {
		return errors.New("tablefmt: table headers disagree: " + strings.Join(d, "; "))
	}
	return nil
}

// headerDiffs lists the fields that make h and other incompatible.
func headerDiffs(h, other Header) []string { return diffs(h, other, false) }

// diffs lists the fields that make h and other incompatible; with
// anyShard, shards of one split are compatible (merging them).
func diffs(h, other Header, anyShard bool) []string {
	var diffs []string
	str := func(name, a, b string) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s %q vs %q", name, a, b))
		}
	}
	num := func(name string, a, b int) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s %d vs %d", name, a, b))
		}
	}
	num("version", h.Version, other.Version)
	str("device_kind", h.DeviceKind, other.DeviceKind)
	str("device_name", h.DeviceName, other.DeviceName)
	str("runtime", h.Runtime, other.Runtime)
	str("backend", h.Backend, other.Backend)
	str("plugin_version", h.PluginVersion, other.PluginVersion)
	str("dtype", h.DType, other.DType)
	num("batch", h.Batch, other.Batch)
	num("tokens", h.Tokens, other.Tokens)
	num("image", h.Image, other.Image)
	num("patch", h.Patch, other.Patch)
	num("channels", h.Channels, other.Channels)
	num("classes", h.Classes, other.Classes)
	m, o := h.Method, other.Method
	str("method.name", m.Name, o.Name)
	if !slices.Equal(m.Depths, o.Depths) {
		diffs = append(diffs, fmt.Sprintf("method.depths %v vs %v", m.Depths, o.Depths))
	}
	num("method.warmup", m.Warmup, o.Warmup)
	num("method.samples", m.Samples, o.Samples)
	if m.NoiseThreshold != o.NoiseThreshold {
		diffs = append(diffs, fmt.Sprintf("method.noise_threshold %v vs %v", m.NoiseThreshold, o.NoiseThreshold))
	}
	str("method.estimator", m.EstimatorName(), o.EstimatorName())
	str("method.clock", m.ClockName(), o.ClockName())
	num("method.passes", max(m.Passes, 1), max(o.Passes, 1))
	if d := shardDiff(h.Shard, other.Shard, anyShard); d != "" {
		diffs = append(diffs, d)
	}
	return diffs
}

// ElemSize is the size in bytes of one element of h's dtype, or 0 when the
// dtype is unknown.
func (h Header) ElemSize() int {
	switch strings.ToLower(h.DType) {
	case "float64", "f64", "fp64":
		return 8
	case "float32", "f32", "fp32", "tf32":
		return 4
	case "bfloat16", "bf16", "float16", "f16", "fp16", "half":
		return 2
	case "float8", "f8", "fp8", "int8", "i8":
		return 1
	}
	return 0
}

// Summary is a one-line description of what a table measured.
func (h Header) Summary() string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	dev := h.DeviceName
	if dev == "" {
		dev = h.Device
	}
	add(dev)
	rt := h.Runtime
	if h.Backend != "" {
		rt += "/" + h.Backend
	}
	add(strings.TrimPrefix(rt, "/"))
	add(h.DType)
	if h.Batch > 0 {
		add(fmt.Sprintf("batch %d", h.Batch))
	}
	if h.Tokens > 0 {
		add(fmt.Sprintf("%d tokens", h.Tokens))
	}
	add(h.Method.Name)
	if len(parts) == 0 {
		return "(no header)"
	}
	return strings.Join(parts, ", ")
}

// Geometry is the model geometry h records, its extra tokens being the
// tokens beyond the image's patches. Zero fields are unknown; the result is
// not validated (build a Spec with it and call Validate).
func (h Header) Geometry() arch.Geometry {
	g := arch.Geometry{Image: h.Image, Patch: h.Patch, Channels: h.Channels, Classes: h.Classes}
	g.ExtraTokens = h.Tokens - g.Patches()
	return g
}
