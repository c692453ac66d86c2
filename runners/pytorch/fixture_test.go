package pytorch

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nlpodyssey/safetensors"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/arch/blocks"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixturePath holds arch/blocks' outputs on fixed inputs and weights, for
// test_runner.py to hold the PyTorch runner's modules to.
var fixturePath = filepath.Join("testdata", "blocks.safetensors")

// fixtureCase is one unit of the fixture: "attn", "mlp" and "block" cases
// have emb and a block, "model" cases a spec. In the file, its tensors are
// NAME/input, NAME/output and NAME/PATH for each variable (blocks.Layout
// paths, e.g. NAME/attn/q/weights).
type fixtureCase struct {
	Name  string     `json:"name"`
	Kind  string     `json:"kind"`
	Batch int        `json:"batch"`
	EMB   int        `json:"emb,omitempty"`
	Block arch.Block `json:"block"`
	Spec  *arch.Spec `json:"spec,omitempty"`
}

func fixtureCases() []fixtureCase {
	tiny := arch.Spec{Image: 8, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: 12, Blocks: []arch.Block{
		{Heads: 1, QK: 2, V: 4, MLP: 24},
		{Heads: 3, QK: 4, V: 8, MLP: 0}, // no MLP
		{Heads: 0, MLP: 16},             // no attention
		{Heads: 2, QK: 4, V: 2, MLP: 8},
	}}
	distilled := tiny.Clone()
	distilled.ExtraTokens = 2
	return []fixtureCase{
		{Name: "attn_h2_qk4_v8", Kind: "attn", Batch: 2, EMB: 16, Block: arch.Block{Heads: 2, QK: 4, V: 8}},
		{Name: "attn_h3_qk8_v2", Kind: "attn", Batch: 2, EMB: 16, Block: arch.Block{Heads: 3, QK: 8, V: 2}},
		{Name: "mlp_32", Kind: "mlp", Batch: 2, EMB: 16, Block: arch.Block{MLP: 32}},
		{Name: "block_h2_qk4_v8_mlp24", Kind: "block", Batch: 2, EMB: 16, Block: arch.Block{Heads: 2, QK: 4, V: 8, MLP: 24}},
		{Name: "model_tiny", Kind: "model", Batch: 2, Spec: &tiny},
		{Name: "model_tiny_distilled", Kind: "model", Batch: 2, Spec: &distilled},
	}
}

const fixtureTokens = 5 // tokens of the attn, mlp and block cases

var testBackend backends.Backend

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	if testBackend == nil {
		if !slices.Contains(backends.List(), "go") {
			t.Fatalf("GoMLX backend \"go\" not registered (have %v)", backends.List())
		}
		b, err := backends.NewWithConfig("go:ops_sequential")
		if err != nil {
			t.Fatal(err)
		}
		testBackend = b
	}
	return testBackend
}

// TestBlocksFixture computes every case with arch/blocks and compares with
// the fixture (with -update, writes it): the fixture is what GoMLX computes
// today, so the PyTorch test cannot pass against stale outputs.
func TestBlocksFixture(t *testing.T) {
	got := map[string][]float32{}
	shapes := map[string][]int{}
	for i, c := range fixtureCases() {
		computeCase(t, c, uint64(i), got, shapes)
	}
	cases, _ := json.Marshal(fixtureCases())
	if *update {
		if err := writeFixture(fixturePath, got, shapes, map[string]string{"cases": string(cases)}); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, wantShapes, md, err := readFixture(fixturePath)
	if err != nil {
		t.Fatalf("%v (go test ./runners/pytorch -run TestBlocksFixture -update writes it)", err)
	}
	if md["cases"] != string(cases) {
		t.Errorf("fixture's cases %s, want %s (rerun with -update)", md["cases"], cases)
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("%s: missing from the fixture (rerun with -update)", name)
		case !slices.Equal(wantShapes[name], shapes[name]):
			t.Errorf("%s: fixture shape %v, computed %v", name, wantShapes[name], shapes[name])
		case strings.HasSuffix(name, "/output"):
			// Outputs may differ in the last bits between platforms (fused multiply-adds).
			if e := relErr(got[name], w); e > 1e-6 {
				t.Errorf("%s: relative difference %.3g from the fixture", name, e)
			}
		case !slices.Equal(got[name], w):
			t.Errorf("%s: inputs and weights differ from the fixture (rerun with -update)", name)
		}
	}
	if len(want) != len(got) {
		t.Errorf("fixture has %d tensors, the cases %d", len(want), len(got))
	}
}

// computeCase builds c with arch/blocks, sets its variables to seeded random
// values, runs it and adds input, variables and output to vals.
func computeCase(t *testing.T, c fixtureCase, seed uint64, vals map[string][]float32, shapes map[string][]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	var dims []int
	var build func(*context.Context, *graph.Node) *graph.Node
	switch c.Kind {
	case "attn":
		dims = []int{c.Batch, fixtureTokens, c.EMB}
		build = func(ctx *context.Context, x *graph.Node) *graph.Node { return blocks.Attention(ctx, x, c.EMB, c.Block) }
	case "mlp":
		dims = []int{c.Batch, fixtureTokens, c.EMB}
		build = func(ctx *context.Context, x *graph.Node) *graph.Node { return blocks.MLP(ctx, x, c.EMB, c.Block.MLP) }
	case "block":
		dims = []int{c.Batch, fixtureTokens, c.EMB}
		build = func(ctx *context.Context, x *graph.Node) *graph.Node { return blocks.Block(ctx, x, c.EMB, c.Block) }
	case "model":
		s := *c.Spec
		dims = []int{c.Batch, s.Channels, s.Image, s.Image}
		build = func(ctx *context.Context, x *graph.Node) *graph.Node { return blocks.Model(ctx, x, s) }
	default:
		t.Fatalf("case %s: kind %q", c.Name, c.Kind)
	}
	input := normals(rng, product(dims), 0.3, 1)
	ctx := context.New()
	exec, err := context.NewExec(goBackend(t), ctx, build)
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	x := tensors.FromFlatDataAndDimensions(input, dims...)
	if _, err := exec.Exec1(x); err != nil { // creates the variables
		t.Fatalf("case %s: %v", c.Name, err)
	}
	for _, v := range variables(ctx) {
		path := strings.TrimPrefix(strings.TrimSuffix(v.Scope(), "/")+"/"+v.Name(), "/") // the root scope is "/"
		vs := randomValues(rng, v.Name(), v.Scope(), v.Shape().Dimensions)
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vs, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		vals[c.Name+"/"+path], shapes[c.Name+"/"+path] = vs, slices.Clone(v.Shape().Dimensions)
	}
	y, err := exec.Exec1(x)
	if err != nil {
		t.Fatalf("case %s: %v", c.Name, err)
	}
	out := tensors.MustCopyFlatData[float32](y)
	if c.Kind != "model" && relErr(out, input) < 0.1 {
		// The residual must not hide the sub-block from the comparison.
		t.Fatalf("case %s: output within 10%% of the input", c.Name)
	}
	vals[c.Name+"/input"], shapes[c.Name+"/input"] = input, dims
	vals[c.Name+"/output"], shapes[c.Name+"/output"] = out, slices.Clone(y.Shape().Dimensions)
}

// variables are ctx's trainable variables sorted by scope and name, so that
// the random values they get do not depend on creation order.
func variables(ctx *context.Context) []*context.Variable {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable {
			vars = append(vars, v)
		}
	}
	slices.SortFunc(vars, func(a, b *context.Variable) int { return strings.Compare(a.ScopeAndName(), b.ScopeAndName()) })
	return vars
}

// randomValues are values of a scale that makes every part matter (DeiT's
// zero biases and unit norms would leave them untested, and std-0.02
// weights a near-uniform softmax), as arch/blocks' own tests use.
func randomValues(rng *rand.Rand, name, scope string, dims []int) []float32 {
	n := product(dims)
	switch name {
	case blocks.VarScale:
		return normals(rng, n, 1, 0.3)
	case blocks.VarOffset, blocks.VarBiases:
		return normals(rng, n, 0, 0.2)
	case blocks.VarWeights:
		fanIn := dims[0]
		if strings.HasSuffix(scope, "/"+blocks.ScopeProj) {
			fanIn *= dims[1] // [heads, v, emb]
		}
		return normals(rng, n, 0, 1.5/math.Sqrt(float64(fanIn)))
	}
	return normals(rng, n, 0, 0.5) // tokens, position embedding
}

func normals(rng *rand.Rand, n int, mean, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(mean + std*rng.NormFloat64())
	}
	return v
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// relErr is max|got−want| / max|want|.
func relErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range got {
		diff = max(diff, math.Abs(float64(got[i])-float64(want[i])))
		scale = max(scale, math.Abs(float64(want[i])))
	}
	return diff / scale
}

func writeFixture(path string, vals map[string][]float32, shapes map[string][]int, md map[string]string) error {
	views := map[string]safetensors.TensorView{}
	for name, v := range vals {
		raw := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		shape := make([]uint64, len(shapes[name]))
		for i, d := range shapes[name] {
			shape[i] = uint64(d)
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		views[name] = tv
	}
	var buf bytes.Buffer
	if err := safetensors.SerializeToWriter(views, md, &buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func readFixture(path string) (map[string][]float32, map[string][]int, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	_, meta, err := safetensors.ReadMetadata(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	vals, shapes := map[string][]float32{}, map[string][]int{}
	for _, nv := range st.Tensors() {
		if nv.TensorView.DType() != safetensors.F32 {
			return nil, nil, nil, fmt.Errorf("%s: tensor %s is %s, want F32", path, nv.Name, nv.TensorView.DType())
		}
		raw := nv.TensorView.Data()
		v := make([]float32, len(raw)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		vals[nv.Name] = v
		for _, d := range nv.TensorView.Shape() {
			shapes[nv.Name] = append(shapes[nv.Name], int(d))
		}
	}
	return vals, shapes, meta.Metadata(), nil
}
