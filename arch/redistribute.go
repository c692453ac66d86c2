package arch

import (
	"errors"
	"fmt"
	"math"
)

// Rounding says how a dimension the rule computes as a real number becomes
// an integer multiple of its step.
type Rounding string

// The roundings a Rule accepts.
const (
	RoundNearest Rounding = "nearest" // to the nearest multiple (halves up)
	RoundDown    Rounding = "down"    // to the multiple below
	RoundUp      Rounding = "up"      // to the multiple above
)

// Round rounds x to a multiple of step (at least one step) as r says.
func (r Rounding) Round(x float64, step int) (int, error) {
	if step <= 0 {
		return 0, fmt.Errorf("arch: rounding step must be positive, got %d", step)
	}
	q := x / float64(step)
	var n float64
	switch r {
	case RoundNearest, "":
		n = math.Floor(q + 0.5)
	case RoundDown:
		// A hair of tolerance so that 2·38.4/… products landing on an exact
		// multiple are not pushed below it by floating-point error.
		n = math.Floor(q + 1e-9)
	case RoundUp:
		n = math.Ceil(q - 1e-9)
	default:
		return 0, fmt.Errorf("arch: unknown rounding %q (want nearest, down or up)", r)
	}
	return max(int(n), 1) * step, nil
}

// Rule is NViT's parameter redistribution rule (the paper's §5, ReViT): for
// block b with depth factor ε_b,
//
//	heads = ε·EMB / HeadDivisor   rounded (HeadRound) to a multiple of HeadStep
//	QK    = ε·EMB / QKDivisor     rounded (QKRound) to a multiple of QKStep
//	V     = V
//	MLP   = MLPFactor·ε·EMB       rounded (MLPRound) to a multiple of MLPStep
//
// Every rounded width is at least one step. DefaultRule gives the paper's
// values; the zero value of a field means its default, so a Rule can be
// written with only the fields that differ.
type Rule struct {
	EMB   int // residual width; required
	Depth int // blocks; default 12, or len(Epsilon) when that is set
	// Epsilon is ε per block; default DefaultEpsilon(Depth): 2 for the
	// middle half of the blocks, 1 elsewhere ("less-more-less").
	Epsilon []float64

	HeadDivisor float64  // default 100
	HeadStep    int      // default 2 (an even number of heads)
	HeadRound   Rounding // default nearest
	QKDivisor   float64  // default 20
	QKStep      int      // default 8
	QKRound     Rounding // default down
	V           int      // value width per head; default 64
	MLPFactor   float64  // default 3
	MLPStep     int      // default 1 (exactly MLPFactor·ε·EMB for integer products)
	MLPRound    Rounding // default nearest

	Geometry Geometry // default NViTGeometry()
	Name     string   // the Spec's name; default "rule-emb<EMB>"
}

// DefaultRule is the paper's rule at width emb over 12 blocks.
func DefaultRule(emb int) Rule { return Rule{EMB: emb}.withDefaults() }

// DefaultEpsilon is the default depth profile: 2 for the middle half of the
// blocks (blocks depth/4 … depth−depth/4−1, counting from 0: blocks 4–9 of
// 12 counting from 1), 1 elsewhere.
func DefaultEpsilon(depth int) []float64 {
	eps := make([]float64, depth)
	for i := range eps {
		eps[i] = 1
		if i >= depth/4 && i < depth-depth/4 {
			eps[i] = 2
		}
	}
	return eps
}

// withDefaults fills the zero fields of r.
func (r Rule) withDefaults() Rule {
	if r.Depth == 0 {
		r.Depth = 12
		if len(r.Epsilon) > 0 {
			r.Depth = len(r.Epsilon)
		}
	}
	if r.Epsilon == nil {
		r.Epsilon = DefaultEpsilon(r.Depth)
	}
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	defi := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defr := func(p *Rounding, v Rounding) {
		if *p == "" {
			*p = v
		}
	}
	def(&r.HeadDivisor, 100)
	defi(&r.HeadStep, 2)
	defr(&r.HeadRound, RoundNearest)
	def(&r.QKDivisor, 20)
	defi(&r.QKStep, 8)
	defr(&r.QKRound, RoundDown)
	defi(&r.V, 64)
	def(&r.MLPFactor, 3)
	defi(&r.MLPStep, 1)
	defr(&r.MLPRound, RoundNearest)
	if r.Geometry == (Geometry{}) {
		r.Geometry = NViTGeometry()
	}
	if r.Name == "" {
		r.Name = fmt.Sprintf("rule-emb%d", r.EMB)
	}
	return r
}

// Resolved returns r with every default filled in, as Spec uses it.
func (r Rule) Resolved() Rule { return r.withDefaults() }

// Validate reports why r (with its defaults) cannot generate a model.
func (r Rule) Validate() error {
	r = r.withDefaults()
	var errs []error
	if r.EMB <= 0 {
		errs = append(errs, fmt.Errorf("EMB must be positive, got %d", r.EMB))
	}
	if r.Depth <= 0 {
		errs = append(errs, fmt.Errorf("depth must be positive, got %d", r.Depth))
	}
	if len(r.Epsilon) != r.Depth {
		errs = append(errs, fmt.Errorf("the ε profile has %d values for %d blocks", len(r.Epsilon), r.Depth))
	}
	for i, e := range r.Epsilon {
		if !(e > 0) || math.IsInf(e, 0) {
			errs = append(errs, fmt.Errorf("ε of block %d must be positive, got %v", i, e))
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"head divisor", r.HeadDivisor}, {"QK divisor", r.QKDivisor}, {"MLP factor", r.MLPFactor}} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			errs = append(errs, fmt.Errorf("%s must be positive, got %v", f.name, f.v))
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"head step", r.HeadStep}, {"QK step", r.QKStep}, {"V", r.V}, {"MLP step", r.MLPStep}} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", f.name, f.v))
		}
	}
	for _, rd := range []Rounding{r.HeadRound, r.QKRound, r.MLPRound} {
		if _, err := rd.Round(1, 1); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("arch: redistribution rule: %w", errors.Join(errs...))
	}
	return nil
}

// Block returns the dimensions the rule gives a block with depth factor eps.
func (r Rule) Block(eps float64) (Block, error) {
	r = r.withDefaults()
	e := eps * float64(r.EMB)
	h, err := r.HeadRound.Round(e/r.HeadDivisor, r.HeadStep)
	if err != nil {
		return Block{}, err
	}
	qk, err := r.QKRound.Round(e/r.QKDivisor, r.QKStep)
	if err != nil {
		return Block{}, err
	}
	mlp, err := r.MLPRound.Round(r.MLPFactor*e, r.MLPStep)
	if err != nil {
		return Block{}, err
	}
	return Block{Heads: h, QK: qk, V: r.V, MLP: mlp}, nil
}

// Spec generates the architecture: r's geometry, width and one block per ε.
func (r Rule) Spec() (Spec, error) {
	if err := r.Validate(); err != nil {
		return Spec{}, err
	}
	r = r.withDefaults()
	g := r.Geometry
	s := Spec{Name: r.Name, Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes,
		ExtraTokens: g.ExtraTokens, EMB: r.EMB, Blocks: make([]Block, r.Depth)}
	for i, eps := range r.Epsilon {
		b, err := r.Block(eps)
		if err != nil {
			return Spec{}, err
		}
		s.Blocks[i] = b
	}
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// DeiT returns the DeiT-shaped model of width emb for comparison with the
// rule: depth blocks of emb/64 heads (at least 1) with QK = V = 64 and
// MLP = 4·EMB, over geometry g.
func DeiT(name string, emb, depth int, g Geometry) Spec {
	return Spec{Name: name, Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes,
		ExtraTokens: g.ExtraTokens, EMB: emb,
		Blocks: Uniform(depth, Block{Heads: max(emb/64, 1), QK: 64, V: 64, MLP: 4 * emb})}
}
