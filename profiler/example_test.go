package profiler_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/profiler"
)

// A sweep planned on the CPU: the quick preset's geometry with a smaller
// grid, its defaults those of a shared machine.
func ExampleNewPlan() {
	plan, err := profiler.NewPlan(profiler.PlanOptions{
		Device: "cpu", Preset: "quick",
		EMB: []int{64, 128}, Heads: []int{2}, QK: []int{16}, V: []int{16}, MLP: []int{128, 256},
		Validation: new(0), Models: []string{"none"},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := plan.Header
	fmt.Println(len(plan.Configs), "configurations, the first:", plan.Configs[0].Key())
	fmt.Printf("%d tokens, batch %d, %s\n", h.Tokens, h.Batch, h.DType)
	m := h.Method
	fmt.Printf("stack depths %v, %d warm-up, %d samples, estimator %s, %d passes\n", m.Depths, m.Warmup, m.Samples, m.Estimator, m.Passes)
	fmt.Println(plan.PassFiles("cpu.jsonl"))
	// Output:
	// 8 configurations, the first: attn emb=64 heads=2 qk=16 v=16
	// 65 tokens, batch 8, float32
	// stack depths [1 3], 1 warm-up, 2 samples, estimator min, 3 passes
	// [cpu.pass1.jsonl cpu.pass2.jsonl cpu.jsonl]
}

// Running a plan writes the table, reporting each pass on stderr; Ctrl-C
// (the context) stops it with every row so far on disk, and Resume goes on.
func ExamplePlan_Run() {
	plan, err := profiler.NewPlan(profiler.PlanOptions{Preset: "quick", Threads: new(1)})
	if err != nil {
		log.Fatal(err)
	}
	res, err := plan.Run(context.Background(), "quick.jsonl", profiler.RunOptions{Resume: true, Log: os.Stderr})
	if err != nil {
		log.Fatal(err)
	}
	if res.Busy() {
		fmt.Printf("the passes were %.0f%% apart: measure again at a quieter time\n", 100*res.Spread)
	}
}

// A whole model's forward pass, as the host sees it and as device time.
func ExampleMeasureModel() {
	s, err := arch.Preset("deit-t")
	if err != nil {
		log.Fatal(err)
	}
	m, err := profiler.MeasureModel(context.Background(), s, profiler.MeasureOptions{Device: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %.3g ms device time, %.3g ms per execution\n", s.Name, m.Timing.Device.Estimate, m.Timing.Wall.Estimate)
}

// An adaptive sweep, replayed from the synthetic table in NViT's schema (a
// replay measures nothing, so this runs in a moment): it measures a design
// of blocks without MLP and of MLP widths at one attention per EMB, then
// stops once 95% of its validation sample is predicted within ±5%.
func ExamplePlan_Run_adaptive() {
	plan, err := profiler.NewPlan(profiler.PlanOptions{
		Device:   "replay:../internal/testtables/testdata/nvit_synthetic_latency_head.json",
		Adaptive: &profiler.AdaptiveOptions{AccuracyPct: 5, Budget: 190},
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	res, err := plan.Run(context.Background(), filepath.Join(dir, "t.jsonl"), profiler.RunOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Adaptive)
	// Output:
	// adaptive sweep: target met (95% within ±5%) after 1 round: 60 of 60 validation configurations (100.0%) within ±5%, max error 2.3%; measured 150 of 9375 configurations (1.6%)
}
