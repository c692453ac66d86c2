package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

// The generate flags' defaults, which the quickstart uses too.
const (
	defaultBudgets  = "0.2:1.0:0.1"
	defaultRuleName = "revit"
)

// variantGroup is the legend of the variants of the rule named name.
func variantGroup(name string) string { return "generated (" + name + ")" }

// unreachableBudget reports a budget no width fits, on w.
func unreachableBudget(w io.Writer) func(b, fastest float64) {
	return func(b, fastest float64) {
		fmt.Fprintf(w, "budget %.3g× skipped: the narrowest width tried predicts %.3g× the reference\n", b, fastest)
	}
}

// ruleFlags expose the NViT redistribution rule's parameters.
func ruleFlags() []cli.Flag {
	cat := "Redistribution rule"
	def := arch.DefaultRule(0) // the paper's values
	return []cli.Flag{
		&cli.StringFlag{Name: "rule", Category: cat, Usage: "a redistribution rule `FILE` (rule.json, as nvitprof trends fits it) in place of the paper's; the rule flags given still override it"},
		&cli.IntFlag{Name: "depth", Category: cat, Usage: "blocks (default: the reference's depth)"},
		&cli.StringFlag{Name: "epsilon", Category: cat, Usage: "depth profile ε per block, comma-separated `LIST` (default 2 for the middle half of the blocks, 1 elsewhere)"},
		&cli.Float64Flag{Name: "head-divisor", Category: cat, Value: def.HeadDivisor, Usage: "heads = ε·EMB / `D`"},
		&cli.IntFlag{Name: "head-step", Category: cat, Value: def.HeadStep, Usage: "heads are a multiple of `N`"},
		&cli.StringFlag{Name: "head-round", Category: cat, Value: string(def.HeadRound), Usage: "rounding of heads: nearest, down or up"},
		&cli.Float64Flag{Name: "qk-divisor", Category: cat, Value: def.QKDivisor, Usage: "QK per head = ε·EMB / `D`"},
		&cli.IntFlag{Name: "qk-step", Category: cat, Value: def.QKStep, Usage: "QK is a multiple of `N`"},
		&cli.StringFlag{Name: "qk-round", Category: cat, Value: string(def.QKRound), Usage: "rounding of QK: nearest, down or up"},
		&cli.IntFlag{Name: "v", Category: cat, Value: def.V, Usage: "V per head"},
		&cli.Float64Flag{Name: "mlp-factor", Category: cat, Value: def.MLPFactor, Usage: "MLP = `F`·ε·EMB"},
		&cli.IntFlag{Name: "mlp-step", Category: cat, Value: def.MLPStep, Usage: "MLP is a multiple of `N`"},
		&cli.StringFlag{Name: "mlp-round", Category: cat, Value: string(def.MLPRound), Usage: "rounding of MLP: nearest, down or up"},
		&cli.StringFlag{Name: "budget", Category: cat, Value: defaultBudgets, Usage: "latency budgets as fractions of --ref: `FROM:TO:STEP` or a comma-separated list"},
		&cli.StringFlag{Name: "ref", Category: cat, Usage: "reference architecture (preset `NAME` or file); default deit-b-distilled, or the one matching the table's geometry"},
		&cli.IntFlag{Name: "emb-step", Category: cat, Value: 16, Usage: "widths tried are multiples of `N`"},
		&cli.IntFlag{Name: "max-emb", Category: cat, Usage: "widest EMB tried (default 2 × the reference's)"},
		&cli.BoolFlag{Name: "snap", Category: cat, Usage: "snap each variant to the latency staircase (free capacity at no predicted latency)"},
		&cli.Float64Flag{Name: "snap-grow", Category: cat, Value: 0.5, Usage: "snapping searches up to (1+`F`)× each dimension"},
		&cli.StringFlag{Name: "name", Category: cat, Value: defaultRuleName, Usage: "name `PREFIX` of the variants"},
	}
}

// costFlags choose where latency comes from.
func costFlags() []cli.Flag {
	return append(tableFlags(), kindFlag(),
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "model `FILE` written by nvitprof fit (instead of --table)"})
}

// parseBudgets reads "0.2:1.0:0.1" or "0.3,0.5,1".
func parseBudgets(s string) ([]float64, error) {
	var out []float64
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var v [3]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, usagef("--budget %q: %v", s, err)
			}
			v[i] = f
		}
		if !(v[0] > 0) || v[1] < v[0] || !(v[2] > 0) {
			return nil, usagef("--budget %q: want FROM:TO:STEP with 0 < FROM ≤ TO and STEP > 0", s)
		}
		n := int(math.Floor((v[1]-v[0])/v[2] + 1e-9))
		for i := 0; i <= n; i++ {
			out = append(out, math.Round((v[0]+float64(i)*v[2])*1e6)/1e6)
		}
		return out, nil
	}
	for _, p := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return nil, usagef("--budget %q: want FROM:TO:STEP or positive fractions separated by commas", s)
		}
		out = append(out, f)
	}
	return out, nil
}

// ruleFromFlags builds the rule template over geometry g and depth: the
// paper's rule, or the --rule file's, with the rule flags on top (with
// --rule, only the flags given). The geometry is always g, the cost model's.
func ruleFromFlags(c *cli.Context, g arch.Geometry, depth int) (arch.Rule, error) {
	r := arch.Rule{Depth: depth}
	fromFile := c.String("rule") != ""
	if fromFile {
		var err error
		if r, err = arch.ReadRuleFile(c.String("rule")); err != nil {
			return arch.Rule{}, fmt.Errorf("--rule: %w", err)
		}
		r.EMB = 0
	}
	r.Geometry = g
	for _, f := range []struct {
		flag  string
		apply func()
	}{
		{"head-divisor", func() { r.HeadDivisor = c.Float64("head-divisor") }},
		{"head-step", func() { r.HeadStep = c.Int("head-step") }},
		{"head-round", func() { r.HeadRound = arch.Rounding(c.String("head-round")) }},
		{"qk-divisor", func() { r.QKDivisor = c.Float64("qk-divisor") }},
		{"qk-step", func() { r.QKStep = c.Int("qk-step") }},
		{"qk-round", func() { r.QKRound = arch.Rounding(c.String("qk-round")) }},
		{"v", func() { r.V = c.Int("v") }},
		{"mlp-factor", func() { r.MLPFactor = c.Float64("mlp-factor") }},
		{"mlp-step", func() { r.MLPStep = c.Int("mlp-step") }},
		{"mlp-round", func() { r.MLPRound = arch.Rounding(c.String("mlp-round")) }},
		{"name", func() { r.Name = c.String("name") }},
	} {
		if !fromFile || c.IsSet(f.flag) || (f.flag == "name" && r.Name == "") {
			f.apply()
		}
	}
	if err := ruleDepth(c, &r); err != nil {
		return arch.Rule{}, err
	}
	probe := r
	probe.EMB = 64
	if err := probe.Validate(); err != nil {
		return arch.Rule{}, usageError{err}
	}
	return r, nil
}

// ruleDepth applies --depth and --epsilon to r: an ε profile sets the depth
// unless --depth is given; a depth alone takes the default profile.
func ruleDepth(c *cli.Context, r *arch.Rule) error {
	if c.IsSet("depth") {
		r.Depth = c.Int("depth")
		if len(r.Epsilon) != r.Depth {
			r.Epsilon = nil
		}
	}
	if e := c.String("epsilon"); e != "" {
		r.Epsilon = nil
		for _, p := range strings.Split(e, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return usagef("--epsilon %q: %v", e, err)
			}
			r.Epsilon = append(r.Epsilon, f)
		}
		if !c.IsSet("depth") {
			r.Depth = len(r.Epsilon)
		}
	}
	return nil
}

// costSource is a cost model and, when it came from --table, the table.
type costSource struct {
	Model *costmodel.Model
	Table *loadedTable
}

// models are the whole models the table measured; none without a table.
func (cs costSource) models() []reports.TableModel {
	if cs.Table == nil {
		return nil
	}
	return reports.TableModels(cs.Table.Table)
}

// loadCost reads --model, or --table and fits a model of --kind.
func loadCost(c *cli.Context) (costSource, error) {
	if c.String("table") != "" && c.String("model") == "" {
		kind, err := modelKind(c)
		if err != nil {
			return costSource{}, err
		}
		lt, err := loadTable(c)
		if err != nil {
			return costSource{}, err
		}
		m, err := fitTable(lt, kind)
		if err != nil {
			return costSource{}, err
		}
		return costSource{Model: m, Table: &lt}, nil
	}
	m, err := loadModel(c)
	return costSource{Model: m}, err
}

// defaultRef picks the reference of the budgets: --ref, else
// reports.Reference of the table's header and models.
func defaultRef(c *cli.Context, cs costSource) (arch.Spec, error) {
	if name := c.String("ref"); name != "" {
		return loadArch("ref", name)
	}
	ref, err := reports.Reference(cs.Model.Header(), cs.models())
	if errors.Is(err, reports.ErrNoGeometry) {
		return arch.Spec{}, usagef("the table's header gives no geometry: choose the budgets' reference with --ref")
	}
	return ref, err
}

// family generates the rule's variants across --budget with the flags' rule.
func family(c *cli.Context, cs costSource, ref arch.Spec, prog func(done, total int, v arch.Variant)) ([]arch.Variant, error) {
	budgets, err := parseBudgets(c.String("budget"))
	if err != nil {
		return nil, err
	}
	rule, err := ruleFromFlags(c, ref.Geometry(), ref.Depth())
	if err != nil {
		return nil, err
	}
	return arch.Family(c.Context, costmodel.LatencyFunc(cs.Model), arch.FamilyOptions{Rule: rule, Ref: ref, Budgets: budgets,
		EMBStep: c.Int("emb-step"), MaxEMB: c.Int("max-emb"), Snap: c.Bool("snap"),
		SnapOptions: arch.SnapOptions{MaxGrow: c.Float64("snap-grow")}, Progress: prog,
		Unreachable: unreachableBudget(c.App.ErrWriter)})
}
