package profiler

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// planReplay opens the table of a replay device (opts.Device "replay:..."),
// or returns nil for any other device. Without a preset or dimension lists
// the grid is the table's own: its values of every dimension, as whole
// blocks when the table has blocks only, and no models.
func planReplay(opts *PlanOptions) (*ReplayMeasurer, error) {
	if !IsReplay(opts.Device) {
		return nil, nil
	}
	spec, err := ParseReplay(opts.Device)
	if err != nil {
		return nil, optionError("device", err)
	}
	m, err := OpenReplay(spec)
	if err != nil {
		return nil, optionError("device", err)
	}
	if opts.Preset == "" && opts.EMB == nil && opts.Heads == nil && opts.QK == nil && opts.V == nil && opts.MLP == nil {
		tableGrid(opts, m.Table())
	}
	return m, nil
}

// tableGrid sets opts' dimension lists to t's values.
func tableGrid(opts *PlanOptions, t tablefmt.Table) {
	blocksOnly := true
	for _, r := range t.Rows {
		switch r.Kind {
		case tablefmt.KindAttn, tablefmt.KindMLP:
			blocksOnly = false
		case tablefmt.KindModel:
			continue
		}
		opts.EMB = addValue(opts.EMB, r.EMB)
		if r.Heads > 0 {
			opts.Heads, opts.QK, opts.V = addValue(opts.Heads, r.Heads), addValue(opts.QK, r.QK), addValue(opts.V, r.V)
		}
		if r.Kind == tablefmt.KindMLP || r.Kind == tablefmt.KindBlock {
			opts.MLP = addValue(opts.MLP, r.MLP)
		}
	}
	opts.Blocks = opts.Blocks || blocksOnly
	if opts.Models == nil {
		opts.Models = []string{"none"}
	}
}

// replayGeometry is the geometry of a replay's grid: the table's when its
// header has one and no preset says otherwise. The grid's tokens must be
// the table's.
func replayGeometry(p *SweepPreset, opts PlanOptions, src *ReplayMeasurer) error {
	sh := src.Table().Header
	g := sh.Geometry()
	if opts.Preset == "" && sh.Image > 0 && sh.Patch > 0 && g.ExtraTokens >= 0 {
		p.Geometry = arch.Geometry{Image: sh.Image, Patch: sh.Patch, Channels: sh.Channels, Classes: sh.Classes, ExtraTokens: g.ExtraTokens}
	}
	if sh.Tokens > 0 && p.Geometry.Tokens() != sh.Tokens {
		return optionErrorf("device", "%s was measured with %d tokens; the grid (preset %s) has %d", src.spec.Path, sh.Tokens, p.Name, p.Geometry.Tokens())
	}
	return nil
}

// replayHeader is the header of a replayed sweep: the replayed table's
// batch, dtype, runtime and timing method, its device name (the file's
// name when it has none), device kind "replay", and notes that say what
// was replayed. Settings of the timing
// cannot apply to a replay and are refused; Passes can (with noise, passes
// differ) and default to 1.
func replayHeader(opts PlanOptions, p SweepPreset, src *ReplayMeasurer) (tablefmt.Header, error) {
	for _, o := range []struct {
		name string
		set  bool
	}{{"batch", opts.Batch != nil}, {"dtype", opts.DType != ""}, {"depths", opts.Depths != nil},
		{"warmup", opts.Warmup != nil}, {"samples", opts.Samples != nil}, {"estimator", opts.Estimator != ""}} {
		if o.set {
			return tablefmt.Header{}, optionErrorf(o.name, "a replay answers from its table, whose %s it keeps", o.name)
		}
	}
	t := src.Table()
	sh := t.Header
	g := p.Geometry
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: src.spec.String(), DeviceKind: KindReplay,
		DeviceName: sh.DeviceName, Runtime: sh.Runtime, Backend: sh.Backend, PluginVersion: sh.PluginVersion,
		DType: sh.DType, Batch: sh.Batch, Tokens: g.Tokens(), Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes,
		Method: sh.Method, Source: src.spec.Path, NVitProfVersion: opts.Version, Time: time.Now().UTC().Round(time.Second)}
	if h.DeviceName == "" {
		h.DeviceName = filepath.Base(src.spec.Path) // a table of unknown device: its file names it
	}
	h.Method.Passes = 1
	if opts.Passes != nil {
		if *opts.Passes < 1 {
			return h, optionErrorf("passes", "must be at least 1, got %d", *opts.Passes)
		}
		h.Method.Passes = *opts.Passes
	}
	h.Host, _ = os.Hostname()
	hash, err := t.Hash()
	if err != nil {
		return h, err
	}
	h.Notes = append(h.Notes, fmt.Sprintf("replayed from %s (%d rows, sha256 %.12s): %s", src.spec.Path, len(t.Rows), hash, sh.Summary()))
	if n := src.spec.Noise; n > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("replay noise: each latency times exp(%g·z), z standard normal, seed %d", n, src.spec.Seed))
	}
	h.Notes = append(h.Notes, "preset "+p.Name)
	return h, nil
}

// startReplay is the plan's replay once per worker: it answers
// concurrently.
func (p *Plan) startReplay() []Measurer {
	workers := 1
	if p.opts.Workers != nil {
		workers = *p.opts.Workers
	}
	ms := make([]Measurer, workers)
	for i := range ms {
		ms[i] = p.replay
	}
	return ms
}
