package tablefmt

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// Kind is what a row measured.
type Kind string

// The kinds of rows.
const (
	KindAttn  Kind = "attn"  // one attention sub-block (LayerNorm, QKV, attention, projection, residual): emb, heads, qk, v
	KindMLP   Kind = "mlp"   // one MLP sub-block (LayerNorm, fc1, GELU, fc2, residual): emb, mlp
	KindBlock Kind = "block" // one whole transformer block: emb, heads, qk, v, mlp
	KindRest  Kind = "rest"  // everything outside the blocks (patch embedding, tokens, final norm, heads): emb
	KindModel Kind = "model" // a whole model: dim (and name)
)

// Kinds lists the kinds in the order tables are usually written.
func Kinds() []Kind { return []Kind{KindAttn, KindMLP, KindBlock, KindRest, KindModel} }

// Row is one measured configuration. Which dimensions apply depends on Kind;
// the others are zero. Table-wide settings (batch, tokens, dtype, device) are
// in the Header.
type Row struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name,omitempty"` // a label, e.g. the model's name; not part of the key

	EMB   int       `json:"emb"`             // residual width
	Heads int       `json:"heads,omitempty"` // attention heads (attn, block; 0 in a block: no attention)
	QK    int       `json:"qk,omitempty"`    // query/key width per head
	V     int       `json:"v,omitempty"`     // value width per head
	MLP   int       `json:"mlp,omitempty"`   // MLP hidden width (mlp, block; 0 in a block: no MLP)
	Dim   *arch.Dim `json:"dim,omitempty"`   // model rows: NViT's architecture description

	MedianMS float64 `json:"median_ms"`       // latency of one configuration, ms: the median, or the floor under the header's "min" estimator
	SpreadMS float64 `json:"spread_ms"`       // interquartile range of the samples, ms
	Samples  int     `json:"samples"`         // timed samples behind the median (0: unknown, e.g. imported)
	Noisy    bool    `json:"noisy,omitempty"` // spread above the header's noise threshold
	MACs     int64   `json:"macs"`            // multiply-accumulates of one execution (whole batch)
	Bytes    int64   `json:"bytes"`           // weight bytes + activation bytes of one execution (0: unknown dtype)
	Note     string  `json:"note,omitempty"`  // free-form remark about this row
	// Floors, under the min estimator, are the fastest execution of each
	// stack depth, so that passes at different times can be combined depth
	// by depth (nil: not recorded, e.g. imported or median rows).
	Floors *Floors `json:"floors,omitempty"`
	// PassesMS, in a row that combines the passes of a multi-pass sweep
	// (Header.Method.Passes), is each pass's own latency in pass order, ms,
	// then those of the measurements the last pass took again because the
	// passes disagreed; the last pass wrote the row. MedianMS is their combination, depth by
	// depth from Floors when the row has them. Nil: one pass, or not
	// recorded (tables written before this field put them in Note).
	PassesMS []float64 `json:"passes_ms,omitempty"`
	// Validation marks a row an adaptive sweep measured to check its cost
	// model and never fitted: costmodel's Fit leaves it out and Eval reports
	// on it apart, so that the accuracy the sweep stated is reproducible
	// from the table. Model rows are never fitted and cannot be marked.
	Validation bool `json:"validation,omitempty"`
}

// Floors are the fastest executions of a differential measurement's two
// stack depths: the row's latency is (MS[1] − MS[0]) / (Depths[1] − Depths[0]).
type Floors struct {
	Depths [2]int     `json:"depths"`
	MS     [2]float64 `json:"ms"`
}

// Validate reports depths that are not increasing or times that are not
// non-negative numbers.
func (f Floors) Validate() error {
	if f.Depths[0] < 0 || f.Depths[1] <= f.Depths[0] {
		return fmt.Errorf("floors: depths must satisfy 0 <= low < high, got %v", f.Depths)
	}
	for _, ms := range f.MS {
		if !finite(ms) || ms < 0 {
			return fmt.Errorf("floors: times must be non-negative numbers, got %v", f.MS)
		}
	}
	return nil
}

// Block returns the row's block dimensions (heads, qk, v, mlp).
func (r Row) Block() arch.Block { return arch.Block{Heads: r.Heads, QK: r.QK, V: r.V, MLP: r.MLP} }

// Get is r's size along d (0 where the row's kind does not have d).
func (r Row) Get(d arch.Dimension) int {
	if d == arch.DimEMB {
		return r.EMB
	}
	return r.Block().Get(d)
}

// Key identifies the configuration a row measured: its kind and the
// dimensions that apply to that kind. Two rows with one key measured the same
// thing (under the table's header), which is what resume and merge rely on.
func (r Row) Key() string {
	switch r.Kind {
	case KindAttn:
		return fmt.Sprintf("attn emb=%d heads=%d qk=%d v=%d", r.EMB, r.Heads, r.QK, r.V)
	case KindMLP:
		return fmt.Sprintf("mlp emb=%d mlp=%d", r.EMB, r.MLP)
	case KindBlock:
		return fmt.Sprintf("block emb=%d heads=%d qk=%d v=%d mlp=%d", r.EMB, r.Heads, r.QK, r.V, r.MLP)
	case KindRest:
		return fmt.Sprintf("rest emb=%d", r.EMB)
	case KindModel:
		if r.Dim == nil {
			return fmt.Sprintf("model emb=%d", r.EMB)
		}
		d := r.Dim
		return fmt.Sprintf("model emb=%d heads=%s qk=%s v=%s mlp=%s",
			d.EMB, joinInts(d.Head), joinInts(d.QK), joinInts(d.V), joinInts(d.MLP))
	}
	return fmt.Sprintf("%s emb=%d heads=%d qk=%d v=%d mlp=%d", r.Kind, r.EMB, r.Heads, r.QK, r.V, r.MLP)
}

// Validate reports why r is not a possible measurement, or nil: an unknown
// kind, dimensions that do not fit the kind, a negative or non-finite
// latency or spread, negative counts, impossible floors or per-pass
// latencies. It does not judge the latency's size (a configuration to
// measure has none yet): readers also call CheckLatency.
func (r Row) Validate() error {
	if err := r.validateDims(); err != nil {
		return err
	}
	switch {
	case !finite(r.MedianMS) || r.MedianMS < 0:
		return fmt.Errorf("median_ms must be a non-negative number, got %v", r.MedianMS)
	case !finite(r.SpreadMS) || r.SpreadMS < 0:
		return fmt.Errorf("spread_ms must be a non-negative number, got %v", r.SpreadMS)
	case r.Samples < 0:
		return fmt.Errorf("samples must not be negative, got %d", r.Samples)
	case r.MACs < 0:
		return fmt.Errorf("macs must not be negative, got %d", r.MACs)
	case r.Bytes < 0:
		return fmt.Errorf("bytes must not be negative, got %d", r.Bytes)
	}
	if r.Floors != nil {
		if err := r.Floors.Validate(); err != nil {
			return err
		}
	}
	if r.Validation && r.Kind == KindModel {
		return errors.New("model row: validation applies to rows a cost model fits (attn, mlp, block, rest); model rows are never fitted")
	}
	return validatePasses(r.PassesMS)
}

// Bounds of a plausible latency (Row.CheckLatency): a typo or a broken
// timer must not be fitted as a measurement.
const (
	// MaxMS is the longest latency one execution of a row may take: 1e7 ms,
	// 2.8 hours.
	MaxMS = 1e7
	// MaxMACsPerSecond is the fastest a row's work may run: 1e17
	// multiply-accumulates (macs) per second, about 100 times the dense
	// 16-bit rate of the fastest accelerators (a B200: about 1.1e15 MAC/s).
	MaxMACsPerSecond = 1e17
)

// CheckLatency reports why r's latency, valid as a number (Validate), is
// not a plausible measurement, or nil: 0 in a row not flagged noisy (a sweep
// writes 0 only for a tiny unit whose differential estimate came out
// negative, and flags it noisy), above MaxMS, or faster than
// MaxMACsPerSecond for the row's MACs (when known). Every reader calls it;
// Writer.Write does not, so that a sweep keeps what it measured.
func (r Row) CheckLatency() error {
	ms := r.MedianMS
	switch {
	case ms == 0 && !r.Noisy:
		return errors.New("median_ms is 0 in a row not flagged noisy: nothing runs in no time")
	case ms > MaxMS:
		return fmt.Errorf("median_ms %g is not a plausible latency: above %g ms (2.8 hours) for one execution", ms, float64(MaxMS))
	case ms > 0 && float64(r.MACs)/(ms/1e3) > MaxMACsPerSecond:
		return fmt.Errorf("median_ms %g is too fast for the row's %d MACs: %.3g MAC/s, above %g MAC/s (about 100× the fastest accelerator)",
			ms, r.MACs, float64(r.MACs)/(ms/1e3), float64(MaxMACsPerSecond))
	}
	for _, v := range r.PassesMS {
		if v > MaxMS {
			return fmt.Errorf("passes_ms %v: %g is not a plausible latency (above %g ms)", r.PassesMS, v, float64(MaxMS))
		}
	}
	return nil
}

// validatePasses checks a row's per-pass latencies: none, or two or more
// non-negative numbers (one pass has nothing to combine; an empty list is
// not written, so reading one would not round-trip).
func validatePasses(ms []float64) error {
	if ms == nil {
		return nil
	}
	if len(ms) < 2 {
		return fmt.Errorf("passes_ms must list at least two passes, got %v", ms)
	}
	for _, v := range ms {
		if !finite(v) || v < 0 {
			return fmt.Errorf("passes_ms must be non-negative numbers, got %v", ms)
		}
	}
	return nil
}

func (r Row) validateDims() error {
	if !slices.Contains(Kinds(), r.Kind) {
		return fmt.Errorf("unknown kind %q (want attn, mlp, block, rest or model)", r.Kind)
	}
	if r.Kind != KindModel && r.Dim != nil {
		return fmt.Errorf("%s row: dim applies to model rows only", r.Kind)
	}
	if r.EMB <= 0 && r.Kind != KindModel {
		return fmt.Errorf("%s row: emb must be positive, got %d", r.Kind, r.EMB)
	}
	switch r.Kind {
	case KindAttn:
		if r.Heads <= 0 || r.QK <= 0 || r.V <= 0 {
			return fmt.Errorf("attn row: heads, qk and v must be positive, got %d, %d, %d", r.Heads, r.QK, r.V)
		}
		if r.MLP != 0 {
			return fmt.Errorf("attn row: mlp does not apply, got %d", r.MLP)
		}
	case KindMLP:
		if r.MLP <= 0 {
			return fmt.Errorf("mlp row: mlp must be positive, got %d", r.MLP)
		}
		if r.Heads != 0 || r.QK != 0 || r.V != 0 {
			return fmt.Errorf("mlp row: heads, qk and v do not apply, got %d, %d, %d", r.Heads, r.QK, r.V)
		}
	case KindBlock:
		if err := blockDims(r.Block()); err != nil {
			return fmt.Errorf("block row: %w", err)
		}
	case KindRest:
		if r.Heads != 0 || r.QK != 0 || r.V != 0 || r.MLP != 0 {
			return errors.New("rest row: heads, qk, v and mlp do not apply")
		}
	case KindModel:
		if r.Heads != 0 || r.QK != 0 || r.V != 0 || r.MLP != 0 {
			return errors.New("model row: give the dimensions in dim, not heads/qk/v/mlp")
		}
		if r.Dim == nil {
			return errors.New("model row: dim is missing")
		}
		if r.Dim.EMB <= 0 {
			return fmt.Errorf("model row: dim.EMB must be positive, got %d", r.Dim.EMB)
		}
		if r.EMB != r.Dim.EMB {
			return fmt.Errorf("model row: emb %d differs from dim.EMB %d", r.EMB, r.Dim.EMB)
		}
		blocks, err := r.Dim.Blocks()
		if err != nil {
			return fmt.Errorf("model row: %w", err)
		}
		if len(blocks) == 0 {
			return errors.New("model row: dim has no blocks")
		}
		for i, b := range blocks {
			if err := b.Validate(); err != nil {
				return fmt.Errorf("model row: block %d: %w", i, err)
			}
		}
	}
	return nil
}

// blockDims checks a block row's dimensions: a valid arch.Block with at least
// one sub-block, and no per-head widths without heads (so that the key is unique).
func blockDims(b arch.Block) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Heads == 0 && (b.QK != 0 || b.V != 0) {
		return fmt.Errorf("qk and v must be 0 without heads, got %d and %d", b.QK, b.V)
	}
	if b.Heads == 0 && b.MLP == 0 {
		return errors.New("a block without heads and without MLP measures nothing")
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
