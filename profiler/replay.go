package profiler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// KindReplay is the device kind of a sweep that answers from a table
// (ReplayMeasurer) instead of measuring.
const KindReplay = "replay"

// replayPrefix starts a replay device's name: "replay:PATH".
const replayPrefix = KindReplay + ":"

// ErrNotInTable is wrapped by the error of a replay asked for a
// configuration its table cannot answer.
var ErrNotInTable = errors.New("not in the replayed table")

// ReplaySpec is a replay device: the table to answer from and the noise to
// add.
type ReplaySpec struct {
	Path string
	// Noise is the relative size of the noise: each answer is the table's
	// latency times exp(Noise·z), z standard normal. 0: the table's values
	// exactly.
	Noise float64
	// Seed picks the noise, with the configuration and how many times the
	// replay has answered it, so that a replay is deterministic.
	Seed uint64
}

// String is the spec as a device name, parameters only where they are not
// the defaults.
func (s ReplaySpec) String() string {
	q := url.Values{}
	if s.Noise != 0 {
		q.Set("noise", strconv.FormatFloat(s.Noise, 'g', -1, 64))
	}
	if s.Seed != 0 {
		q.Set("seed", strconv.FormatUint(s.Seed, 10))
	}
	if len(q) == 0 {
		if strings.Contains(s.Path, "?") {
			return replayPrefix + s.Path + "?"
		}
		return replayPrefix + s.Path
	}
	return replayPrefix + s.Path + "?" + q.Encode()
}

// IsReplay reports whether a device name names a replay ("replay:...").
func IsReplay(device string) bool { return strings.HasPrefix(strings.TrimSpace(device), replayPrefix) }

// ParseReplay reads a replay device's name: "replay:PATH", optionally
// followed by "?noise=N&seed=S" (noise a relative size in [0, 1), seed an
// unsigned integer). Everything after the last "?" is the parameters, so a
// path that holds a "?" ends with one: "replay:odd?name.jsonl?". Unknown or
// repeated parameters are refused.
func ParseReplay(device string) (ReplaySpec, error) {
	name := strings.TrimSpace(device)
	rest, ok := strings.CutPrefix(name, replayPrefix)
	if !ok {
		return ReplaySpec{}, fmt.Errorf("device %q: a replay is replay:TABLE", device)
	}
	spec := ReplaySpec{Path: rest}
	if i := strings.LastIndexByte(rest, '?'); i >= 0 {
		spec.Path = rest[:i]
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return ReplaySpec{}, fmt.Errorf("device %q: parameters: %w", device, err)
		}
		for key, vs := range q {
			if len(vs) != 1 {
				return ReplaySpec{}, fmt.Errorf("device %q: %s given %d times", device, key, len(vs))
			}
			switch key {
			case "noise":
				n, err := strconv.ParseFloat(vs[0], 64)
				if err != nil || !(n >= 0 && n < 1) {
					return ReplaySpec{}, fmt.Errorf("device %q: noise %q: want a relative size in [0, 1), e.g. 0.02", device, vs[0])
				}
				spec.Noise = n
			case "seed":
				s, err := strconv.ParseUint(vs[0], 10, 64)
				if err != nil {
					return ReplaySpec{}, fmt.Errorf("device %q: seed %q: want an unsigned integer", device, vs[0])
				}
				spec.Seed = s
			default:
				return ReplaySpec{}, fmt.Errorf("device %q: unknown parameter %q (want noise and seed; a path holding \"?\" ends with \"?\")", device, key)
			}
		}
	}
	if spec.Path == "" {
		return ReplaySpec{}, fmt.Errorf("device %q: no table: want replay:TABLE", device)
	}
	return spec, nil
}

// OpenReplay reads the table spec names, in any format tablefmt.Open reads
// (JSON Lines, CSV, NViT's latency_head.json).
func OpenReplay(spec ReplaySpec) (*ReplayMeasurer, error) {
	o, err := tablefmt.Open(spec.Path, tablefmt.OpenOptions{})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return NewReplayMeasurer(o.Table, spec), nil
}

// ReplayMeasurer answers measurements from a table instead of measuring, so
// that sampling strategies can be tried deterministically and fast. It
// answers a configuration with the table's row of the same key; from a
// table of whole blocks (NViT's latency_head.json) also an attention
// sub-block, with the block of the same attention and no MLP, and an MLP
// sub-block with the block of no heads. Anything else is an error wrapping
// ErrNotInTable. Rows come back with the table's latency, spread, samples,
// noisy flag and counts (times the noise, if any), without floors or
// per-pass latencies: a replay is not a differential measurement. It is
// safe for concurrent use, so that several workers can share it.
type ReplayMeasurer struct {
	spec  ReplaySpec
	table tablefmt.Table
	index map[string]tablefmt.Row

	mu    sync.Mutex
	asked map[string]uint64 // answers given per key, for the noise
}

// NewReplayMeasurer replays t (read from spec.Path) with spec's noise.
func NewReplayMeasurer(t tablefmt.Table, spec ReplaySpec) *ReplayMeasurer {
	idx := t.Index()
	return &ReplayMeasurer{spec: spec, table: t, index: idx, asked: map[string]uint64{}}
}

// Table is the table replayed.
func (m *ReplayMeasurer) Table() tablefmt.Table { return m.table }

// Overlap is true: answering takes no device.
func (m *ReplayMeasurer) Overlap() bool { return true }

// Prepare looks row up, refusing a configuration the table cannot answer.
func (m *ReplayMeasurer) Prepare(_ context.Context, row tablefmt.Row) (Prepared, error) {
	src, err := m.Lookup(row)
	if err != nil {
		return nil, err
	}
	return replayPrepared{m: m, row: row, src: src}, nil
}

// Lookup is the table's row that answers row (see ReplayMeasurer), as it
// is in the table.
func (m *ReplayMeasurer) Lookup(row tablefmt.Row) (tablefmt.Row, error) {
	if r, ok := m.index[row.Key()]; ok {
		return r, nil
	}
	var alt tablefmt.Row
	switch row.Kind {
	case tablefmt.KindAttn:
		alt = tablefmt.Row{Kind: tablefmt.KindBlock, EMB: row.EMB, Heads: row.Heads, QK: row.QK, V: row.V}
	case tablefmt.KindMLP:
		alt = tablefmt.Row{Kind: tablefmt.KindBlock, EMB: row.EMB, MLP: row.MLP}
	default:
		return tablefmt.Row{}, fmt.Errorf("%s: %w %s", row.Key(), ErrNotInTable, m.spec.Path)
	}
	if r, ok := m.index[alt.Key()]; ok {
		return r, nil
	}
	return tablefmt.Row{}, fmt.Errorf("%s: %w %s (nor is %s)", row.Key(), ErrNotInTable, m.spec.Path, alt.Key())
}

// factor is the noise of the n-th answer (0-based) for key.
func (m *ReplayMeasurer) factor(key string) float64 {
	if m.spec.Noise == 0 {
		return 1
	}
	m.mu.Lock()
	n := m.asked[key]
	m.asked[key] = n + 1
	m.mu.Unlock()
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(m.spec.Seed, h.Sum64()^(n*0x9e3779b97f4a7c15)))
	return math.Exp(m.spec.Noise * rng.NormFloat64())
}

type replayPrepared struct {
	m        *ReplayMeasurer
	row, src tablefmt.Row
}

func (p replayPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	if err := ctx.Err(); err != nil {
		return p.row, err
	}
	f := p.m.factor(p.row.Key())
	r := p.row
	r.MedianMS, r.SpreadMS = p.src.MedianMS*f, p.src.SpreadMS*f
	r.Samples, r.Noisy, r.MACs, r.Bytes = p.src.Samples, p.src.Noisy, p.src.MACs, p.src.Bytes
	r.Floors, r.PassesMS, r.Note = nil, nil, ""
	return r, nil
}

func (p replayPrepared) Close() {}
