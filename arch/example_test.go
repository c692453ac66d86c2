package arch_test

import (
	"context"
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
)

// A family of NViT-rule variants under a toy latency function, one
// millisecond per GMAC: for each budget, the widest EMB (a multiple of 16)
// whose variant is predicted to run within that fraction of DeiT-B's
// latency.
func ExampleFamily() {
	ref, _ := arch.Preset("deit-b-distilled")
	lat := func(s arch.Spec) (float64, error) { return float64(s.MACs()) / 1e9, nil }
	fam, err := arch.Family(context.Background(), lat, arch.FamilyOptions{
		Rule:    arch.Rule{Geometry: ref.Geometry()},
		Ref:     ref,
		Budgets: []float64{0.25, 0.5, 1},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range fam {
		fmt.Printf("%s: EMB %d, %d heads in block 1 and %d in block 5, %.2f ms of %.2f\n",
			v.Spec.Name, v.Spec.EMB, v.Spec.Blocks[0].Heads, v.Spec.Blocks[4].Heads, v.Latency, v.TargetMS)
	}
	// Output:
	// revit-0.25x: EMB 368, 4 heads in block 1 and 8 in block 5, 4.16 ms of 4.41
	// revit-0.50x: EMB 528, 6 heads in block 1 and 10 in block 5, 8.50 ms of 8.83
	// revit-1.00x: EMB 736, 8 heads in block 1 and 14 in block 5, 17.00 ms of 17.66
}
