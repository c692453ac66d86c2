package costmodel_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// deitBBlocks is a table of whole DeiT-B blocks in NViT's geometry: V 32 or
// 64 per head, without MLP or with DeiT-B's 3072.
func deitBBlocks() tablefmt.Table {
	t := tablefmt.Table{Header: tablefmt.NViTV100Header()}
	for _, r := range []struct {
		v, mlp int
		ms     float64
	}{{32, 0, 3.5}, {32, 3072, 11}, {64, 0, 4}, {64, 3072, 12.25}} {
		t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 768, Heads: 12, QK: 64, V: r.v, MLP: r.mlp, MedianMS: r.ms})
	}
	return t
}

func TestLatencyFuncIsTotal(t *testing.T) {
	m, err := costmodel.Fit(deitBBlocks(), costmodel.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lat := costmodel.LatencyFunc(m)
	s, _ := arch.Preset("deit-b-distilled")
	// 12 blocks of 12.25 ms, every one a table entry; no rest rows.
	if ms, err := lat(s); err != nil || math.Abs(ms-147) > 1e-9 {
		t.Errorf("latency %v, %v; want 147 ms", ms, err)
	}
	tiny, _ := arch.Preset("deit-t") // 197 tokens: the model refuses
	if _, err := lat(tiny); err == nil {
		t.Error("an architecture of other tokens was predicted")
	}
}

// A cost model as the latency function that arch.Family and arch.Snap take.
func ExampleLatencyFunc() {
	m, err := costmodel.Fit(deitBBlocks(), costmodel.FitOptions{})
	if err != nil {
		panic(err)
	}
	ref, _ := arch.Preset("deit-b-distilled")
	lat := costmodel.LatencyFunc(m)
	ms, _ := lat(ref)
	fmt.Printf("%s: %.2f ms\n", ref.Name, ms)
	// Output: deit-b-distilled: 147.00 ms
}
