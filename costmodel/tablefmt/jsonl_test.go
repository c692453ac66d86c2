package tablefmt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testTable() Table { return Table{Header: testHeader(), Rows: testRows()} }

func encodeTable(t testing.TB, tab Table) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tab.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameTable compares tables, headers by their JSON (time.Time values that
// read back equal need not be reflect.DeepEqual).
func sameTable(a, b Table) bool {
	ha, _ := json.Marshal(a.Header)
	hb, _ := json.Marshal(b.Header)
	return bytes.Equal(ha, hb) && reflect.DeepEqual(a.Rows, b.Rows)
}

func TestJSONLRoundTrip(t *testing.T) {
	want := testTable()
	data := encodeTable(t, want)
	if n := bytes.Count(data, []byte("\n")); n != len(want.Rows)+1 {
		t.Fatalf("%d lines, want %d", n, len(want.Rows)+1)
	}
	got, bad, err := Read(bytes.NewReader(data), "t.jsonl")
	if err != nil || len(bad) != 0 {
		t.Fatalf("Read: %v, %v", err, bad)
	}
	if !sameTable(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if r, ok := got.Lookup("mlp emb=64 mlp=128"); !ok || r.MedianMS != 0.5 {
		t.Errorf("Lookup = %+v, %v", r, ok)
	}
	if _, ok := got.Lookup("mlp emb=64 mlp=129"); ok {
		t.Error("Lookup found a row that is not there")
	}
}

// Floors and per-pass latencies ride along with a row: the combined passes
// of a resumed sweep need the floors, analyses of the passes their latencies.
func TestJSONLKeepsFloorsAndPasses(t *testing.T) {
	want := Table{Header: testHeader(), Rows: []Row{{Kind: KindMLP, EMB: 64, MLP: 128, MedianMS: 2.5, Samples: 6,
		Floors: &Floors{Depths: [2]int{1, 3}, MS: [2]float64{4.25, 9.25}}, PassesMS: []float64{2.5, 2.75, 3}}}}
	data := encodeTable(t, want)
	if !bytes.Contains(data, []byte(`"passes_ms":[2.5,2.75,3]`)) {
		t.Errorf("no passes_ms in\n%s", data)
	}
	got, bad, err := Read(bytes.NewReader(data), "t.jsonl")
	if err != nil || len(bad) != 0 {
		t.Fatalf("Read: %v, %v", err, bad)
	}
	if f := got.Rows[0].Floors; f == nil || *f != *want.Rows[0].Floors {
		t.Errorf("floors after a round trip: %+v, want %+v", f, want.Rows[0].Floors)
	}
	if !reflect.DeepEqual(got.Rows[0].PassesMS, want.Rows[0].PassesMS) {
		t.Errorf("passes after a round trip: %v, want %v", got.Rows[0].PassesMS, want.Rows[0].PassesMS)
	}
	// A row written before passes_ms existed reads without it.
	old := `{"nvitprof_table":1}` + "\n" + `{"kind":"mlp","emb":8,"mlp":8,"median_ms":1.5,"note":"floors of 2 passes (each: 1.5, 1.6 ms)"}` + "\n"
	if got, bad, err := Read(strings.NewReader(old), "old.jsonl"); err != nil || len(bad) != 0 || got.Rows[0].PassesMS != nil {
		t.Errorf("old row: %+v, %v, %v", got.Rows, bad, err)
	}
}

// A sweep killed mid-write leaves a last line without its end: every
// complete row reads, plus one syntax error naming the cut line.
func TestReadCutLastLine(t *testing.T) {
	data := encodeTable(t, testTable())
	whole := len(testRows())
	lastStart := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	for cut := lastStart + 1; cut < len(data)-1; cut++ {
		got, bad, err := Read(bytes.NewReader(data[:cut]), "cut.jsonl")
		if err != nil {
			t.Fatalf("cut at %d: fatal error %v", cut, err)
		}
		if len(got.Rows) != whole-1 || len(bad) != 1 {
			t.Fatalf("cut at %d: %d rows and %d errors, want %d and 1", cut, len(got.Rows), len(bad), whole-1)
		}
		if bad[0].Line != whole+1 || bad[0].File != "cut.jsonl" {
			t.Errorf("cut at %d: error at %s:%d, want cut.jsonl:%d", cut, bad[0].File, bad[0].Line, whole+1)
		}
		if !strings.HasPrefix(bad[0].Error(), "tablefmt: cut.jsonl:7: ") {
			t.Errorf("error text %q", bad[0].Error())
		}
	}
}

func TestReaderMalformed(t *testing.T) {
	hdr := `{"nvitprof_table":1,"device":"cpu","tokens":5}`
	good := `{"kind":"mlp","emb":8,"mlp":16,"median_ms":1,"spread_ms":0,"samples":3,"macs":0,"bytes":0}`
	for _, tc := range []struct {
		name  string
		input string
		fatal string   // expected fatal error, or ""
		bad   []string // expected syntax errors, in order
		rows  int
	}{
		{name: "empty file", input: "", fatal: "tablefmt: x.jsonl: empty table: no header line"},
		{name: "blank lines only", input: "\n  \n", fatal: "empty table"},
		{name: "row first", input: good + "\n", fatal: "tablefmt: x.jsonl:1: missing header: the first line must be a header"},
		{name: "not JSON", input: "kind,emb\n", fatal: "tablefmt: x.jsonl:1: invalid header (invalid character 'k'"},
		{name: "torn header", input: `{"nvitprof_table":1,"dev`, fatal: "x.jsonl:1: invalid header (unexpected end of JSON input)"},
		{name: "future version", input: `{"nvitprof_table":2}` + "\n", fatal: "x.jsonl:1: invalid header: unsupported table version 2 (this nvitprof reads version 1)"},
		{name: "header typo", input: `{"nvitprof_table":1,"dtpye":"f32"}` + "\n", fatal: `x.jsonl:1: invalid header: json: unknown field "dtpye"`},
		{name: "negative batch", input: `{"nvitprof_table":1,"batch":-4}` + "\n", fatal: "batch must not be negative, got -4"},
		{name: "header only", input: hdr + "\n"},
		{name: "blank lines and CRLF", input: "\n" + hdr + "\r\n\r\n" + good + "\r\n", rows: 1},
		{name: "negative latency", input: hdr + "\n" + strings.Replace(good, `"median_ms":1`, `"median_ms":-0.5`, 1) + "\n" + good,
			bad: []string{"tablefmt: x.jsonl:2: median_ms must be a non-negative number, got -0.5"}, rows: 1},
		{name: "unknown kind", input: hdr + "\n" + strings.Replace(good, `"mlp",`, `"ffn",`, 1),
			bad: []string{`tablefmt: x.jsonl:2: unknown kind "ffn" (want attn, mlp, block, rest or model)`}},
		{name: "impossible dims", input: hdr + "\n" + good + "\n" + strings.Replace(good, `"mlp":16`, `"mlp":0`, 1),
			bad: []string{"tablefmt: x.jsonl:3: mlp row: mlp must be positive, got 0"}, rows: 1},
		{name: "unknown field", input: hdr + "\n" + strings.Replace(good, `"emb"`, `"embd"`, 1),
			bad: []string{`x.jsonl:2: json: unknown field "embd"`}},
		{name: "wrong type", input: hdr + "\n" + strings.Replace(good, `"emb":8`, `"emb":"8"`, 1),
			bad: []string{"x.jsonl:2: json: cannot unmarshal string into Go struct field Row.emb of type int"}},
		{name: "two objects on a line", input: hdr + "\n" + good + good,
			bad: []string{"x.jsonl:2: trailing data after the JSON object"}},
		{name: "NaN", input: hdr + "\n" + strings.Replace(good, `"median_ms":1`, `"median_ms":NaN`, 1),
			bad: []string{"x.jsonl:2: invalid character 'N'"}},
		{name: "errors do not stop reading", input: hdr + "\n{\n" + good + "\n]\n" + good + "\n",
			bad: []string{"x.jsonl:2: unexpected EOF", "x.jsonl:4: invalid character ']'"}, rows: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, bad, err := Read(strings.NewReader(tc.input), "x.jsonl")
			if tc.fatal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fatal) {
					t.Fatalf("err = %v, want %q", err, tc.fatal)
				}
				var se *SyntaxError
				if strings.Contains(tc.fatal, ":1:") && !errors.As(err, &se) {
					t.Errorf("header error %T is not a *SyntaxError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("fatal error %v", err)
			}
			if len(tab.Rows) != tc.rows {
				t.Errorf("%d rows, want %d", len(tab.Rows), tc.rows)
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("syntax errors %v, want %q", bad, tc.bad)
			}
			for i, e := range bad {
				if !strings.Contains(e.Error(), tc.bad[i]) {
					t.Errorf("syntax error %d = %q, want %q", i, e, tc.bad[i])
				}
			}
		})
	}
}

func TestReaderScanAPI(t *testing.T) {
	data := encodeTable(t, testTable())
	data = append(data, "{oops\n"...)
	r := NewReader(bytes.NewReader(data), "t.jsonl")
	var rows, bad int
	for r.Scan() {
		if _, err := r.Row(); err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != 8 {
				t.Errorf("Row error %v, want a *SyntaxError at line 8", err)
			}
			bad++
			continue
		}
		rows++
	}
	if r.Err() != nil || rows != 6 || bad != 1 || r.Header().DeviceName != "test CPU" {
		t.Errorf("Err %v, rows %d, bad %d, header %+v", r.Err(), rows, bad, r.Header())
	}
}

// The package comment's example table is valid.
func TestDocExample(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if s, ok := strings.CutPrefix(l, "//\t{"); ok && !strings.Contains(s, "EMB_256") {
			lines = append(lines, "{"+s)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("found %d JSONL example lines in doc.go, want 2", len(lines))
	}
	tab, bad, err := Read(strings.NewReader(strings.Join(lines, "\n")), "doc.go")
	if err != nil || len(bad) > 0 || len(tab.Rows) != 1 {
		t.Fatalf("doc example: %v %v %d rows", err, bad, len(tab.Rows))
	}
	got, err := tab.Header.WithCounts(tab.Rows[0])
	if err != nil || !reflect.DeepEqual(got, tab.Rows[0]) {
		t.Errorf("doc example counts are not WithCounts': %+v vs %+v (%v)", tab.Rows[0], got, err)
	}
	// The doc shows what the Writer writes.
	var buf bytes.Buffer
	if err := tab.WriteJSONL(&buf); err != nil || buf.String() != strings.Join(lines, "\n")+"\n" {
		t.Errorf("Writer output differs from doc.go:\n%s", buf.String())
	}
}

func TestWriterFlushesEachRow(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 1<<16)
	w, err := NewWriter(bw, testHeader(), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range testRows() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(out.Bytes(), []byte("\n")); n != i+2 {
			t.Fatalf("after row %d the destination holds %d lines", i, n)
		}
	}
	if err := w.Write(Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: -1}); err == nil ||
		!strings.Contains(err.Error(), "tablefmt: write table: row mlp emb=8 mlp=8: median_ms") {
		t.Errorf("writing a bad row: %v", err)
	}
	if _, err := NewWriter(&out, Header{Batch: -1}, WriterOptions{}); err == nil {
		t.Error("NewWriter accepted an invalid header")
	}
}

func TestCreateAndResume(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.jsonl")
	rows := testRows()
	w, err := Create(path, testHeader(), WriterOptions{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[:3] {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, testHeader(), WriterOptions{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("Create over an existing table: %v", err)
	}
	complete, _ := os.ReadFile(path)

	// A torn last row is cut off, complete rows stay, appending continues.
	torn := append(append([]byte(nil), complete...), `{"kind":"mlp","emb":64,"ml`...)
	os.WriteFile(path, torn, 0o644)
	w, res, err := Resume(path, testHeader(), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Truncated != len(torn)-len(complete) || len(res.Table.Rows) != 3 || len(res.Skipped) != 0 {
		t.Errorf("Resume: truncated %d rows %d skipped %v", res.Truncated, len(res.Table.Rows), res.Skipped)
	}
	for _, r := range rows[3:] {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	tab, bad, err := ReadTable(path)
	if err != nil || len(bad) != 0 || !sameTable(tab, testTable()) {
		t.Fatalf("after resume: %v %v\n%+v", err, bad, tab)
	}

	// A complete last row without its newline is kept and terminated.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-1], 0o644)
	w, res, err = Resume(path, testHeader(), WriterOptions{})
	if err != nil || res.Truncated != 0 || len(res.Table.Rows) != len(rows) {
		t.Fatalf("Resume without final newline: %v, %+v", err, res)
	}
	w.Close()
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Errorf("file changed:\n%s\nwant\n%s", again, data)
	}

	// An incompatible run is refused and the file left alone.
	other := testHeader()
	other.DType = "bfloat16"
	if _, _, err := Resume(path, other, WriterOptions{}); err == nil ||
		!strings.Contains(err.Error(), `tablefmt: resume `+path+`: the file's header disagrees with this run's: dtype "float32" vs "bfloat16"`) {
		t.Errorf("Resume with another dtype: %v", err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Error("a refused Resume changed the file")
	}

	// A file that is not a table is refused and left alone.
	junk := filepath.Join(dir, "junk.jsonl")
	os.WriteFile(junk, []byte("a,b\n1,2\n"), 0o644)
	if _, _, err := Resume(junk, testHeader(), WriterOptions{}); err == nil || !strings.Contains(err.Error(), "junk.jsonl:1: invalid header") {
		t.Errorf("Resume of a CSV file: %v", err)
	}
	if again, _ := os.ReadFile(junk); string(again) != "a,b\n1,2\n" {
		t.Error("a refused Resume changed the file")
	}
}

func TestResumeNewOrTornHeader(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"missing":     "",
		"empty":       "",
		"torn header": `{"nvitprof_table":1,"devi`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if name != "missing" {
				os.WriteFile(path, []byte(content), 0o644)
			}
			w, res, err := Resume(path, testHeader(), WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Truncated != len(content) || len(res.Table.Rows) != 0 {
				t.Errorf("%+v", res)
			}
			w.Write(testRows()[0])
			w.Close()
			tab, bad, err := ReadTable(path)
			if err != nil || len(bad) != 0 || len(tab.Rows) != 1 || tab.Header.Batch != 2 {
				t.Errorf("%v %v %+v", err, bad, tab)
			}
		})
	}
}

// A new table in a directory that is not there is not "resumed".
func TestResumeInAMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodir", "t.jsonl")
	_, _, err := Resume(path, testHeader(), WriterOptions{})
	if err == nil || err.Error() != "tablefmt: create "+path+": no directory "+filepath.Dir(path) {
		t.Errorf("Resume: %v", err)
	}
}

func TestMerge(t *testing.T) {
	a := testTable()
	b := Table{Header: testHeader(), Rows: []Row{
		{Kind: KindMLP, EMB: 64, MLP: 128, MedianMS: 0.6},
		{Kind: KindMLP, EMB: 64, MLP: 512, MedianMS: 1},
	}}
	b.Header.Host = "elsewhere"
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != len(a.Rows)+1 || m.Rows[1].MedianMS != 0.6 || m.Rows[len(m.Rows)-1].MLP != 512 {
		t.Errorf("merged rows %+v", m.Rows)
	}
	b.Header.Tokens = 197
	if _, err := Merge(a, b); err == nil || err.Error() != "tablefmt: merge: table 2 disagrees with table 1: tokens 5 vs 197" {
		t.Errorf("Merge of incompatible tables: %v", err)
	}
}
