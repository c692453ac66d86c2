package costmodel

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// smallTable has every component: attn, mlp, rest, a validation block and a model row.
func smallTable() tablefmt.Table {
	h := testHeader() // 32² image, 16² patches, 5 tokens, batch 2
	tab := tablefmt.Table{Header: h}
	for _, e := range []int{32, 64} {
		for _, hd := range []int{1, 2} {
			for _, qk := range []int{8, 16} {
				tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: hd, QK: qk, V: 16,
					MedianMS: 0.01 + trueLatency(h, e, arch.Block{Heads: hd, QK: qk, V: 16})})
			}
		}
		for _, m := range []int{64, 128, 256} {
			tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: trueLatency(h, e, arch.Block{MLP: m})})
		}
		tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindRest, EMB: e, MedianMS: 0.001 * float64(e)})
	}
	// One attn row missing (emb 64, heads 2, qk 16): filled from neighbours.
	tab.Rows = slicesDeleteKey(tab.Rows, "attn emb=64 heads=2 qk=16 v=16")
	tab.Rows = append(tab.Rows,
		tablefmt.Row{Kind: tablefmt.KindBlock, EMB: 48, Heads: 1, QK: 8, V: 16, MLP: 128, MedianMS: 0.2},
		tablefmt.Row{Kind: tablefmt.KindModel, Name: "tiny", EMB: 48, Dim: &arch.Dim{EMB: 48, Head: []int{2, 1}, QK: []int{16, 8}, V: []int{16, 16}, MLP: []int{128, 64}}, MedianMS: 0.5})
	return tab
}

func slicesDeleteKey(rows []tablefmt.Row, key string) []tablefmt.Row {
	var out []tablefmt.Row
	for _, r := range rows {
		if r.Key() != key {
			out = append(out, r)
		}
	}
	return out
}

func TestModelFileRoundTrip(t *testing.T) {
	tab := smallTable()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range ModelKinds() {
		m := mustFit(t, tab, k)
		var buf bytes.Buffer
		if err := m.Save(&buf); err != nil {
			t.Fatal(err)
		}
		got, err := Load(bytes.NewReader(buf.Bytes()), "m.json")
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if got.Kind() != k || got.Source().SHA256 != m.Source().SHA256 || got.Source().Rows != len(tab.Rows)-1 {
			t.Errorf("%s: source %+v", k, got.Source())
		}
		for range 300 {
			e := 20 + rng.IntN(60)
			b := arch.Block{Heads: rng.IntN(3), QK: 4 + rng.IntN(20), V: 4 + rng.IntN(20), MLP: rng.IntN(300)}
			if b.Heads == 0 {
				b.QK, b.V = 0, 0
			}
			want, errW := m.BlockMS(e, 5, b)
			have, errH := got.BlockMS(e, 5, b)
			if (errW == nil) != (errH == nil) || (errW == nil && want != have) {
				t.Fatalf("%s emb %d %+v: loaded %v (%v), fitted %v (%v)", k, e, b, have, errH, want, errW)
			}
		}
		var again bytes.Buffer
		got.Save(&again)
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Errorf("%s: second save differs", k)
		}
	}
}

func TestModelFileErrors(t *testing.T) {
	m := mustFit(t, smallTable(), ModelHW)
	var buf bytes.Buffer
	m.Save(&buf)
	good := buf.String()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "not a JSON model file"},
		{"truncated", good[:len(good)/2], "not a JSON model file"},
		{"a table", `{"nvitprof_table":1}`, "not a nvitprof model file"},
		{"old or new version", strings.Replace(good, `"nvitprof_model": 1`, `"nvitprof_model": 2`, 1), "version 2"},
		{"unknown kind", strings.Replace(good, `"kind": "hw"`, `"kind": "magic"`, 1), "unknown model kind"},
		{"unknown field", strings.Replace(good, `"kind": "hw"`, `"kind": "hw", "extra": 1`, 1), "unknown field"},
		{"negative coefficient", strings.Replace(good, `"coef": [`, `"coef": [-1,`, 1), "coefficients"},
		{"trailing", good + "{}", "after top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.in), "m.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "m.json") {
				t.Errorf("err %v, want one naming m.json and mentioning %q", err, tc.want)
			}
		})
	}
}

func FuzzLoadModel(f *testing.F) {
	for _, k := range ModelKinds() {
		m, err := Fit(mlpTable([]int{8, 16}, []int{4, 8}, func(e, m float64) float64 { return e + m }), FitOptions{Kind: k})
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		m.Save(&buf)
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"nvitprof_model":1,"kind":"nvit-interp","source":{"rows":1,"sha256":"","summary":"","header":{"nvitprof_table":1}},"components":[{"kind":"rest","axes":[{"name":"emb","values":[4]}],"values_ms":[1]}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Load(bytes.NewReader(in), "fuzz.json")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := m.Save(&out); err != nil {
			t.Fatalf("save what was loaded: %v", err)
		}
		again, err := Load(bytes.NewReader(out.Bytes()), "again.json")
		if err != nil {
			t.Fatalf("load what was saved: %v\n%s", err, out.Bytes())
		}
		var out2 bytes.Buffer
		again.Save(&out2)
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("second save differs:\n%s\n%s", out.Bytes(), out2.Bytes())
		}
	})
}

func TestEvalSmallTable(t *testing.T) {
	tab := smallTable()
	ev, err := Eval(tab, EvalOptions{Kind: ModelHW, Folds: 3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[tablefmt.Kind]Group{}
	for _, g := range ev.Groups {
		kinds[g.Kind] = g
	}
	if kinds[tablefmt.KindAttn].How != "k-fold" || kinds[tablefmt.KindBlock].How != "not fitted" || kinds[tablefmt.KindModel].How != "not fitted" {
		t.Errorf("groups %+v", ev.Groups)
	}
	if g := kinds[tablefmt.KindAttn]; g.Rows != 7 || g.N+g.Refused != 7 || len(g.Warnings) == 0 {
		t.Errorf("attn group %+v: want 7 rows and a warning about so few", g)
	}
	// The model row is predicted as blocks + rest of the full model.
	full := mustFit(t, tab, ModelHW)
	spec, _ := tab.Header.ModelSpec(tab.Rows[len(tab.Rows)-1])
	p, err := full.Latency(spec)
	if err != nil {
		t.Fatal(err)
	}
	var mr EvalRow
	for _, r := range ev.Rows {
		if r.Kind == tablefmt.KindModel {
			mr = r
		}
	}
	if float64(mr.PredictedMS) != p.TotalMS || !near(float64(mr.ErrPct), 100*(p.TotalMS-0.5)/0.5, 1e-12) {
		t.Errorf("model row %+v, want predicted %v", mr, p.TotalMS)
	}
	var text, csvOut bytes.Buffer
	if err := ev.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MAPE", "Spearman", "k-fold", "not fitted", "(1)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	if err := ev.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csvOut.String(), "\n"); n != len(ev.Rows)+1 {
		t.Errorf("csv has %d lines for %d rows", n, len(ev.Rows))
	}
}

// Block rows without heads (MLP-only blocks, qk = v = 0) stay off the qk and
// v axes: the block component's axes hold only measured widths, the model
// saves and loads (before, Load refused "axis qk: value 0 out of range"),
// predicts alike after the round trip, and an MLP-only block predicts its
// measured latency.
func TestBlockRowsWithoutHeadsRoundTrip(t *testing.T) {
	h := testHeader() // 5 tokens
	full := tablefmt.Table{Header: h}
	mlpOnly := tablefmt.Table{Header: h}
	for _, e := range []int{32, 64} {
		for _, mlp := range []int{64, 128} {
			r := tablefmt.Row{Kind: tablefmt.KindBlock, EMB: e, MLP: mlp, MedianMS: trueLatency(h, e, arch.Block{MLP: mlp})}
			full.Rows = append(full.Rows, r)
			mlpOnly.Rows = append(mlpOnly.Rows, r)
			for _, qk := range []int{8, 16} {
				b := arch.Block{Heads: 2, QK: qk, V: 16, MLP: mlp}
				full.Rows = append(full.Rows, tablefmt.Row{Kind: tablefmt.KindBlock, EMB: e, Heads: 2, QK: qk, V: 16, MLP: mlp,
					MedianMS: trueLatency(h, e, b)})
			}
		}
	}
	for _, tc := range []struct {
		name      string
		tab       tablefmt.Table
		qk, v     []float64 // the block component's qk and v axes
		queryable []arch.Block
	}{
		{"attention and MLP-only blocks", full, []float64{8, 16}, []float64{16}, []arch.Block{
			{MLP: 64}, {MLP: 128}, {Heads: 2, QK: 8, V: 16, MLP: 64}, {Heads: 2, QK: 16, V: 16, MLP: 128},
			{Heads: 2, QK: 12, V: 16, MLP: 96}}},
		{"MLP-only blocks only", mlpOnly, []float64{1}, []float64{1}, []arch.Block{{MLP: 64}, {MLP: 128}, {MLP: 96}}},
	} {
		for _, k := range ModelKinds() {
			m := mustFit(t, tc.tab, k)
			c := m.comps[tablefmt.KindBlock]
			if !slices.Equal(c.base.axes[2], tc.qk) || !slices.Equal(c.base.axes[3], tc.v) {
				t.Errorf("%s %s: qk axis %v, v axis %v, want %v and %v", tc.name, k, c.base.axes[2], c.base.axes[3], tc.qk, tc.v)
			}
			for _, r := range tc.tab.Rows {
				if r.Heads > 0 {
					continue
				}
				got, err := m.BlockMS(r.EMB, h.Tokens, r.Block())
				if err != nil || !near(got, r.MedianMS, 1e-9) {
					t.Errorf("%s %s: MLP-only block emb %d mlp %d: %v (%v), want the measured %v", tc.name, k, r.EMB, r.MLP, got, err, r.MedianMS)
				}
			}
			var buf bytes.Buffer
			if err := m.Save(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := Load(bytes.NewReader(buf.Bytes()), "m.json")
			if err != nil {
				t.Errorf("%s %s: %v", tc.name, k, err)
				continue
			}
			for _, e := range []int{32, 48, 64} {
				for _, b := range tc.queryable {
					want, errW := m.BlockMS(e, h.Tokens, b)
					have, errH := got.BlockMS(e, h.Tokens, b)
					if errW != nil || errH != nil || want != have {
						t.Errorf("%s %s emb %d %+v: loaded %v (%v), fitted %v (%v)", tc.name, k, e, b, have, errH, want, errW)
					}
				}
			}
		}
	}
}

// SaveFile replaces a model file whole, with mode 0644, and leaves no
// temporary file; a path it cannot write is an error naming it.
func TestSaveFileReplacesWhole(t *testing.T) {
	m := mustFit(t, smallTable(), ModelNViTInterp)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveFile(filepath.Join(path, "x.json")); err == nil || !strings.HasPrefix(err.Error(), "costmodel: save model: write ") {
		t.Errorf("save under a file: %v", err)
	}
	if err := m.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	st, _ := os.Stat(path)
	entries, _ := os.ReadDir(dir)
	if err != nil || got.Kind() != ModelNViTInterp || st.Mode().Perm() != 0o644 || len(entries) != 1 {
		t.Errorf("after SaveFile: %v, mode %v, %d files", err, st.Mode().Perm(), len(entries))
	}
}
