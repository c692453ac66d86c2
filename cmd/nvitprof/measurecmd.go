package main

import (
	"encoding/json"
	"fmt"

	"github.com/nvitprof/nvitprof/profiler"
	"github.com/urfave/cli/v2"
)

func measureCmd() *cli.Command {
	return &cli.Command{
		Name:  "measure",
		Usage: "measure a whole model's forward latency on a device",
		Description: `Times the forward pass of one architecture two ways and prints both:
  wall:   one execution as the host sees it (device time + dispatch + sync);
  device: per-model time from differential stacking (one and two copies of the
          model in one graph, each with its own weights), which cancels dispatch.
On the CPU both are the floor of their samples (--estimator min): a shared
machine's other work only adds time. GPUs report the median.
Example: nvitprof measure --device cpu --preset deit-t --batch 1`,
		Flags: append(specFlags(), deviceFlag, pluginFlag, threadsFlag,
			&cli.IntFlag{Name: "batch", Aliases: []string{"b"}, Value: 1, Usage: "images per execution"},
			&cli.StringFlag{Name: "dtype", Usage: "float32, bfloat16 or float16 (default: bfloat16 on GPUs, float32 on the CPU)"},
			&cli.IntFlag{Name: "warmup", Value: 2, Usage: "untimed executions first"},
			&cli.IntFlag{Name: "samples", Value: 10, Usage: "timed executions (pairs for device time)"},
			&cli.StringFlag{Name: "estimator", Usage: "median, or min (the floor; default on the CPU)"},
			clockFlag(""),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
		),
		Action: runMeasure,
	}
}

func runMeasure(c *cli.Context) error {
	s, err := loadSpec(c)
	if err != nil {
		return err
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return usagef("unknown --format %q: want text or json", format)
	}
	m, err := profiler.MeasureModel(c.Context, s, profiler.MeasureOptions{Device: c.String("device"), Plugin: c.String("plugin"),
		Batch: new(c.Int("batch")), DType: c.String("dtype"), Warmup: new(c.Int("warmup")), Samples: new(c.Int("samples")),
		Estimator: c.String("estimator"), Clock: c.String("clock"), Threads: threadsOption(c)})
	if err != nil {
		return optionUsage(err)
	}
	return writeMeasure(c, s.Name, m, format)
}

// measureResult is the JSON form of `nvitprof measure`.
type measureResult struct {
	Name         string  `json:"name,omitempty"`
	Device       string  `json:"device"`
	Hardware     string  `json:"hardware"`
	DType        string  `json:"dtype"`
	Batch        int     `json:"batch"`
	Estimator    string  `json:"estimator"`  // median, or min: the floor of the samples
	Clock        string  `json:"clock"`      // of the device time: wall, or cpu (the process's CPU clock)
	LatencyMS    float64 `json:"latency_ms"` // device time per forward pass
	SpreadMS     float64 `json:"spread_ms"`
	WallMS       float64 `json:"wall_ms"`
	WallSpreadMS float64 `json:"wall_spread_ms"`
	OverheadMS   float64 `json:"overhead_ms"`
	ImagesPerSec float64 `json:"images_per_s"`
	Samples      int     `json:"samples"`
	Noisy        bool    `json:"noisy,omitempty"`
}

func writeMeasure(c *cli.Context, name string, m profiler.ModelMeasurement, format string) error {
	t := m.Timing
	r := measureResult{Name: name, Device: m.Device, Hardware: m.Hardware, DType: m.DType, Batch: t.Batch, Estimator: t.Estimator, Clock: t.Clock,
		LatencyMS: t.Device.Estimate, SpreadMS: t.Device.Spread(), WallMS: t.Wall.Estimate, WallSpreadMS: t.Wall.Spread(),
		OverheadMS: t.Overhead(), ImagesPerSec: t.ImagesPerSecond(), Samples: t.Device.N, Noisy: t.Device.Noisy || t.Wall.Noisy}
	w := c.App.Writer
	if format == "json" {
		return json.NewEncoder(w).Encode(r)
	}
	fmt.Fprintf(w, "%s on %s (%s), %s, batch %d\n", name, r.Device, r.Hardware, r.DType, r.Batch)
	fmt.Fprintf(w, "  device: %.4g ms (%s, %s clock) ± %.2g (IQR, %d pairs) per forward pass, %.1f images/s\n",
		r.LatencyMS, r.Estimator, r.Clock, r.SpreadMS, r.Samples, r.ImagesPerSec)
	overhead := fmt.Sprintf("of which ≈%.3g ms host dispatch and sync", r.OverheadMS)
	if r.OverheadMS < 0 {
		overhead = "host dispatch and sync lost in the noise"
	}
	fmt.Fprintf(w, "  wall:   %.4g ms (%s, wall clock) ± %.2g (IQR, %d runs) per execution, %s\n", r.WallMS, r.Estimator, r.WallSpreadMS, t.Wall.N, overhead)
	if r.Noisy {
		fmt.Fprintln(w, "  note: uncertainty above 5%; the machine was busy (rerun with more --samples)")
	}
	return nil
}
