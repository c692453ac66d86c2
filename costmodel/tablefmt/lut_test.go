package tablefmt

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

// Small LUTs in the exact text Python's json.dumps writes for the same
// nested dicts (printed by python3): unordered keys, MLP_1, scientific and
// integral floats.
var pythonLUTs = []string{
	`{"EMB_64": {"QK_1_8": {"V_8": {"MLP_1": 1e-05, "MLP_32": 0.5, "MLP_64": 1.0}}, "QK_2_8": {"V_8": {"MLP_1": 0.0001, "MLP_32": 2.5e-06, "MLP_64": 12345678.9}}}, "EMB_128": {"QK_1_8": {"V_8": {"MLP_1": 0.1, "MLP_32": 1e+16, "MLP_64": 0.30000000000000004}}}}`,
	`{"EMB_768": {"QK_12_64": {"V_64": {"MLP_3072": 0.0123, "MLP_1": 0.004}, "V_32": {"MLP_3072": 0.011, "MLP_1": 0.0035}}}}`,
	`{}`,
}

func TestLUTByteIdentical(t *testing.T) {
	for _, src := range pythonLUTs {
		l, err := ReadLUT(strings.NewReader(src), "py.json")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := l.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != src {
			t.Errorf("write back differs:\n got %s\nwant %s", buf.String(), src)
		}
	}
	l, _ := ReadLUT(strings.NewReader(pythonLUTs[1]), "py.json")
	want := []LUTEntry{
		{768, arch.Block{Heads: 12, QK: 64, V: 64, MLP: 3072}, 0.0123},
		{768, arch.Block{Heads: 12, QK: 64, V: 64, MLP: 0}, 0.004},
		{768, arch.Block{Heads: 12, QK: 64, V: 32, MLP: 3072}, 0.011},
		{768, arch.Block{Heads: 12, QK: 64, V: 32, MLP: 0}, 0.0035},
	}
	if !reflect.DeepEqual(l.Entries, want) {
		t.Errorf("entries %+v\nwant %+v", l.Entries, want)
	}
	if s, ok := l.Lookup(768, arch.Block{Heads: 12, QK: 64, V: 32}); !ok || s != 0.0035 {
		t.Errorf("Lookup = %v, %v", s, ok)
	}
}

// The synthetic table in NViT's schema (package testtables) reads and
// writes back byte for byte, directly and through a table in ms, and its
// values are those of the analytic model it was generated from.
func TestNViTSyntheticFile(t *testing.T) {
	src := testtables.NViTSyntheticLUT()
	l, err := ReadLUT(bytes.NewReader(src), testtables.NViTSynthetic)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 9375 {
		t.Errorf("%d entries, want 9375", len(l.Entries))
	}
	g, full := l.Grid()
	if !full || !reflect.DeepEqual(g, NViTGrid()) {
		t.Errorf("grid %+v (full %v), want NViTGrid", g, full)
	}
	for _, i := range []int{0, 1, 24, 25, 9374} {
		e := l.Entries[i]
		if want := testtables.SyntheticSeconds(e.EMB, e.Block.Heads, e.Block.QK, e.Block.V, e.Block.MLP); e.Seconds != want {
			t.Errorf("entry %d %+v: want %v s", i, e, want)
		}
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), src) {
		t.Errorf("export is not byte-identical to the file (%d vs %d bytes)", buf.Len(), len(src))
	}

	// Through a table (ms) and back (s): every value is a multiple of 2⁻²³ s
	// and survives ×1e3 ÷1e3 exactly, so the export is byte-identical too.
	tab, err := l.Table(NViTV100Header())
	if err != nil {
		t.Fatal(err)
	}
	first := tab.Rows[0]
	if len(tab.Rows) != 9375 || first.Key() != "block emb=256 heads=1 qk=1 v=1 mlp=0" ||
		first.MedianMS != testtables.SyntheticSeconds(256, 1, 1, 1, 0)*1e3 || first.MACs == 0 {
		t.Errorf("first row %+v of %d", first, len(tab.Rows))
	}
	if !reflect.DeepEqual(tab.LUTGrid(), NViTGrid()) {
		t.Errorf("the table's grid %+v, want NViTGrid", tab.LUTGrid())
	}
	back, err := tab.LUT(NViTGrid())
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := back.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), src) {
		t.Error("LUT → table → LUT export is not byte-identical to the file")
	}
}

func TestLUTWriteRead(t *testing.T) {
	var l LUT
	for _, emb := range []int{192, 64} {
		for _, h := range []int{3, 1} {
			for _, m := range []int{0, 768, 100} {
				l.Entries = append(l.Entries, LUTEntry{emb, arch.Block{Heads: h, QK: 64, V: 32, MLP: m}, float64(emb*h+m) * 1e-6})
			}
		}
	}
	var buf bytes.Buffer
	l.WriteTo(&buf)
	path := filepath.Join(t.TempDir(), "latency_head.json")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, err := ReadLUTFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, l) {
		t.Errorf("read back %+v\nwant %+v", got, l)
	}
	if !strings.HasPrefix(buf.String(), `{"EMB_192": {"QK_3_64": {"V_32": {"MLP_1": 0.000576, "MLP_768": 0.001344, "MLP_100": 0.000676}}, "QK_1_64"`) {
		t.Errorf("text %s", buf.String())
	}
	for _, tc := range []struct {
		name string
		e    LUTEntry
		want string
	}{
		{"mlp 1", LUTEntry{8, arch.Block{Heads: 1, QK: 1, V: 1, MLP: 1}, 1}, "mlp 0 is written MLP_1, so mlp 1 cannot be"},
		{"no heads", LUTEntry{8, arch.Block{MLP: 8}, 1}, "has no NViT key"},
		{"negative", LUTEntry{8, arch.Block{Heads: 1, QK: 1, V: 1}, -1}, "EMB_8 → QK_1_1 → V_1 → MLP_1: latency -1 is not a non-negative number"},
		{"NaN", LUTEntry{8, arch.Block{Heads: 1, QK: 1, V: 1}, math.NaN()}, "latency NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LUT{Entries: []LUTEntry{tc.e}}.WriteTo(&buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	dup := LUT{Entries: []LUTEntry{l.Entries[0], l.Entries[0]}}
	if _, err := dup.WriteTo(&buf); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate entries: %v", err)
	}
}

func TestReadLUTMalformed(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"empty", ``, "tablefmt: read NViT LUT x.json (byte 0): unexpected end of input: want an object of EMB_e keys"},
		{"array", `[1]`, `want an object of EMB_e keys, got "["`},
		{"bad emb key", `{"EMB256": {}}`, `at EMB256 (byte 9): key "EMB256": want EMB_ followed by 1 positive integer(s) joined by _`},
		{"non-canonical", `{"EMB_0256": {}}`, `key "EMB_0256"`},
		{"zero heads", `{"EMB_8": {"QK_0_8": {}}}`, `at EMB_8 → QK_0_8`},
		{"qk key with one number", `{"EMB_8": {"QK_8": {}}}`, `key "QK_8": want QK_ followed by 2 positive integer(s)`},
		{"MLP_0", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_0": 1}}}}`, `key "MLP_0": NViT writes a block without MLP as MLP_1`},
		{"string value", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": "fast"}}}}`, `at EMB_8 → QK_1_8 → V_8 → MLP_1 (byte 45): want a number of seconds, got string "fast"`},
		{"null value", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": null}}}}`, `got null`},
		{"negative", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": -0.5}}}}`, `latency -0.5 is not a non-negative float64`},
		{"overflow", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 1e999}}}}`, `latency 1e999 is not a non-negative float64`},
		{"NaN", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": NaN}}}}`, `invalid character 'N'`},
		{"too deep", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": {"x": 1}}}}}`, `want a number of seconds, got "{"`},
		{"too shallow", `{"EMB_8": {"QK_1_8": {"V_8": 0.1}}}`, `at EMB_8 → QK_1_8 → V_8 (byte 32): want an object of MLP_m keys, got 0.1`},
		{"duplicate key", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 1, "MLP_1": 2}}}}`, `duplicate key "MLP_1"`},
		{"duplicate outer key", `{"EMB_8": {}, "EMB_8": {}}`, `duplicate key "EMB_8"`},
		{"cut", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 0.1, "MLP`, `unexpected EOF`},
		{"trailing", `{} {}`, `trailing data after the JSON object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLUT(strings.NewReader(tc.input), "x.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTableToLUTDecomposed(t *testing.T) {
	h := testHeader()
	g := LUTGrid{EMB: []int{64}, Heads: []int{1, 2}, QK: []int{8}, V: []int{8, 16}, MLP: []int{0, 32}}
	tab := Table{Header: h}
	for _, heads := range g.Heads {
		for _, v := range g.V {
			tab.Rows = append(tab.Rows, Row{Kind: KindAttn, EMB: 64, Heads: heads, QK: 8, V: v, MedianMS: float64(heads*v) / 8})
		}
	}
	tab.Rows = append(tab.Rows, Row{Kind: KindMLP, EMB: 64, MLP: 32, MedianMS: 1})
	// A decomposed table's validation block is not used, even where it was
	// measured: 4 + 1 ms, not 7 ms, as the cost model predicts it.
	tab.Rows = append(tab.Rows, Row{Kind: KindBlock, EMB: 64, Heads: 2, QK: 8, V: 16, MLP: 32, MedianMS: 7})
	l, err := tab.LUT(g)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l.WriteTo(&buf)
	want := `{"EMB_64": {"QK_1_8": {"V_8": {"MLP_1": 0.001, "MLP_32": 0.002}, "V_16": {"MLP_1": 0.002, "MLP_32": 0.003}}, ` +
		`"QK_2_8": {"V_8": {"MLP_1": 0.002, "MLP_32": 0.003}, "V_16": {"MLP_1": 0.004, "MLP_32": 0.005}}}}`
	if buf.String() != want {
		t.Errorf("LUT\n got %s\nwant %s", buf.String(), want)
	}
	if g2, full := l.Grid(); !full || !reflect.DeepEqual(g2, g) {
		t.Errorf("Grid() = %+v, %v", g2, full)
	}

	g.MLP = append(g.MLP, 64)
	g.Heads = append(g.Heads, 4)
	_, err = tab.LUT(g)
	wantErr := "tablefmt: table to NViT LUT: 10 of 18 grid points lack the attn or mlp rows that add up to them (the table is decomposed), " +
		"e.g. EMB_64 → QK_1_8 → V_8 → MLP_64 (needs mlp emb=64 mlp=64); EMB_64 → QK_1_8 → V_16 → MLP_64 (needs mlp emb=64 mlp=64); " +
		"EMB_64 → QK_2_8 → V_8 → MLP_64 (needs mlp emb=64 mlp=64)"
	if err == nil || err.Error() != wantErr {
		t.Errorf("missing rows:\n got %v\nwant %s", err, wantErr)
	}
	if _, err := tab.LUT(LUTGrid{EMB: []int{64}}); err == nil || !strings.Contains(err.Error(), "the grid has no heads values") {
		t.Errorf("empty axis: %v", err)
	}
}
