package costmodel_test

import (
	"fmt"
	"log"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// Whole blocks arranged as a cross (attention without MLP, MLP widths at
// one attention) fit a model of attention + MLP that predicts blocks never
// measured.
func ExampleFitDecomposed() {
	block := func(heads, mlp int, ms float64) tablefmt.Row {
		return tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 256, Heads: heads, QK: 64, V: 64, MLP: mlp, MedianMS: ms}
	}
	t := tablefmt.Table{
		Header: tablefmt.Header{Version: tablefmt.FormatVersion, Batch: 1, Tokens: 197},
		Rows: []tablefmt.Row{
			block(2, 0, 1.0), block(4, 0, 1.5), // attention
			block(2, 512, 1.75), block(2, 1024, 2.5), // the MLP at 2 heads: 0.75 and 1.5 ms
		},
	}
	m, err := costmodel.FitDecomposed(t, costmodel.FitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Components())
	ms, err := m.BlockMS(256, 197, arch.Block{Heads: 4, QK: 64, V: 64, MLP: 1024})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("4 heads and MLP 1024, never measured: %.2f ms\n", ms)
	// Output:
	// [attn mlp]
	// 4 heads and MLP 1024, never measured: 3.00 ms
}
