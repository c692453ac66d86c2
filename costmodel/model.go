package costmodel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ModelKind names how a Model predicts.
type ModelKind string

// The model kinds.
const (
	// ModelHW is the default: per component, the table's grid where it was
	// measured, a fitted compute/memory-traffic trend outside it, and a
	// monotone envelope over both (see the package documentation).
	ModelHW ModelKind = "hw"
	// ModelNViTInterp is NViT's baseline: multilinear interpolation of the
	// table on its grid with a zero plane at EMB 0 (and at MLP width 0 for
	// a decomposed table's MLP), refusing everything else, as NVlabs/NViT's
	// pruner does with scipy's RegularGridInterpolator.
	ModelNViTInterp ModelKind = "nvit-interp"
)

// ModelKinds lists the model kinds, the default first.
func ModelKinds() []ModelKind { return []ModelKind{ModelHW, ModelNViTInterp} }

// ParseModelKind checks a model kind's name.
func ParseModelKind(s string) (ModelKind, error) {
	for _, k := range ModelKinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("costmodel: unknown model kind %q (want hw or nvit-interp)", s)
}

// Predictor is what the pruner and the architecture generator need from a
// cost model, whatever its kind. Latencies are milliseconds of one execution
// over the table's batch. Every method refuses (returns an error) rather than
// guessing: a query outside what the model covers, or an architecture whose
// tokens or geometry differ from the table's.
type Predictor interface {
	// BlockMS is the latency of one transformer block of width emb over
	// tokens tokens.
	BlockMS(emb, tokens int, b arch.Block) (float64, error)
	// Latency is the whole model: every block plus the rest.
	Latency(s arch.Spec) (Prediction, error)
	// Marginal is the latency saved by removal r at s; never negative.
	Marginal(s arch.Spec, r Removal) (float64, error)
	// Speedup is Latency(ref) / Latency(s).
	Speedup(s, ref arch.Spec) (float64, error)
}

var _ Predictor = (*Model)(nil)

// Source says which table a model was fitted to.
type Source struct {
	Path    string          `json:"path,omitempty"`   // the file, as given
	Format  string          `json:"format,omitempty"` // jsonl, csv or nvit-lut
	Rows    int             `json:"rows"`             // rows the model was fitted to
	SHA256  string          `json:"sha256"`           // tablefmt.Table.Hash of the table
	Summary string          `json:"summary"`          // tablefmt.Header.Summary
	Header  tablefmt.Header `json:"header"`           // the table's header
}

// Model is a fitted cost model. Build one with Fit, or read one with Load.
//
// A model has one component per kind of row the table measured: attention
// over (EMB, heads, QK, V), MLP over (EMB, MLP), rest over EMB, and whole
// blocks over all five when the table has block rows (NViT's LUT has only
// those). A block is attention + MLP when the table is decomposed, else the
// block component (the rule of tablefmt.Blocks; see BlockMS). Each
// component starts from the table's grid: the sorted
// values of every dimension the rows hold, a node per combination. A node no
// row measured (a sparse sweep, or a row held out by Eval) is filled from
// its neighbours along each axis (linear in the coordinate, averaged over
// the axes; for hw in log(latency / trend)).
//
// ModelNViTInterp then does what NVlabs/NViT's pruner does: multilinear
// interpolation of that grid with a plane of zeros prepended at EMB 0
// (scipy's RegularGridInterpolator over EMB {0, 256, 512, 768}), so below the
// smallest EMB measured the latency falls linearly to 0 — with a constant
// per-block cost in the table this under-predicts small models' latency and
// over-predicts their speedup. Below the smallest MLP width measured a
// block falls linearly toward the block without MLP, as NViT's interpolator
// does between MLP_1 and MLP_128: a whole-block table has that point (MLP
// 0) on its grid, and a decomposed table's MLP component gets a plane of
// zeros at width 0. Everything else outside the grid is refused,
// as scipy does; nothing is clamped. Inversions in the table are kept, so a
// removal can be predicted to slow the model down (Marginal reports an
// *InversionError).
//
// ModelHW, the default, keeps the measured grid too, and adds:
//
//   - A trend: latency ≈ Σ cᵢ·featureᵢ with cᵢ ≥ 0, features from package
//     arch's exact counts (launches, dense and attention MACs, weights,
//     activations; see fitTrend), least squares on relative error (gonum),
//     iteratively reweighted with Huber's weight so that wild readings pull
//     it little.
//   - Outliers: a measured node whose log(latency / trend) lies beyond that
//     of every neighbour (the nearest measured node on each side along each
//     axis), on the same side, by more than max(2σ, 5%) — σ the component's
//     robust noise — is overridden: filled from its neighbours like a node no
//     row measured. A step shared by several neighbouring nodes, or
//     reproduced by every pass of the row, is kept (see findOutliers and the
//     package documentation); Outliers lists what was overridden.
//   - Extrapolation by the trend, anchored at the grid: outside the grid the
//     latency is trend(x) · (measured / trend) at the nearest point of the
//     grid (the ratio interpolated there and held constant beyond the edge).
//     It is evaluated on virtual nodes a quarter octave apart, from a quarter
//     of each axis's smallest measured value (not below 1) to twice its
//     largest; queries beyond are refused with the range in the message.
//     A block's heads and MLP width, and an MLP component's width, also
//     reach 0, the sub-block absent: below a quarter of the smallest MLP
//     width measured a block falls linearly toward the block without MLP,
//     in both kinds of table.
//   - Monotonicity: every node, measured or virtual, is replaced by the
//     minimum over the nodes that dominate it, L̃(x) = min_{y ≥ x} L(y). A
//     smaller configuration can always run at the speed of a larger one
//     (pad it), so this removes the table's inversions — never raising a
//     value — while keeping every measured step that no larger
//     configuration undercuts. Multilinear interpolation of a grid that is
//     non-decreasing along each axis is non-decreasing in every coordinate,
//     so removing units never makes a prediction slower.
//
// Predictions reproduce the measured latencies where the table is monotone
// and its readings agree with their neighbours, interpolate between
// neighbouring measured points (staircases stay where they were measured,
// not smoothed by the trend), and follow the trend only outside the grid.
type Model struct {
	kind   ModelKind
	source Source
	comps  map[tablefmt.Kind]*component
}

// Kind is the model's kind.
func (m *Model) Kind() ModelKind { return m.kind }

// Source is the table the model was fitted to.
func (m *Model) Source() Source { return m.source }

// Header is the header of the table the model was fitted to.
func (m *Model) Header() tablefmt.Header { return m.source.Header }

// Components lists the kinds of rows the model has a component for
// (attn, mlp, block, rest), in that order.
func (m *Model) Components() []tablefmt.Kind {
	var out []tablefmt.Kind
	for _, k := range []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock, tablefmt.KindRest} {
		if m.comps[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// String describes m in one line: its kind, its table and components, as
// "hw model of v100.json (Tesla V100, pytorch, batch 256, 198 tokens,
// nvit-lut, 9375 rows; components block)".
func (m *Model) String() string {
	var comps []string
	for _, k := range m.Components() {
		comps = append(comps, string(k))
	}
	path := m.source.Path
	if path == "" {
		path = "(table)"
	}
	return fmt.Sprintf("%s model of %s (%s, %d rows; components %s)",
		m.kind, path, m.source.Summary, m.source.Rows, strings.Join(comps, ", "))
}

// ErrNoTokens is returned (wrapped) by Fit for a hw model and by
// predictions when the table's header gives no tokens: a CSV table, which
// has no header, needs them from elsewhere (tablefmt.OpenOptions).
var ErrNoTokens = errors.New("the table's header gives no tokens")

// FitOptions choose what Fit builds.
type FitOptions struct {
	Kind   ModelKind // default ModelHW
	Path   string    // the table's file, recorded in the model
	Format string    // the table's format, recorded in the model
}

// Fit builds a model of opt.Kind from t's attn, mlp, block and rest rows
// (model rows are for evaluation). The hw kind needs the header's tokens.
// Rows marked validation (an adaptive sweep's, tablefmt.Row.Validation)
// are left out, and a table whose header says its blocks were sampled to be
// decomposed (tablefmt.Sampling.Decompose) is fitted after Decompose.
func Fit(t tablefmt.Table, opt FitOptions) (*Model, error) {
	if opt.Kind == "" {
		opt.Kind = ModelHW
	}
	if _, err := ParseModelKind(string(opt.Kind)); err != nil {
		return nil, err
	}
	if opt.Kind == ModelHW && t.Header.Tokens <= 0 {
		return nil, fmt.Errorf("costmodel: fit hw: %w, which the compute/memory trend needs", ErrNoTokens)
	}
	hash, err := t.Hash()
	if err != nil {
		return nil, err
	}
	header := t.Header
	t = fitTable(t) // an adaptive sweep's table: validation rows left out, blocks decomposed as sampled
	m := &Model{kind: opt.Kind, comps: map[tablefmt.Kind]*component{}}
	byKind := map[tablefmt.Kind][]tablefmt.Row{}
	n := 0
	for _, r := range t.Rows {
		if r.Kind == tablefmt.KindModel {
			continue
		}
		byKind[r.Kind] = append(byKind[r.Kind], r)
		n++
	}
	if n == 0 {
		return nil, errors.New("costmodel: fit: the table has no attn, mlp, block or rest rows")
	}
	for _, k := range []tablefmt.Kind{tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock, tablefmt.KindRest} {
		if len(byKind[k]) == 0 {
			continue
		}
		c, err := newComponent(opt.Kind, k, t.Header, byKind[k])
		if err != nil {
			return nil, err
		}
		m.comps[k] = c
	}
	m.source = Source{Path: opt.Path, Format: opt.Format, Rows: n, SHA256: hash,
		Summary: header.Summary(), Header: header}
	return m, nil
}

// checkTokens refuses a query whose tokens differ from the table's.
func (m *Model) checkTokens(tokens int) error {
	h := m.source.Header
	if h.Tokens > 0 && tokens != h.Tokens {
		return fmt.Errorf("costmodel: the query has %d tokens but the table was measured with %d: latencies do not carry over between sequence lengths", tokens, h.Tokens)
	}
	if h.Tokens <= 0 && m.kind == ModelHW {
		return fmt.Errorf("costmodel: %w", ErrNoTokens)
	}
	return nil
}

// BlockMS predicts one block of width emb over tokens tokens by the rule
// of tablefmt.Blocks, which the NViT export (tablefmt.Table.LUT) follows
// too, so that a table's export and its nvit-interp model agree at every
// grid point. One component answers for every block, so that no removal
// (of the last head or the last MLP neuron included) moves a block between
// components that were never enveloped against each other:
//
//   - a decomposed table (attn rows, and mlp rows or no block rows): the
//     sum of the attention and MLP components (a sub-block that is absent,
//     heads or MLP 0, costs nothing). Its block rows, the validation blocks
//     that check additivity, are not used, even at the configurations they
//     measured;
//   - else, a table with block rows (a whole-block table, such as NViT's):
//     the block component, for every block, even where the table's attn or
//     mlp rows alone would cover it;
//   - else the one of attention or MLP the table has, for the blocks that
//     need no other; any other block is refused.
//
// Below the smallest MLP width measured, both kinds fall linearly toward
// the block without MLP: nvit-interp from the smallest width, as NViT's
// interpolator does; hw from a quarter of it, down to which it follows its
// trend (see Model).
func (m *Model) BlockMS(emb, tokens int, b arch.Block) (float64, error) {
	if err := m.checkTokens(tokens); err != nil {
		return 0, err
	}
	if emb <= 0 {
		return 0, fmt.Errorf("costmodel: EMB must be positive, got %d", emb)
	}
	if err := b.Validate(); err != nil {
		return 0, fmt.Errorf("costmodel: %w", err)
	}
	attn, mlp, blk := m.comps[tablefmt.KindAttn], m.comps[tablefmt.KindMLP], m.comps[tablefmt.KindBlock]
	needA, needM := b.Heads > 0, b.MLP > 0
	if blk != nil && (attn == nil || mlp == nil) {
		if !needA && !needM {
			return 0, nil
		}
		return blk.at(blk.blockPoint(emb, b))
	}
	if (attn != nil || mlp != nil) && (!needA || attn != nil) && (!needM || mlp != nil) {
		total := 0.0
		if needA {
			v, err := attn.at(attn.blockPoint(emb, b))
			if err != nil {
				return 0, err
			}
			total += v
		}
		if needM {
			v, err := mlp.at(mlp.blockPoint(emb, b))
			if err != nil {
				return 0, err
			}
			total += v
		}
		return total, nil
	}
	var missing []string
	if needA && attn == nil {
		missing = append(missing, "attn")
	}
	if needM && mlp == nil {
		missing = append(missing, "mlp")
	}
	return 0, fmt.Errorf("costmodel: the table has no %s rows and no block rows to predict a block with heads %d and MLP %d",
		strings.Join(missing, " or "), b.Heads, b.MLP)
}

// RestMS predicts the rest of model s (patch embedding, tokens, final norm,
// classifiers). ok is false when the table has no rest rows: then the rest
// is not predicted (0), as in NViT's pruner, which counts blocks only.
func (m *Model) RestMS(s arch.Spec) (ms float64, ok bool, err error) {
	if err := m.checkSpec(s); err != nil {
		return 0, false, err
	}
	c := m.comps[tablefmt.KindRest]
	if c == nil {
		return 0, false, nil
	}
	v, err := c.at([]int{s.EMB})
	return v, err == nil, err
}

// checkSpec refuses s when its tokens or geometry differ from the table's.
func (m *Model) checkSpec(s arch.Spec) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("costmodel: %w", err)
	}
	h := m.source.Header
	var diffs []string
	chk := func(name string, spec, table int) {
		if table > 0 && spec != table {
			diffs = append(diffs, fmt.Sprintf("%s %d (table %d)", name, spec, table))
		}
	}
	chk("tokens", s.Tokens(), h.Tokens)
	chk("image", s.Image, h.Image)
	chk("patch", s.Patch, h.Patch)
	chk("channels", s.Channels, h.Channels)
	chk("classes", s.Classes, h.Classes)
	if len(diffs) > 0 {
		name := s.Name
		if name == "" {
			name = "the architecture"
		}
		hint := ""
		if h.Tokens > 0 && s.Tokens() != h.Tokens && h.Tokens-s.Patches() == 2 {
			hint = " (the table was measured with cls + distillation tokens: use a distilled architecture, e.g. deit-b-distilled)"
		} else if h.Tokens > 0 && s.Tokens() != h.Tokens && h.Tokens-s.Patches() == 1 {
			hint = " (the table was measured with a cls token only: use a non-distilled architecture)"
		}
		return fmt.Errorf("costmodel: %s disagrees with the table it is predicted from: %s%s",
			name, strings.Join(diffs, ", "), hint)
	}
	if h.Tokens <= 0 {
		return fmt.Errorf("costmodel: %w, so whole-model predictions cannot be checked against it", ErrNoTokens)
	}
	return nil
}
