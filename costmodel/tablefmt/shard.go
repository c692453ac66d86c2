package tablefmt

import (
	"fmt"
	"slices"

	"github.com/nvitprof/nvitprof/arch"
)

// Shard marks a table that holds one shard of a sweep split across
// machines: configurations Index, Index+Count, Index+2·Count, … (0-based) of
// the grid Plan gives. Merging the shards checks that together they cover
// that grid exactly once.
type Shard struct {
	Index int      `json:"index"`
	Count int      `json:"count"`
	Plan  PlanGrid `json:"plan"`
}

// PlanGrid is the grid a sweep's configurations come from (profiler.Grid).
type PlanGrid struct {
	EMB        []int       `json:"emb"`
	Heads      []int       `json:"heads"`
	QK         []int       `json:"qk"`
	V          []int       `json:"v"`
	MLP        []int       `json:"mlp"`
	Decomposed bool        `json:"decomposed,omitempty"`
	Validation int         `json:"validation,omitempty"`
	Models     []PlanModel `json:"models,omitempty"`
}

// PlanModel is a whole model a sweep measures, in the header's geometry.
type PlanModel struct {
	Name string   `json:"name"`
	Dim  arch.Dim `json:"dim"`
}

// Validate refuses a shard that is not one of Count.
func (s *Shard) Validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d of %d: want 0 <= index < count", s.Index, s.Count)
	}
	return nil
}

// String is "I/N", as --shard writes it.
func (s *Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// samePlan reports whether a and b are shards of one split of one grid.
func (s *Shard) samePlan(o *Shard) bool {
	a, b := s.Plan, o.Plan
	return s.Count == o.Count && slices.Equal(a.EMB, b.EMB) && slices.Equal(a.Heads, b.Heads) && slices.Equal(a.QK, b.QK) &&
		slices.Equal(a.V, b.V) && slices.Equal(a.MLP, b.MLP) && a.Decomposed == b.Decomposed &&
		a.Validation == b.Validation && slices.EqualFunc(a.Models, b.Models, func(x, y PlanModel) bool {
		return x.Name == y.Name && x.Dim.String() == y.Dim.String()
	})
}

// shardDiff says how two headers' shards differ, "" if they do not; with
// anyIndex, shards of one split differ in nothing (merging them).
func shardDiff(a, b *Shard, anyIndex bool) string {
	switch {
	case a == nil && b == nil:
		return ""
	case a == nil || b == nil:
		return fmt.Sprintf("shard %v vs %v", shardName(a), shardName(b))
	case !a.samePlan(b):
		return fmt.Sprintf("shard %v vs %v of another grid", a, b)
	case !anyIndex && a.Index != b.Index:
		return fmt.Sprintf("shard %v vs %v", a, b)
	}
	return ""
}

func shardName(s *Shard) string {
	if s == nil {
		return "none"
	}
	return s.String()
}
