package arch_test

import (
	"fmt"

	"github.com/nvitprof/nvitprof/arch"
)

// Learning a redistribution rule from architectures: here a family made by
// a rule with a non-default profile and MLP factor, at three widths. The
// fit gives the rule back, in the roundest numbers the rounded widths
// allow, and regenerates every model exactly.
func ExampleFitRule() {
	gen := arch.Rule{Epsilon: []float64{1, 1.5, 2, 2, 1.5, 1}, MLPFactor: 2.5, V: 48}
	var models []arch.Spec
	for _, emb := range []int{256, 384, 512} {
		r := gen
		r.EMB = emb
		s, err := r.Spec()
		if err != nil {
			fmt.Println(err)
			return
		}
		models = append(models, s)
	}
	trends, err := arch.NewTrends(models, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fit, err := arch.FitRule(trends, arch.FitOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fit.Rule)
	fmt.Println(fit.Profile())
	fmt.Println("exact:", fit.Exact)
	// Output:
	// heads = ε·EMB/100 (×2, nearest), QK = ε·EMB/20 (×8, down), V = 48, MLP = 2.5·ε·EMB (×1, nearest), ε = [1 1.5 2 2 1.5 1], EMB 512
	// ε 1 (block 1), ε 1.5 (block 2), ε 2 (blocks 3–4), ε 1.5 (block 5), ε 1 (block 6)
	// exact: true
}
