package pruner_test

import (
	"context"
	"fmt"
	"log"

	_ "github.com/gomlx/gomlx/backends/simplego"

	"github.com/gomlx/gomlx/backends"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/pruner"
)

// toyLatency is a cost model in which a block costs 0.01 ms per head per
// QK+V dimension and 0.02 ms per MLP neuron, and the rest 0.001 ms per EMB
// channel: removing an MLP neuron saves twice what a QK dimension of one
// head saves.
type toyLatency struct{}

func (toyLatency) BlockMS(emb, tokens int, b arch.Block) (float64, error) {
	return 0.01*float64(b.Heads*(b.QK+b.V)) + 0.02*float64(b.MLP), nil
}

func (m toyLatency) Latency(s arch.Spec) (costmodel.Prediction, error) {
	p := costmodel.Prediction{RestMS: 0.001 * float64(s.EMB), Rest: true}
	p.TotalMS = p.RestMS
	for _, b := range s.Blocks {
		ms, _ := m.BlockMS(s.EMB, s.Tokens(), b)
		p.BlocksMS = append(p.BlocksMS, ms)
		p.TotalMS += ms
	}
	return p, nil
}

func (m toyLatency) Marginal(s arch.Spec, r costmodel.Removal) (float64, error) {
	smaller, err := r.Apply(s)
	if err != nil {
		return 0, err
	}
	before, _ := m.Latency(s)
	after, _ := m.Latency(smaller)
	return before.TotalMS - after.TotalMS, nil
}

func (m toyLatency) Speedup(s, ref arch.Spec) (float64, error) {
	a, _ := m.Latency(s)
	b, _ := m.Latency(ref)
	return b.TotalMS / a.TotalMS, nil
}

// Select removes groups of units until the predicted latency meets a target.
// Here a group of two QK or V dimensions has saliency 2 and saves 0.04 ms
// (two heads × 0.01 ms × 2), a group of four MLP neurons has 2.4 and saves
// 0.08 ms; heads and EMB channels are too salient to go. The latency-blind
// ranking (η = 0) removes the QK and V groups first and needs an MLP group on
// top (saliency 4·2 + 2.4 = 10.4); the latency-aware score (η = 1) removes
// three MLP groups (7.2) for the same latency; HALP's knapsack finds the
// least saliency that meets the target: three groups, two of them MLP (6.8).
func ExampleSelect() {
	spec := arch.Spec{Image: 8, Patch: 4, Channels: 1, Classes: 2, ExtraTokens: 1, EMB: 8,
		Blocks: arch.Uniform(2, arch.Block{Heads: 2, QK: 4, V: 4, MLP: 8})}
	sal := pruner.NewPerUnit(spec)
	for i := range sal.EMB {
		sal.EMB[i] = 10 // every channel is felt everywhere: keep them
	}
	for b := range spec.Blocks {
		for i := range sal.Heads[b] {
			sal.Heads[b][i] = 20
		}
		for i := range sal.QK[b] {
			sal.QK[b][i], sal.V[b][i] = 1, 1
		}
		for i := range sal.MLP[b] {
			sal.MLP[b][i] = 0.6
		}
	}
	sizes := pruner.GroupSizes{EMB: 8, Heads: 1, QK: 2, V: 2, MLP: 4}
	dense, _ := toyLatency{}.Latency(spec)
	target := 0.7 * dense.TotalMS
	fmt.Printf("dense %.3f ms, target %.3f ms\n", dense.TotalMS, target)
	for _, c := range []struct {
		eta    float64
		method pruner.Selection
	}{{0, pruner.SelectGreedy}, {1, pruner.SelectGreedy}, {0, pruner.SelectKnapsack}} {
		reg := pruner.Regularizer{Model: toyLatency{}, Eta: c.eta}
		sel, err := pruner.Select(spec, sal, sizes, reg, c.method, target)
		if err != nil {
			log.Fatal(err)
		}
		var removed float64
		for _, g := range sel.Groups {
			removed += g.Saliency
		}
		fmt.Printf("%s, eta %g: %.3f ms, saliency removed %.1f, %s\n", c.method, c.eta, sel.PredictedMS, removed, sel.Spec.Dim())
	}
	// Output:
	// dense 0.648 ms, target 0.454 ms
	// greedy, eta 0: 0.408 ms, saliency removed 10.4, EMB 8 head [2 2] QK [2 2] V [2 2] MLP [4 8]
	// greedy, eta 1: 0.408 ms, saliency removed 7.2, EMB 8 head [2 2] QK [4 4] V [4 4] MLP [0 4]
	// knapsack, eta 0: 0.448 ms, saliency removed 6.8, EMB 8 head [2 2] QK [4 4] V [4 2] MLP [8 0]
}

// A pruning run from Go: the weights and architecture of a trained model,
// a cost model (here one written by nvitprof fit), the data, and options.
// Run writes every step into opt.Dir and returns the pruned weights.
func ExampleNewRun() {
	dense, err := pruner.LoadWeights("mnist-vit/model.safetensors", "mnist-vit/model.json")
	if err != nil {
		log.Fatal(err)
	}
	model, err := costmodel.LoadFile("cpu-hw.json")
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := pruner.LoadData("mnist", dense.Spec)
	if err != nil {
		log.Fatal(err)
	}
	backend, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	opt := pruner.DefaultOptions
	opt.Dir, opt.Target, opt.Selection = "pruned", 0.5, pruner.SelectKnapsack
	opt.Eval = test.Head(2000)
	opt.Logf = func(format string, args ...any) { log.Printf(format, args...) }
	r, err := pruner.NewRun(backend, dense, model, train, opt)
	if err != nil {
		log.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %.1f%% of the dense model's predicted latency, top-1 %.2f%%\n",
		res.Final.Dim, 100*res.Final.Relative, 100*res.Final.Accuracy)
}
