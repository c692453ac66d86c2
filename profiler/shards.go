package profiler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Record is g as a table header keeps it (tablefmt.PlanGrid).
func (g Grid) Record() tablefmt.PlanGrid {
	r := tablefmt.PlanGrid{EMB: g.EMB, Heads: g.Heads, QK: g.QK, V: g.V, MLP: g.MLP, Decomposed: g.Decomposed, Validation: g.Validation}
	for _, m := range g.Models {
		r.Models = append(r.Models, tablefmt.PlanModel{Name: m.Name, Dim: m.Dim()})
	}
	return r
}

// GridOf is the grid r records, its models in geometry geo.
func GridOf(r tablefmt.PlanGrid, geo arch.Geometry) (Grid, error) {
	g := Grid{EMB: r.EMB, Heads: r.Heads, QK: r.QK, V: r.V, MLP: r.MLP, Decomposed: r.Decomposed, Validation: r.Validation}
	for _, m := range r.Models {
		blocks, err := m.Dim.Blocks()
		if err != nil {
			return Grid{}, fmt.Errorf("model %s: %w", m.Name, err)
		}
		g.Models = append(g.Models, geo.Model(m.Name, m.Dim.EMB, blocks))
	}
	return g, g.Validate()
}

// Environment variables of the schedulers that run array jobs, which
// ParseShard's "auto" reads.
const (
	SlurmTaskID    = "SLURM_ARRAY_TASK_ID"    // this task's index (from SlurmTaskMin)
	SlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"   // the first index, often 0 or 1
	SlurmTaskCount = "SLURM_ARRAY_TASK_COUNT" // the number of tasks
	K8sIndex       = "JOB_COMPLETION_INDEX"   // a Kubernetes Indexed Job's completion index (0-based)
)

// ParseShard reads a shard: "I/N" (0 <= I < N), or "auto" and "auto/N"
// from a scheduler's array job, through getenv: a Slurm job array
// (SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT
// tasks, which N must equal when given) or a Kubernetes Indexed Job
// (JOB_COMPLETION_INDEX, with N given: Kubernetes does not export the
// count). Tasks must be numbered consecutively.
func ParseShard(s string, getenv func(string) string) (index, count int, err error) {
	spec, n, hasN := strings.Cut(strings.TrimSpace(s), "/")
	if hasN {
		if count, err = strconv.Atoi(n); err != nil || count < 1 {
			return 0, 0, fmt.Errorf("shard %q: want I/N, auto or auto/N with N a positive count", s)
		}
	}
	if spec != "auto" {
		index, err = strconv.Atoi(spec)
		if err != nil || !hasN || index < 0 || index >= count {
			return 0, 0, fmt.Errorf("shard %q: want I/N with 0 <= I < N, auto or auto/N", s)
		}
		return index, count, nil
	}
	switch {
	case getenv(SlurmTaskID) != "":
		return slurmShard(getenv, count)
	case getenv(K8sIndex) != "":
		index, err = strconv.Atoi(getenv(K8sIndex))
		if err != nil || index < 0 {
			return 0, 0, fmt.Errorf("shard auto: %s=%q is not an index", K8sIndex, getenv(K8sIndex))
		}
		if !hasN {
			return 0, 0, fmt.Errorf("shard auto: a Kubernetes Indexed Job does not export its completions: give auto/N")
		}
		if index >= count {
			return 0, 0, fmt.Errorf("shard auto/%d: %s is %d", count, K8sIndex, index)
		}
		return index, count, nil
	}
	return 0, 0, fmt.Errorf("shard auto: neither %s (Slurm job arrays) nor %s (Kubernetes Indexed Jobs) is set: give I/N", SlurmTaskID, K8sIndex)
}

// slurmShard is this Slurm array task's shard; want is the count given
// (0: none).
func slurmShard(getenv func(string) string, want int) (int, int, error) {
	num := func(name string) (int, error) {
		v, err := strconv.Atoi(getenv(name))
		if err != nil {
			return 0, fmt.Errorf("shard auto: %s=%q is not a number", name, getenv(name))
		}
		return v, nil
	}
	id, err := num(SlurmTaskID)
	if err != nil {
		return 0, 0, err
	}
	first := 0
	if getenv(SlurmTaskMin) != "" {
		if first, err = num(SlurmTaskMin); err != nil {
			return 0, 0, err
		}
	}
	count := want
	if getenv(SlurmTaskCount) != "" {
		if count, err = num(SlurmTaskCount); err != nil {
			return 0, 0, err
		}
		if want != 0 && want != count {
			return 0, 0, fmt.Errorf("shard auto/%d: the Slurm array has %d tasks (%s)", want, count, SlurmTaskCount)
		}
	}
	if count < 1 {
		return 0, 0, fmt.Errorf("shard auto: %s is not set: give auto/N", SlurmTaskCount)
	}
	if i := id - first; i >= 0 && i < count {
		return i, count, nil
	}
	return 0, 0, fmt.Errorf("shard auto: task %d of an array from %d with %d tasks: the tasks must be numbered consecutively", id, first, count)
}

// CheckShards checks that tables, the shards of one split sweep, cover its
// plan exactly once: every shard there once, each holding exactly its
// configurations. The error names what is missing or extra. Tables without
// a shard are an error too.
func CheckShards(names []string, tables []tablefmt.Table) error {
	first := tables[0].Header.Shard
	byIndex := map[int]int{}
	for i, t := range tables {
		s := t.Header.Shard
		if s == nil {
			return fmt.Errorf("%s is not a shard: merge it with whole tables only", names[i])
		}
		if j, ok := byIndex[s.Index]; ok {
			return fmt.Errorf("%s and %s are both shard %v", names[j], names[i], s)
		}
		byIndex[s.Index] = i
	}
	g, err := GridOf(first.Plan, tables[0].Header.Geometry())
	if err != nil {
		return fmt.Errorf("%s: the shard's grid: %w", names[0], err)
	}
	configs := g.Configs()
	var problems []string
	for k := range first.Count {
		want, _ := Shard(configs, k, first.Count)
		i, ok := byIndex[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("shard %d/%d is missing (%d configurations, first %s)", k, first.Count, len(want), want[0].Key()))
			continue
		}
		if p := shardCoverage(names[i], tables[i], want); p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the shards do not cover their grid of %d configurations: %s", len(configs), strings.Join(problems, "; "))
	}
	return nil
}

// shardCoverage says what table (named name) lacks of want, or holds beyond
// it; "" when it holds exactly want.
func shardCoverage(name string, t tablefmt.Table, want []tablefmt.Row) string {
	have := t.Index()
	var missing, extra []string
	for _, r := range want {
		if _, ok := have[r.Key()]; !ok {
			missing = append(missing, r.Key())
		}
		delete(have, r.Key())
	}
	for k := range have {
		extra = append(extra, k)
	}
	slices.Sort(extra)
	var p []string
	if len(missing) > 0 {
		p = append(p, fmt.Sprintf("%s lacks %d of its %d configurations (first %s; resume that shard)", name, len(missing), len(want), missing[0]))
	}
	if len(extra) > 0 {
		p = append(p, fmt.Sprintf("%s holds %d configurations of other shards (first %s)", name, len(extra), extra[0]))
	}
	return strings.Join(p, "; ")
}
