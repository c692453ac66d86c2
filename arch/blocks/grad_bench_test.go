package blocks_test

import (
	"context"
	"os"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
	"github.com/nvitprof/nvitprof/profiler"
)

// benchDevice is $NVITPROF_BENCH_DEVICE (default cpu): the GPU script runs
// these benchmarks with cuda:0.
func benchDevice(b *testing.B) *profiler.Device {
	name := os.Getenv("NVITPROF_BENCH_DEVICE")
	if name == "" {
		name = "cpu"
	}
	dev, err := profiler.OpenDevice(name, profiler.DeviceOptions{})
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(dev.Close)
	return dev
}

// benchForwardBackward times loss = mean(y²) of fn forward, and forward plus
// the gradients of every weight (summed into one scalar so none is dropped),
// side by side in one run, and reports both and their ratio.
func benchForwardBackward(b *testing.B, dev *profiler.Device, input shapes.Shape, fn func(*mlctx.Context, *graph.Node) *graph.Node) {
	build := func(withGrad bool) *mlctx.Exec {
		c := mlctx.New()
		e, err := mlctx.NewExec(dev.Backend, c, func(c *mlctx.Context, x *graph.Node) *graph.Node {
			y := graph.ConvertDType(fn(c, x), dtypes.Float32)
			loss := graph.ReduceAllMean(graph.Square(y))
			if !withGrad {
				return loss
			}
			var params []*graph.Node
			for v := range c.IterVariables() {
				params = append(params, v.ValueGraph(x.Graph()))
			}
			total := loss
			for _, g := range graph.Gradient(loss, params...) {
				total = graph.Add(total, graph.ConvertDType(graph.ReduceAllSum(g), dtypes.Float32))
			}
			return total
		})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	x, err := graph.NewExec(dev.Backend, func(g *graph.Graph) *graph.Node {
		return graph.ConvertDType(graph.Sin(graph.IotaFull(g, shapes.Make(dtypes.Float32, input.Dimensions...))), input.DType)
	})
	if err != nil {
		b.Fatal(err)
	}
	xs := x.MustExec()[0]
	fwd, bwd := build(false), build(true)
	run := func(e *mlctx.Exec) profiler.RunFunc {
		return func() error {
			out, err := e.Exec(xs)
			if err != nil {
				return err
			}
			_ = out[0].Value()
			return nil
		}
	}
	opts := profiler.TimingOptions{Warmup: 2, Samples: 5, NoiseThreshold: 1}
	var f, fb profiler.Timing
	for b.Loop() {
		if f, err = profiler.TimeDirect(context.Background(), run(fwd), opts); err != nil {
			b.Fatal(err)
		}
		if fb, err = profiler.TimeDirect(context.Background(), run(bwd), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(f.Median, "ms/fwd")
	b.ReportMetric(fb.Median, "ms/fwd+bwd")
	b.ReportMetric(fb.Median/f.Median, "x-fwd")
}

// BenchmarkGradSmallViT is the MNIST-sized ViT of the pruning demo (28² images,
// 7² patches, EMB 64, 4 blocks), batch 32, float32.
func BenchmarkGradSmallViT(b *testing.B) {
	dev := benchDevice(b)
	s := arch.Spec{Name: "mnist-vit", Image: 28, Patch: 7, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 64,
		Blocks: arch.Uniform(4, arch.Block{Heads: 4, QK: 16, V: 16, MLP: 128})}
	benchForwardBackward(b, dev, shapes.Make(dtypes.Float32, 32, 1, 28, 28), func(c *mlctx.Context, x *graph.Node) *graph.Node {
		return blocks.Model(c, x, s)
	})
}

// BenchmarkGradDeiTBBlock is issue 7's reference shape: one DeiT-B block,
// batch 64, 197 tokens, float32. Minutes on the CPU: run it on a GPU
// (NVITPROF_BENCH_DEVICE=cuda:0) or with -benchtime=1x.
func BenchmarkGradDeiTBBlock(b *testing.B) {
	dev := benchDevice(b)
	if dev.Kind == profiler.KindCPU && os.Getenv("NVITPROF_BENCH_LARGE") == "" {
		b.Skip("a DeiT-B block at batch 64 takes minutes on the CPU; set NVITPROF_BENCH_LARGE=1")
	}
	blk := arch.Block{Heads: 12, QK: 64, V: 64, MLP: 3072}
	benchForwardBackward(b, dev, shapes.Make(dtypes.Float32, 64, 197, 768), func(c *mlctx.Context, x *graph.Node) *graph.Node {
		return blocks.Block(c, x, 768, blk)
	})
}
