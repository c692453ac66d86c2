package profiler

import (
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	none := env()
	for _, tc := range []struct {
		spec        string
		env         func(string) string
		index, size int
		err         string
	}{
		{"2/4", none, 2, 4, ""},
		{"0/1", none, 0, 1, ""},
		{"4/4", none, 0, 0, "0 <= I < N"},
		{"x/4", none, 0, 0, "want I/N"},
		{"2", none, 0, 0, "want I/N"},
		{"auto", none, 0, 0, "neither SLURM_ARRAY_TASK_ID"},
		// Slurm: --array=0-3, and --array=1-4 (indices from SLURM_ARRAY_TASK_MIN).
		{"auto", env(SlurmTaskID, "2", SlurmTaskMin, "0", SlurmTaskCount, "4"), 2, 4, ""},
		{"auto", env(SlurmTaskID, "4", SlurmTaskMin, "1", SlurmTaskCount, "4"), 3, 4, ""},
		{"auto/4", env(SlurmTaskID, "1", SlurmTaskCount, "4"), 1, 4, ""},
		{"auto/8", env(SlurmTaskID, "1", SlurmTaskCount, "4"), 0, 0, "the Slurm array has 4 tasks"},
		{"auto", env(SlurmTaskID, "1"), 0, 0, "give auto/N"},
		{"auto/3", env(SlurmTaskID, "2"), 2, 3, ""},
		{"auto", env(SlurmTaskID, "9", SlurmTaskMin, "0", SlurmTaskCount, "4"), 0, 0, "numbered consecutively"},
		{"auto", env(SlurmTaskID, "two"), 0, 0, "not a number"},
		// Kubernetes Indexed Jobs export the index only.
		{"auto/3", env(K8sIndex, "2"), 2, 3, ""},
		{"auto", env(K8sIndex, "2"), 0, 0, "give auto/N"},
		{"auto/2", env(K8sIndex, "2"), 0, 0, "JOB_COMPLETION_INDEX is 2"},
	} {
		i, n, err := ParseShard(tc.spec, tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %d/%d, %v; want an error with %q", tc.spec, i, n, err, tc.err)
			}
			continue
		}
		if err != nil || i != tc.index || n != tc.size {
			t.Errorf("%q: %d/%d, %v; want %d/%d", tc.spec, i, n, err, tc.index, tc.size)
		}
	}
}

// Shards are checked against their grid: one missing, one twice, rows
// missing or of another shard are each named.
func TestCheckShards(t *testing.T) {
	opts := PlanOptions{Device: "cpu", Preset: "quick", EMB: []int{64}, Heads: []int{1, 2}, QK: []int{8}, V: []int{16},
		MLP: []int{64, 128}, Validation: new(0), Models: []string{"none"}, Threads: new(1)}
	shard := func(i int) tablefmt.Table {
		o := opts
		o.Shard, o.Shards = i, 3
		p, err := NewPlan(o)
		if err != nil {
			t.Fatal(err)
		}
		return tablefmt.Table{Header: p.Header, Rows: p.Configs}
	}
	a, b, c := shard(0), shard(1), shard(2)
	names := []string{"a", "b", "c"}
	if err := CheckShards(names, []tablefmt.Table{a, b, c}); err != nil {
		t.Errorf("complete: %v", err)
	}
	lacking := c
	lacking.Rows = c.Rows[1:]
	for _, tc := range []struct {
		tables []tablefmt.Table
		want   string
	}{
		{[]tablefmt.Table{a, b}, "shard 2/3 is missing (1 configurations, first mlp emb=64 mlp=64)"},
		{[]tablefmt.Table{a, b, b}, "b and c are both shard 1/3"},
		{[]tablefmt.Table{a, b, lacking}, "c lacks 1 of its 1 configurations (first mlp emb=64 mlp=64; resume that shard)"},
		{[]tablefmt.Table{a, {Header: b.Header, Rows: append(b.Rows, c.Rows...)}, c}, "b holds 1 configurations of other shards (first mlp emb=64 mlp=64)"},
		{[]tablefmt.Table{a, {Header: tablefmt.Header{}}, c}, "b is not a shard"},
	} {
		if err := CheckShards(names, tc.tables); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v; want %q", err, tc.want)
		}
	}
}
