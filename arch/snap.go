package arch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
)

// LatencyFunc predicts the latency of a whole model (any unit, as long as
// it is the same for every call; the CLI uses milliseconds). It is how arch
// uses a cost model without importing one.
type LatencyFunc func(Spec) (float64, error)

// SnapOptions tune Snap. Zero fields take their defaults.
type SnapOptions struct {
	// Steps are the candidate increments per dimension: EMB 16, heads 2,
	// QK 8, V 8, MLP 16 by default. A dimension missing from Dims is not
	// snapped.
	Steps map[Dimension]int
	// Dims are the dimensions snapped, in this order; default emb, heads,
	// qk, v, mlp (EMB first: it moves every block).
	Dims []Dimension
	// MaxGrow bounds the search: candidates go up to (1 + MaxGrow) × the
	// current value (at least one step above it). Default 0.5.
	MaxGrow float64
	// Tolerance is the relative latency increase still counted as "no
	// higher" (measurement ties); default 0: never slower.
	Tolerance float64
}

// SnapMove is one dimension moved by Snap.
type SnapMove struct {
	Dim      Dimension `json:"dim"`   // emb, heads, qk, v or mlp
	Block    int       `json:"block"` // -1 for emb
	From     int       `json:"from"`
	To       int       `json:"to"`
	Latency0 float64   `json:"latency_before"` // whole-model latency before the move
	Latency1 float64   `json:"latency_after"`  // and after it (≤ before, within Tolerance)
}

// SnapResult is what Snap did.
type SnapResult struct {
	Spec          Spec       `json:"-"`
	Moves         []SnapMove `json:"moves"`
	LatencyBefore float64    `json:"latency_before"`
	LatencyAfter  float64    `json:"latency_after"`
	ParamsBefore  int64      `json:"params_before"`
	ParamsAfter   int64      `json:"params_after"`
	MACsBefore    int64      `json:"macs_before"`
	MACsAfter     int64      `json:"macs_after"`
	// Refused counts candidates the latency function would not predict
	// (outside the cost model's range): they are skipped, not guessed.
	Refused int `json:"refused"`
}

// ParamsGain is the relative parameter increase snapping bought, e.g. 0.04.
func (r SnapResult) ParamsGain() float64 {
	if r.ParamsBefore == 0 {
		return 0
	}
	return float64(r.ParamsAfter)/float64(r.ParamsBefore) - 1
}

// String summarises the gain in one line.
func (r SnapResult) String() string {
	return fmt.Sprintf("%d moves: params %+.2f%%, MACs %+.2f%%, latency %.4g → %.4g (%+.2f%%)",
		len(r.Moves), 100*r.ParamsGain(), 100*(float64(r.MACsAfter)/float64(max(r.MACsBefore, 1))-1),
		r.LatencyBefore, r.LatencyAfter, 100*(r.LatencyAfter/r.LatencyBefore-1))
}

func (o SnapOptions) withDefaults() SnapOptions {
	steps := map[Dimension]int{DimEMB: 16, DimHeads: 2, DimQK: 8, DimV: 8, DimMLP: 16}
	for k, v := range o.Steps {
		steps[k] = v
	}
	o.Steps = steps
	if o.Dims == nil {
		o.Dims = Dimensions()
	}
	if o.MaxGrow == 0 {
		o.MaxGrow = 0.5
	}
	return o
}

// Snap rides the latency staircases: for each dimension in turn (EMB, then
// every block's heads, QK, V and MLP) it moves the value to the largest
// candidate (a multiple of the dimension's step above it, up to (1+MaxGrow)× the current value) whose
// predicted whole-model latency is no higher than the current one, so the
// model gains capacity at no predicted latency cost. A latency function
// that is monotone and strictly increasing leaves s unchanged. Removed
// sub-blocks (0 heads or 0 MLP) stay removed.
func Snap(ctx context.Context, s Spec, lat LatencyFunc, opt SnapOptions) (SnapResult, error) {
	opt = opt.withDefaults()
	if opt.MaxGrow < 0 || opt.Tolerance < 0 {
		return SnapResult{}, errors.New("arch: snap: MaxGrow and Tolerance must not be negative")
	}
	if err := s.Validate(); err != nil {
		return SnapResult{}, err
	}
	cur := s.Clone()
	l0, err := lat(cur)
	if err != nil {
		return SnapResult{}, fmt.Errorf("arch: snap %s: %w", cur.Name, err)
	}
	res := SnapResult{LatencyBefore: l0, ParamsBefore: s.Params(), MACsBefore: s.MACs()}
	l := l0
	try := func(dim Dimension, block int, get func(Spec) int, set func(*Spec, int)) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		step, ok := opt.Steps[dim]
		if !ok || step <= 0 {
			return fmt.Errorf("arch: snap: no positive step for dimension %q", dim)
		}
		from := get(cur)
		if from == 0 {
			return nil
		}
		limit := max(int(math.Floor(float64(from)*(1+opt.MaxGrow))), from+step)
		best, bestL := from, l
		// Candidates are the multiples of step above the current value.
		for v := (from/step + 1) * step; v <= limit; v += step {
			c := cur.Clone()
			set(&c, v)
			if c.Validate() != nil {
				continue
			}
			lv, err := lat(c)
			if err != nil {
				res.Refused++
				continue
			}
			if lv <= l*(1+opt.Tolerance) {
				best, bestL = v, lv
			}
		}
		if best != from {
			set(&cur, best)
			res.Moves = append(res.Moves, SnapMove{Dim: dim, Block: block, From: from, To: best, Latency0: l, Latency1: bestL})
			l = bestL
		}
		return nil
	}
	for _, dim := range opt.Dims {
		if dim == DimEMB {
			if err := try(dim, -1, func(s Spec) int { return s.EMB }, func(s *Spec, v int) { s.EMB = v }); err != nil {
				return SnapResult{}, err
			}
			continue
		}
		if _, err := ParseDimension(string(dim)); err != nil {
			return SnapResult{}, err
		}
		for i := range cur.Blocks {
			if err := try(dim, i, func(s Spec) int { return s.Blocks[i].Get(dim) }, func(s *Spec, v int) { s.Blocks[i].Set(dim, v) }); err != nil {
				return SnapResult{}, err
			}
		}
	}
	res.Spec, res.LatencyAfter = cur, l
	res.ParamsAfter, res.MACsAfter = cur.Params(), cur.MACs()
	return res, nil
}

// FamilyOptions describe a family of rule variants across a latency budget.
type FamilyOptions struct {
	Rule    Rule      // the template; its EMB is what the family varies
	Ref     Spec      // the reference the budgets are fractions of
	Budgets []float64 // fractions of Ref's latency, e.g. 0.2, 0.3, …, 1.0
	// EMBStep, MinEMB and MaxEMB bound the widths tried: multiples of
	// EMBStep (default 16) from MinEMB (default EMBStep) to MaxEMB
	// (default 2 × Ref.EMB).
	EMBStep, MinEMB, MaxEMB int
	Snap                    bool        // snap each variant (see Snap)
	SnapOptions             SnapOptions // when Snap
	// Progress, when set, is called after each budget is done.
	Progress func(done, total int, v Variant)
	// Unreachable, when set, is told about budgets below the fastest width
	// tried, which are then skipped; without it such a budget is an error.
	Unreachable func(budget, fastest float64)
}

// Variant is one member of a family.
type Variant struct {
	Budget    float64     `json:"budget"`   // fraction of the reference latency
	TargetMS  float64     `json:"target"`   // Budget × reference latency
	RuleEMB   int         `json:"rule_emb"` // the width the rule was applied at
	Spec      Spec        `json:"-"`        // the variant (snapped when asked)
	Latency   float64     `json:"latency"`  // its predicted latency (≤ TargetMS)
	Snap      *SnapResult `json:"snap"`     // what snapping changed, when asked
	RuleSpec  Spec        `json:"-"`        // the rule's output before snapping
	RuleLat   float64     `json:"rule_latency"`
	Reference string      `json:"reference"`
}

// Family generates, for each budget b, the widest rule variant (the largest
// EMB tried) whose predicted latency is at most b × latency(Ref), snapping it
// when asked. Variants are named "<rule name>-<budget>x". A budget no width
// fits (below the narrowest model's latency) is an error that names the
// smallest budget possible, unless opt.Unreachable takes it.
func Family(ctx context.Context, lat LatencyFunc, opt FamilyOptions) ([]Variant, error) {
	if len(opt.Budgets) == 0 {
		return nil, errors.New("arch: family: no budgets")
	}
	for _, b := range opt.Budgets {
		if !(b > 0) || math.IsInf(b, 0) {
			return nil, fmt.Errorf("arch: family: budget %v must be a positive fraction", b)
		}
	}
	if opt.EMBStep == 0 {
		opt.EMBStep = 16
	}
	if opt.MinEMB == 0 {
		opt.MinEMB = opt.EMBStep
	}
	if opt.MaxEMB == 0 {
		opt.MaxEMB = 2 * opt.Ref.EMB
	}
	if opt.EMBStep < 0 || opt.MinEMB <= 0 || opt.MaxEMB < opt.MinEMB {
		return nil, fmt.Errorf("arch: family: bad width range %d..%d step %d", opt.MinEMB, opt.MaxEMB, opt.EMBStep)
	}
	probe := opt.Rule
	probe.EMB = roundUpTo(opt.MinEMB, opt.EMBStep)
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	refLat, err := lat(opt.Ref)
	if err != nil {
		return nil, fmt.Errorf("arch: family: reference %s: %w", opt.Ref.Name, err)
	}
	// Latency of the rule at every width, computed once for all budgets.
	type point struct {
		emb  int
		spec Spec
		lat  float64
	}
	var pts []point
	var firstErr error
	for e := roundUpTo(opt.MinEMB, opt.EMBStep); e <= opt.MaxEMB; e += opt.EMBStep {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := opt.Rule
		r.EMB = e
		r.Name = ""
		s, err := r.Spec()
		if err != nil {
			return nil, err
		}
		l, err := lat(s)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("EMB %d: %w", e, err)
			}
			continue
		}
		pts = append(pts, point{e, s, l})
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("arch: family: the latency function predicts no width from %d to %d: %w", opt.MinEMB, opt.MaxEMB, firstErr)
	}
	budgets := append([]float64(nil), opt.Budgets...)
	sort.Float64s(budgets)
	base := opt.Rule.Name
	if base == "" {
		base = "revit"
	}
	var out []Variant
	var skipped [][2]float64 // unreachable budgets and the fastest fraction
	var firstUnreachable error
	for i, b := range budgets {
		target := b * refLat
		best := -1
		for j, p := range pts {
			if p.lat <= target && (best < 0 || p.emb > pts[best].emb) {
				best = j
			}
		}
		if best < 0 {
			lo := pts[0]
			for _, p := range pts {
				if p.lat < lo.lat {
					lo = p
				}
			}
			err := fmt.Errorf("arch: family: budget %.3g× (%.4g) is below the fastest variant tried (EMB %d: %.4g, %.3g× the reference)",
				b, target, lo.emb, lo.lat, lo.lat/refLat)
			if opt.Unreachable == nil {
				return nil, err
			}
			if firstUnreachable == nil {
				firstUnreachable = err
			}
			skipped = append(skipped, [2]float64{b, lo.lat / refLat})
			continue
		}
		p := pts[best]
		v := Variant{Budget: b, TargetMS: target, RuleEMB: p.emb, Spec: p.spec.Clone(), Latency: p.lat,
			RuleSpec: p.spec, RuleLat: p.lat, Reference: opt.Ref.Name}
		v.Spec.Name = fmt.Sprintf("%s-%.2fx", base, b)
		v.RuleSpec.Name = v.Spec.Name
		if opt.Snap {
			sr, err := Snap(ctx, v.Spec, lat, opt.SnapOptions)
			if err != nil {
				return nil, fmt.Errorf("arch: family: snap budget %.3g×: %w", b, err)
			}
			v.Spec, v.Latency, v.Snap = sr.Spec, sr.LatencyAfter, &sr
		}
		out = append(out, v)
		if opt.Progress != nil {
			opt.Progress(i+1, len(budgets), v)
		}
	}
	if len(out) == 0 {
		return nil, firstUnreachable
	}
	for _, sk := range skipped {
		opt.Unreachable(sk[0], sk[1])
	}
	return out, nil
}

func roundUpTo(v, step int) int { return (v + step - 1) / step * step }
