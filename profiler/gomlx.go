package profiler

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ModelDepths are the stack depths for rest and model rows: whole models are
// large, so one and two copies suffice to cancel dispatch.
var ModelDepths = [2]int{1, 2}

// GoMLXMeasurer measures configurations with nvitprof's own GoMLX graphs on
// a device, under the settings of a table header (dtype, batch, tokens,
// geometry, timing method).
type GoMLXMeasurer struct {
	dev     *Device
	hdr     tablefmt.Header
	dtype   dtypes.DType
	timing  TimingOptions
	retries int
	phases  phaseClock
}

// NewGoMLXMeasurer checks that h can be measured on dev: a known float dtype,
// differential timing with two depths, a geometry whose tokens match.
func NewGoMLXMeasurer(dev *Device, h tablefmt.Header) (*GoMLXMeasurer, error) {
	dt, err := ParseDType(h.DType)
	if err != nil {
		return nil, err
	}
	if h.Method.Name != "differential" || len(h.Method.Depths) != 2 {
		return nil, fmt.Errorf("measure: method %q with depths %v: want differential with two depths", h.Method.Name, h.Method.Depths)
	}
	if h.Batch < 1 {
		return nil, fmt.Errorf("measure: batch must be positive, got %d", h.Batch)
	}
	if _, err := geometry(h); err != nil {
		return nil, err
	}
	t := TimingOptions{Warmup: h.Method.Warmup, Samples: h.Method.Samples, NoiseThreshold: h.Method.NoiseThreshold,
		Retries: DefaultTiming.Retries, Estimator: h.Method.Estimator, Clock: h.Method.Clock}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	if dev.Kind == KindCPU {
		// The pure-Go backend allocates every intermediate tensor: collect
		// between samples rather than inside them.
		t.BeforeSample = runtime.GC
		// A shared core changes speed under the CPU clock's feet: count the
		// samples taken at full speed (SpeedGate).
		t.Gate = &SpeedGate{}
	}
	return &GoMLXMeasurer{dev: dev, hdr: h, dtype: dt, timing: t}, nil
}

// ParseDType maps a dtype name to GoMLX's.
func ParseDType(name string) (dtypes.DType, error) {
	switch strings.ToLower(name) {
	case "float32", "f32", "fp32":
		return dtypes.Float32, nil
	case "bfloat16", "bf16":
		return dtypes.BFloat16, nil
	case "float16", "f16", "fp16", "half":
		return dtypes.Float16, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("unknown dtype %q: want float32, bfloat16 or float16", name)
}

// geometry is the model shell (no blocks) a header describes.
func geometry(h tablefmt.Header) (arch.Spec, error) {
	s := h.Geometry().Model("", 1, []arch.Block{{}})
	if err := s.Validate(); err != nil {
		return arch.Spec{}, fmt.Errorf("measure: geometry (image %d, patch %d, tokens %d): %w", h.Image, h.Patch, h.Tokens, err)
	}
	return s, nil
}

// Overlap is false. On the CPU the cores compile and time alike; on a GPU,
// XLA's autotuning runs candidate kernels on the device while it compiles,
// which would land inside another configuration's timing, and the H100
// compiled a configuration in 3.5 s and timed it in 0.08 s, so overlapping
// could win 2% at best. Compilation runs in parallel across runner
// processes instead (--workers), which freeze while one of them times.
func (m *GoMLXMeasurer) Overlap() bool { return false }

// Prepare compiles the two stack depths of row and initialises their weights.
func (m *GoMLXMeasurer) Prepare(ctx context.Context, row tablefmt.Row) (Prepared, error) {
	if err := row.Validate(); err != nil {
		return nil, err
	}
	depths := [2]int{m.hdr.Method.Depths[0], m.hdr.Method.Depths[1]}
	var input shapes.Shape
	tokens := m.hdr.Tokens
	switch row.Kind {
	case tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock:
		input = shapes.Make(m.dtype, m.hdr.Batch, tokens, row.EMB)
	case tablefmt.KindRest, tablefmt.KindModel:
		depths = ModelDepths
		input = shapes.Make(m.dtype, m.hdr.Batch, m.hdr.Channels, m.hdr.Image, m.hdr.Image)
	default:
		return nil, fmt.Errorf("measure: cannot measure %s rows", row.Kind)
	}
	unit, err := m.unit(row)
	if err != nil {
		return nil, err
	}
	p := &gomlxPrepared{m: m, row: row, depths: depths}
	ok := false
	defer func() {
		if !ok {
			p.Close()
		}
	}()
	if p.x, err = m.input(input); err != nil {
		return nil, err
	}
	for i, d := range depths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p.exec[i], p.vars[i], err = m.compile(unit, d, p.x); err != nil {
			return nil, fmt.Errorf("measure %s at depth %d: %w", row.Key(), d, err)
		}
	}
	ok = true
	return p, nil
}

// unitFn applies one copy of the measured unit under ctx.
type unitFn func(ctx *mlctx.Context, x *graph.Node) *graph.Node

func (m *GoMLXMeasurer) unit(row tablefmt.Row) (unitFn, error) {
	switch row.Kind {
	case tablefmt.KindAttn:
		return func(c *mlctx.Context, x *graph.Node) *graph.Node { return blocks.Attention(c, x, row.EMB, row.Block()) }, nil
	case tablefmt.KindMLP:
		return func(c *mlctx.Context, x *graph.Node) *graph.Node { return blocks.MLP(c, x, row.EMB, row.MLP) }, nil
	case tablefmt.KindBlock:
		return func(c *mlctx.Context, x *graph.Node) *graph.Node { return blocks.Block(c, x, row.EMB, row.Block()) }, nil
	}
	s, err := geometry(m.hdr)
	if err != nil {
		return nil, err
	}
	s.Name, s.EMB = row.Name, row.EMB
	if row.Kind == tablefmt.KindModel {
		if s.Blocks, err = row.Dim.Blocks(); err != nil {
			return nil, err
		}
		s.EMB = row.Dim.EMB
	} // a rest row keeps one identity block (no heads, no MLP): exactly the rest
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return func(c *mlctx.Context, x *graph.Node) *graph.Node { return blocks.Model(c, x, s) }, nil
}

// input makes a deterministic, non-constant input on the device: sin of the
// element's index (on the CPU, how fast some graphs run depends on the
// values: normal draws made patch embedding 1.7x slower).
func (m *GoMLXMeasurer) input(shape shapes.Shape) (*tensors.Tensor, error) {
	return deviceTensor(m.dev.Backend, shape, func(i int) float32 { return float32(math.Sin(float64(i))) })
}

// compile builds depth copies of unit, each with its own weights. Chained
// units (blocks) feed each other; whole models run side by side on the same
// images. The result is reduced to one float32 so that reading it waits for
// the device without copying much. The context holding the copies' weights
// comes back too: its device buffers are freed when it is finalized, not when
// Go's collector happens to run (which a GPU's memory cannot wait for).
func (m *GoMLXMeasurer) compile(unit unitFn, depth int, x *tensors.Tensor) (*mlctx.Exec, *mlctx.Context, error) {
	chained := x.Shape().Rank() == 3
	c := mlctx.New()
	build := func(c *mlctx.Context, x *graph.Node) *graph.Node {
		var total *graph.Node
		y := x
		for i := range depth {
			out := unit(c.In(fmt.Sprintf("copy_%02d", i)), y)
			if chained {
				y = out
				continue
			}
			s := graph.ReduceAllSum(graph.ConvertDType(out, dtypes.Float32))
			if total == nil {
				total = s
			} else {
				total = graph.Add(total, s)
			}
		}
		if chained {
			return graph.ReduceAllSum(graph.ConvertDType(y, dtypes.Float32))
		}
		return total
	}
	start := time.Now()
	err := setHostWeights(m.dev.Backend, c, build, x.Shape())
	m.phases.add(&m.phases.Weights, time.Since(start))
	if err != nil {
		c.Finalize()
		return nil, nil, err
	}
	e, err := mlctx.NewExec(m.dev.Backend, c.Reuse(), build)
	if err != nil {
		c.Finalize()
		return nil, nil, err
	}
	start = time.Now()
	err = e.PreCompile(x)
	m.phases.add(&m.phases.Compile, time.Since(start))
	if err != nil {
		e.Finalize()
		c.Finalize()
		return nil, nil, err
	}
	return e, c, nil
}

type gomlxPrepared struct {
	m      *GoMLXMeasurer
	row    tablefmt.Row
	depths [2]int
	x      *tensors.Tensor
	exec   [2]*mlctx.Exec
	vars   [2]*mlctx.Context // each depth's weights
}

// run executes one depth and waits for its result.
func (p *gomlxPrepared) run(i int) RunFunc {
	return func() error {
		out, err := p.exec[i].Exec(p.x)
		if err != nil {
			return err
		}
		_ = out[0].Value() // copies one scalar to the host: waits for the device
		out[0].FinalizeAll()
		return nil
	}
}

// Time measures the unit by differential stacking and fills in the row.
func (p *gomlxPrepared) Time(ctx context.Context) (tablefmt.Row, error) {
	start := time.Now()
	t, err := TimeDifferential(ctx, p.run(0), p.run(1), p.depths[0], p.depths[1], p.m.timing)
	p.m.phases.add(&p.m.phases.Timing, time.Since(start))
	if err != nil {
		return p.row, fmt.Errorf("measure %s: %w", p.row.Key(), err)
	}
	row := p.row
	row.MedianMS, row.SpreadMS, row.Samples, row.Noisy = t.Estimate, t.Spread(), t.N, t.Noisy
	if p.m.timing.Estimator == tablefmt.EstimatorMin {
		row.Floors = &tablefmt.Floors{Depths: p.depths, MS: t.Floors}
	}
	if row.MedianMS <= 0 {
		// Differences of noisy timings of a tiny unit can dip to zero or below.
		row.Note = fmt.Sprintf("differential estimate %.4g ms %s", row.MedianMS, clippedNote)
		row.MedianMS, row.Noisy = 0, true
	}
	return p.m.hdr.WithCounts(row)
}

// Close releases both executables, their weights and the input.
func (p *gomlxPrepared) Close() {
	for i, e := range p.exec {
		if e != nil {
			e.Finalize()
		}
		if p.vars[i] != nil {
			p.vars[i].Finalize()
		}
	}
	if p.x != nil {
		p.x.FinalizeAll()
	}
}
