package costmodel

import (
	"fmt"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// KindAll labels a Group pooled over every kind of row.
const KindAll tablefmt.Kind = "all"

// Agreement compares two measurements of the same configurations — a table
// and a replicate measured again under the same setting — kind by kind, with
// the metrics Eval uses: b's latency stands in for the prediction of a's. It
// is the floor a cost model's held-out error cannot go below, since Eval
// scores predictions against measurements that are themselves this noisy.
func Agreement(a, b tablefmt.Table) ([]Group, error) {
	groups, _, err := agreement(a, b)
	return groups, err
}

// agreement is Agreement, and the same pooled over every kind (KindAll).
func agreement(a, b tablefmt.Table) ([]Group, Group, error) {
	if err := a.Header.Compatible(b.Header); err != nil {
		return nil, Group{}, fmt.Errorf("costmodel: replicate: %w", err)
	}
	bi := b.Index()
	all := Group{Kind: KindAll, How: "replicate"}
	var allMeas, allAgain []float64
	var groups []Group
	for _, k := range tablefmt.Kinds() {
		g := Group{Kind: k, How: "replicate"}
		var meas, again []float64
		for key, r := range a.Index() {
			if r.Kind != k {
				continue
			}
			g.Rows++
			if o, ok := bi[key]; ok && r.MedianMS > 0 {
				meas = append(meas, r.MedianMS)
				again = append(again, o.MedianMS)
			}
		}
		if g.Rows == 0 {
			continue
		}
		g.Metrics = ComputeMetrics(again, meas)
		if g.N < g.Rows {
			g.Warnings = append(g.Warnings, fmt.Sprintf("%d of %d %s rows are not in the replicate", g.Rows-g.N, g.Rows, k))
		}
		groups = append(groups, g)
		all.Rows += g.Rows
		allMeas, allAgain = append(allMeas, meas...), append(allAgain, again...)
	}
	if len(groups) == 0 {
		return nil, Group{}, fmt.Errorf("costmodel: replicate: the tables share no configuration")
	}
	all.Metrics = ComputeMetrics(allAgain, allMeas)
	return groups, all, nil
}
