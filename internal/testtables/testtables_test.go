package testtables_test

import (
	"bytes"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func readSynthetic(t *testing.T) tablefmt.LUT {
	t.Helper()
	l, err := tablefmt.ReadLUT(bytes.NewReader(testtables.NViTSyntheticLUT()), testtables.NViTSynthetic)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lat is the synthetic file's latency of one configuration, in seconds.
type lat map[tablefmt.LUTEntry]float64

func index(l tablefmt.LUT) lat {
	m := lat{}
	for _, e := range l.Entries {
		k := e
		k.Seconds = 0
		m[k] = e.Seconds
	}
	return m
}

func (m lat) at(emb, h, qk, v, mlp int) float64 {
	return m[tablefmt.LUTEntry{EMB: emb, Block: arch.Block{Heads: h, QK: qk, V: v, MLP: mlp}}]
}

// The checked-in file is what gen.go writes from SyntheticSeconds today.
func TestSyntheticFileIsGenerated(t *testing.T) {
	var l tablefmt.LUT
	for _, e := range testtables.NViTSyntheticEntries() {
		l.Entries = append(l.Entries, tablefmt.LUTEntry{EMB: e.EMB,
			Block: arch.Block{Heads: e.Heads, QK: e.QK, V: e.V, MLP: e.MLP}, Seconds: e.Seconds})
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), testtables.NViTSyntheticLUT()) {
		t.Errorf("testdata/%s is stale: run go generate in internal/testtables", testtables.NViTSynthetic)
	}
}

// The file is on NViT's grid, in NViT's key order and text style, and
// round-trips byte for byte through the reader and writer, also via a
// table in milliseconds.
func TestSyntheticOnNViTGrid(t *testing.T) {
	src := testtables.NViTSyntheticLUT()
	l := readSynthetic(t)
	if len(l.Entries) != 9375 {
		t.Fatalf("%d entries, want 9375", len(l.Entries))
	}
	g, full := l.Grid()
	want := tablefmt.LUTGrid{EMB: []int{256, 512, 768}, Heads: []int{1, 3, 6, 9, 12},
		QK: []int{1, 16, 32, 48, 64}, V: []int{1, 16, 32, 48, 64}}
	for m := 0; m <= 3072; m += 128 {
		want.MLP = append(want.MLP, m)
	}
	if !full || !reflect.DeepEqual(g, want) || !reflect.DeepEqual(g, tablefmt.NViTGrid()) {
		t.Errorf("grid %+v (full %v), want NViT's %+v", g, full, want)
	}
	if !reflect.DeepEqual(want, tablefmt.LUTGrid{EMB: testtables.NViTEMB, Heads: testtables.NViTHeads,
		QK: testtables.NViTQK, V: testtables.NViTV, MLP: testtables.NViTMLP}) {
		t.Error("testtables' NViT axes differ from NViT's")
	}
	// Key order: EMB, heads, QK, V, MLP ascending, MLP fastest (as NViT's file).
	i := 0
	for _, e := range want.EMB {
		for _, h := range want.Heads {
			for _, qk := range want.QK {
				for _, v := range want.V {
					for _, m := range want.MLP {
						got := l.Entries[i]
						if got.EMB != e || got.Block != (arch.Block{Heads: h, QK: qk, V: v, MLP: m}) {
							t.Fatalf("entry %d is %+v, want emb %d heads %d qk %d v %d mlp %d", i, got, e, h, qk, v, m)
						}
						i++
					}
				}
			}
		}
	}
	// Text: json.dump's separators, QK_{H}_{qk} keys, no trailing newline.
	if !bytes.HasPrefix(src, []byte(`{"EMB_256": {"QK_1_1": {"V_1": {"MLP_1": 0.00`)) ||
		!bytes.HasSuffix(src, []byte(`}}}}`)) || !bytes.Contains(src, []byte(`}}, "QK_12_48": {"V_1": {"MLP_1": `)) ||
		!bytes.Contains(src, []byte(`}}}, "EMB_768": {"QK_1_1": `)) {
		t.Errorf("text does not look like NViT's: %.80s ... %.40s", src, src[len(src)-40:])
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), src) {
		t.Errorf("read → write is not byte-identical (%v)", err)
	}
	tab, err := l.Table(tablefmt.NViTV100Header())
	if err != nil {
		t.Fatal(err)
	}
	back, err := tab.LUT(tablefmt.NViTGrid())
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := back.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), src) {
		t.Errorf("LUT → table (ms) → LUT is not byte-identical (%v)", err)
	}
	// Values: multiples of 2⁻²³ s of V100-like size.
	lo, hi := math.Inf(1), 0.0
	for _, e := range l.Entries {
		if q := e.Seconds * (1 << 23); q != math.Trunc(q) {
			t.Fatalf("%+v: not a multiple of 2⁻²³ s", e)
		}
		lo, hi = min(lo, e.Seconds), max(hi, e.Seconds)
	}
	if lo < 0.006 || lo > 0.0075 || hi < 0.075 || hi > 0.09 {
		t.Errorf("latencies span %v..%v s, want about 6.8 ms..80 ms", lo, hi)
	}
}

// Attention and MLP add up: per EMB, the two-way additive fit over
// attention configurations × MLP widths (row mean + column mean − grand
// mean) is off by at most 1% (median 0.24%, max 0.79%; NViT's V100 file:
// median 0.21%, max 4.5%).
func TestSyntheticAdditive(t *testing.T) {
	m := index(readSynthetic(t))
	var errs []float64
	for _, e := range testtables.NViTEMB {
		var rows [][]float64
		for _, h := range testtables.NViTHeads {
			for _, qk := range testtables.NViTQK {
				for _, v := range testtables.NViTV {
					var row []float64
					for _, w := range testtables.NViTMLP {
						row = append(row, m.at(e, h, qk, v, w))
					}
					rows = append(rows, row)
				}
			}
		}
		rowMean := make([]float64, len(rows))
		colMean := make([]float64, len(rows[0]))
		grand := 0.0
		for i, row := range rows {
			for j, x := range row {
				rowMean[i] += x / float64(len(row))
				colMean[j] += x / float64(len(rows))
				grand += x / float64(len(rows)*len(row))
			}
		}
		for i, row := range rows {
			for j, x := range row {
				errs = append(errs, math.Abs(x-(rowMean[i]+colMean[j]-grand))/x)
			}
		}
	}
	slices.Sort(errs)
	med, worst := errs[len(errs)/2], errs[len(errs)-1]
	t.Logf("additive fit: median %.3f%%, max %.3f%% over %d entries", 100*med, 100*worst, len(errs))
	if med > 0.003 || worst > 0.01 {
		t.Errorf("additive fit off by median %.3f%%, max %.3f%%; want ≤ 0.3%%, ≤ 1%%", 100*med, 100*worst)
	}
}

// The table is non-monotone along QK as NViT's is: QK 48 → 64 gets faster
// with 1 or 3 heads (the kernel dip) at every EMB and V without MLP, and by
// at most 2.5%; heads and MLP widths never get faster.
func TestSyntheticNonMonotoneQK(t *testing.T) {
	m := index(readSynthetic(t))
	inversions, worst := 0, 0.0
	for _, e := range testtables.NViTEMB {
		for _, h := range testtables.NViTHeads {
			for _, v := range testtables.NViTV {
				for _, w := range testtables.NViTMLP {
					for i := 1; i < len(testtables.NViTQK); i++ {
						a, b := m.at(e, h, testtables.NViTQK[i-1], v, w), m.at(e, h, testtables.NViTQK[i], v, w)
						if b < a {
							inversions++
							worst = max(worst, (a-b)/a)
						}
					}
				}
				if h == 1 || h == 3 {
					if a, b := m.at(e, h, 48, v, 0), m.at(e, h, 64, v, 0); b >= a {
						t.Errorf("emb %d heads %d v %d, no MLP: QK 48 %v s, QK 64 %v s: no dip", e, h, v, a, b)
					}
				}
			}
		}
	}
	t.Logf("%d QK steps get faster, by at most %.2f%%", inversions, 100*worst)
	if inversions < 500 || worst > 0.025 {
		t.Errorf("%d QK inversions, worst %.2f%%; want ≥ 500, ≤ 2.5%%", inversions, 100*worst)
	}
	for _, e := range testtables.NViTEMB {
		for _, qk := range testtables.NViTQK {
			for _, v := range testtables.NViTV {
				for i := 1; i < len(testtables.NViTHeads); i++ {
					for _, w := range testtables.NViTMLP {
						if m.at(e, testtables.NViTHeads[i], qk, v, w) <= m.at(e, testtables.NViTHeads[i-1], qk, v, w) {
							t.Errorf("emb %d qk %d v %d mlp %d: heads %d not slower than %d", e, qk, v, w,
								testtables.NViTHeads[i], testtables.NViTHeads[i-1])
						}
					}
				}
				for _, h := range testtables.NViTHeads {
					for i := 1; i < len(testtables.NViTMLP); i++ {
						if m.at(e, h, qk, v, testtables.NViTMLP[i]) <= m.at(e, h, qk, v, testtables.NViTMLP[i-1]) {
							t.Errorf("emb %d heads %d qk %d v %d: mlp %d not slower than %d", e, h, qk, v,
								testtables.NViTMLP[i], testtables.NViTMLP[i-1])
						}
					}
				}
			}
		}
	}
}

// Path gives a private copy of a fixture, readable by the repository's
// readers.
func TestPath(t *testing.T) {
	p := testtables.Path(t, testtables.NViTSynthetic)
	l, err := tablefmt.ReadLUTFile(p)
	if err != nil || len(l.Entries) != 9375 {
		t.Fatalf("%s: %d entries, %v", p, len(l.Entries), err)
	}
	if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(testtables.NViTSyntheticLUT(), []byte(`{"EMB_256"`)) {
		t.Error("writing the copy changed the fixture")
	}
	b := testtables.NViTSyntheticLUT()
	b[0] = 'x'
	if testtables.NViTSyntheticLUT()[0] != '{' {
		t.Error("NViTSyntheticLUT returns the fixture itself, not a copy")
	}
}

// The recorded sweep tables read as tables with a header and rows.
func TestRecordedTables(t *testing.T) {
	for _, name := range []string{testtables.QuickCPU, testtables.DeiTCPU} {
		tab, bad, err := tablefmt.ReadTable(testtables.Path(t, name))
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v, %d bad lines", name, err, len(bad))
		}
		if tab.Header.DeviceKind != "cpu" || len(tab.Rows) == 0 {
			t.Errorf("%s: header %+v, %d rows", name, tab.Header, len(tab.Rows))
		}
		if !strings.HasPrefix(string(testtables.Bytes(t, name)), `{"nvitprof_table":`) {
			t.Errorf("%s does not start with a table header", name)
		}
	}
}
