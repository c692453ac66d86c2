package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RuleFileVersion is the version of the rule file format MarshalRule writes
// and ParseRule reads.
const RuleFileVersion = 1

// ruleFile is a Rule on disk: every field, named as the CLI's flags are.
// A field left out takes the Rule's default (see Rule), so a hand-written
// file may give only what differs; "emb" may be left out (0) in a template
// whose width is chosen later, as `generate` does over its budgets.
type ruleFile struct {
	Version     int           `json:"version"`
	Name        string        `json:"name,omitempty"`
	EMB         int           `json:"emb,omitempty"`
	Depth       int           `json:"depth,omitempty"`
	Epsilon     []float64     `json:"epsilon,omitempty"`
	HeadDivisor float64       `json:"head_divisor,omitempty"`
	HeadStep    int           `json:"head_step,omitempty"`
	HeadRound   Rounding      `json:"head_round,omitempty"`
	QKDivisor   float64       `json:"qk_divisor,omitempty"`
	QKStep      int           `json:"qk_step,omitempty"`
	QKRound     Rounding      `json:"qk_round,omitempty"`
	V           int           `json:"v,omitempty"`
	MLPFactor   float64       `json:"mlp_factor,omitempty"`
	MLPStep     int           `json:"mlp_step,omitempty"`
	MLPRound    Rounding      `json:"mlp_round,omitempty"`
	Geometry    *ruleGeometry `json:"geometry,omitempty"`
	// Note is free text for people (where the rule came from); ignored.
	Note string `json:"note,omitempty"`
}

// ruleGeometry is the input geometry in a rule file; zero fields take
// NViT's values (NViTGeometry), as in architecture files.
type ruleGeometry struct {
	Image       int `json:"image,omitempty"`
	Patch       int `json:"patch,omitempty"`
	Channels    int `json:"channels,omitempty"`
	Classes     int `json:"classes,omitempty"`
	ExtraTokens int `json:"extra_tokens,omitempty"`
}

// MarshalRule encodes r, with every default filled in so that the file
// says everything, as an indented JSON rule file that ParseRule reads back
// to the same rule. note, when not empty, is kept in the file for people.
func MarshalRule(r Rule, note string) ([]byte, error) {
	probe := r
	if probe.EMB == 0 {
		probe.EMB = 64 // a template: its width is chosen later
	}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	emb, name := r.EMB, r.Name
	r = r.withDefaults()
	if emb == 0 {
		r.Name = name // "rule-emb<EMB>" has no width to name
	}
	g := r.Geometry
	f := ruleFile{Version: RuleFileVersion, Name: r.Name, EMB: emb, Depth: r.Depth, Epsilon: r.Epsilon,
		HeadDivisor: r.HeadDivisor, HeadStep: r.HeadStep, HeadRound: r.HeadRound,
		QKDivisor: r.QKDivisor, QKStep: r.QKStep, QKRound: r.QKRound, V: r.V,
		MLPFactor: r.MLPFactor, MLPStep: r.MLPStep, MLPRound: r.MLPRound,
		Geometry: &ruleGeometry{g.Image, g.Patch, g.Channels, g.Classes, g.ExtraTokens}, Note: note}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// ParseRule decodes a rule file. Unknown fields, a missing or other
// version, trailing data and a rule that cannot generate a model (checked
// at width 64 when the file gives no EMB) are errors. The rule returned is
// resolved (every default filled in) except EMB, which stays 0 when the
// file leaves it out.
func ParseRule(data []byte) (Rule, error) {
	var f ruleFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Rule{}, fmt.Errorf("rule file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Rule{}, errors.New("rule file: trailing data after the JSON object")
	}
	switch {
	case f.Version == 0:
		return Rule{}, fmt.Errorf("rule file: no \"version\" (want %d)", RuleFileVersion)
	case f.Version != RuleFileVersion:
		return Rule{}, fmt.Errorf("rule file: version %d, this nvitprof reads version %d", f.Version, RuleFileVersion)
	}
	r := Rule{Name: f.Name, EMB: f.EMB, Depth: f.Depth, Epsilon: f.Epsilon,
		HeadDivisor: f.HeadDivisor, HeadStep: f.HeadStep, HeadRound: f.HeadRound,
		QKDivisor: f.QKDivisor, QKStep: f.QKStep, QKRound: f.QKRound, V: f.V,
		MLPFactor: f.MLPFactor, MLPStep: f.MLPStep, MLPRound: f.MLPRound}
	if g := f.Geometry; g != nil {
		d := NViTGeometry()
		r.Geometry = Geometry{Image: orDefault(g.Image, d.Image), Patch: orDefault(g.Patch, d.Patch),
			Channels: orDefault(g.Channels, d.Channels), Classes: orDefault(g.Classes, d.Classes),
			ExtraTokens: orDefault(g.ExtraTokens, d.ExtraTokens)}
	}
	probe := r
	if probe.EMB == 0 {
		probe.EMB = 64
	}
	if err := probe.Validate(); err != nil {
		return Rule{}, fmt.Errorf("rule file: %w", err)
	}
	if _, err := probe.Spec(); err != nil {
		return Rule{}, fmt.Errorf("rule file: %w", err)
	}
	emb, name := r.EMB, r.Name
	r = r.withDefaults()
	r.EMB, r.Name = emb, name
	return r, nil
}

// String is r on one line, in the paper's notation, e.g.
// "heads = ε·EMB/100 (×2, nearest), QK = ε·EMB/20 (×8, down), V = 64,
// MLP = 3·ε·EMB (×1, nearest), ε = [1 1 1 2 2 2 2 2 2 1 1 1]".
func (r Rule) String() string {
	emb := r.EMB
	r = r.withDefaults()
	s := fmt.Sprintf("heads = ε·EMB/%.4g (×%d, %s), QK = ε·EMB/%.4g (×%d, %s), V = %d, MLP = %.4g·ε·EMB (×%d, %s), ε = %s",
		r.HeadDivisor, r.HeadStep, r.HeadRound, r.QKDivisor, r.QKStep, r.QKRound, r.V,
		r.MLPFactor, r.MLPStep, r.MLPRound, formatFloats(r.Epsilon))
	if emb > 0 {
		s += fmt.Sprintf(", EMB %d", emb)
	}
	return s
}

func formatFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.4g", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
