package costmodel_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// deitTable is a small hand-made table at DeiT-T's geometry (224² images,
// 16² patches, cls token: 197 tokens): attention at 2, 3 and 4 heads, MLPs
// of 512, 768 and 1024, and the rest, in ms per batch of 1.
func deitTable() tablefmt.Table {
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "example", Batch: 1, Tokens: 197,
		Image: 224, Patch: 16, Channels: 3, Classes: 1000}
	t := tablefmt.Table{Header: h}
	for heads, ms := range map[int]float64{2: 0.30, 3: 0.40, 4: 0.50} {
		t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: 192, Heads: heads, QK: 64, V: 64, MedianMS: ms})
	}
	for mlp, ms := range map[int]float64{512: 0.20, 768: 0.25, 1024: 0.32} {
		t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: 192, MLP: mlp, MedianMS: ms})
	}
	t.Rows = append(t.Rows, tablefmt.Row{Kind: tablefmt.KindRest, EMB: 192, MedianMS: 0.5})
	return t
}

// Fit a model to a table and predict DeiT-T: 12 blocks of attention (3
// heads, 0.40 ms) and MLP (768, 0.25 ms), plus the rest (0.5 ms).
func ExampleFit() {
	m, err := costmodel.Fit(deitTable(), costmodel.FitOptions{Kind: costmodel.ModelHW})
	if err != nil {
		fmt.Println(err)
		return
	}
	deitT, _ := arch.Preset("deit-t")
	p, err := m.Latency(deitT)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("DeiT-T: %.4g ms (blocks %.4g ms, rest %.4g ms)\n", p.TotalMS, p.TotalMS-p.RestMS, p.RestMS)

	// Two heads fewer and a narrower MLP in every block.
	small := deitT.Clone()
	for i := range small.Blocks {
		small.Blocks[i].Heads, small.Blocks[i].MLP = 2, 512
	}
	sp, _ := m.Speedup(small, deitT)
	fmt.Printf("speedup %.3f×\n", sp)

	// The latency a removal saves: one head of block 0.
	d, _ := m.Marginal(deitT, costmodel.Removal{Dim: arch.DimHeads, Block: 0, K: 1})
	fmt.Printf("one head of block 0 saves %.4g ms\n", d)
	// Output:
	// DeiT-T: 8.3 ms (blocks 7.8 ms, rest 0.5 ms)
	// speedup 1.277×
	// one head of block 0 saves 0.1 ms
}

func ExampleModel_Report() {
	m, err := costmodel.Fit(deitTable(), costmodel.FitOptions{Path: "deit.jsonl"})
	if err != nil {
		fmt.Println(err)
		return
	}
	deitT, _ := arch.Preset("deit-t")
	small := deitT.Clone()
	small.Name = "deit-t-mlp512"
	for i := range small.Blocks {
		small.Blocks[i].MLP = 512
	}
	r, err := m.Report(small, &deitT)
	if err != nil {
		fmt.Println(err)
		return
	}
	r.WriteText(os.Stdout)
	// Output:
	// deit-t-mlp512: 7.7 ms per batch of 1 (12 blocks 7.2 ms, rest 0.5 ms) — hw model of deit.jsonl
	// speedup over deit-t (8.3 ms): 1.078× (MAC ratio 1.23×)
}

// Evaluate a model on its own table: each row predicted by a model fitted
// without it. NViT's interpolation refuses the rows at the ends of an axis
// (it does not extrapolate); the middle ones it interpolates: attention at
// 3 heads exactly (0.40 ms), the MLP of 768 at 0.26 ms for 0.25 measured.
func ExampleEval() {
	ev, err := costmodel.Eval(deitTable(), costmodel.EvalOptions{Kind: costmodel.ModelNViTInterp, Folds: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range ev.Groups {
		if g.N == 0 {
			fmt.Printf("%s: %s\n", g.Kind, g.Warnings[0])
			continue
		}
		fmt.Printf("%s: %d of %d predicted, MAPE %.1f%%\n", g.Kind, g.N, g.Rows, g.MAPE)
	}
	for _, w := range ev.Warnings {
		fmt.Println("note:", w)
	}
	// Output:
	// attn: 1 of 3 predicted, MAPE 0.0%
	// mlp: 2 of 3 predicted, MAPE 10.3%
	// rest: 1 of 1 rows not predicted, e.g. no rest rows are left to fit when fold 1 is held out
	// note: the table has no model rows: no whole-model error
}

// Resample writes NViT's table over NViT's own axes, which its loader
// hard-codes, from a table of another grid: the table's blocks where it has
// them, the model's predictions elsewhere, refusing when the model refuses
// an entry. This table of DeiT-T's neighbourhood (EMB 192 only) holds none
// of NViT's entries, and most of them lie too far outside its grid for the
// hw model: a table for NViT's pruner needs a sweep that reaches NViT's
// axes, if not its grid.
func ExampleResample() {
	t := deitTable()
	fmt.Println(t.LUTGrid().CheckNViT())
	m, err := costmodel.Fit(t, costmodel.FitOptions{Kind: costmodel.ModelHW})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = costmodel.Resample(m, t, tablefmt.NViTGrid())
	var re *costmodel.ResampleError
	if errors.As(err, &re) {
		fmt.Printf("%d of %d entries refused, first %s\n", re.Refused, re.Total, re.First.Path())
	}
	// Output:
	// the grid is not NViT's: EMB 192 (NViT's 256,512,768), heads 2,3,4 (NViT's 1,3,6,9,12), QK 64 (NViT's 1,16,32,48,64), V 64 (NViT's 1,16,32,48,64), MLP 0,512,768,1024 (NViT's 0..3072 by 128); NViT's loader hard-codes its axes and would stop with KeyError: 'EMB_256'
	// 8559 of 9375 entries refused, first EMB_256 → QK_1_1 → V_1 → MLP_1
}
