package tablefmt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDuplicatesNameTheirLines(t *testing.T) {
	data := `{"nvitprof_table":1}` + "\n" +
		`{"kind":"mlp","emb":8,"mlp":16,"median_ms":1}` + "\n" +
		"\n" +
		`{"kind":"rest","emb":8,"median_ms":2}` + "\n" +
		`{"kind":"mlp","emb":8,"mlp":16,"median_ms":3}` + "\n" +
		`{"kind":"mlp","emb":8,"mlp":16,"median_ms":4}` + "\n"
	o, err := Decode([]byte(data), "t.jsonl", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := o.Duplicates()
	if len(d) != 1 || d[0].String() != "mlp emb=8 mlp=16 (t.jsonl:2, t.jsonl:5, t.jsonl:6)" {
		t.Errorf("duplicates %v", d)
	}
	if got := o.Table.Duplicates(); len(got) != 1 || got[0].String() != "mlp emb=8 mlp=16 (row 1, row 3, row 4)" {
		t.Errorf("duplicates of the table alone: %v", got)
	}
	if r, _ := o.Lookup("mlp emb=8 mlp=16"); r.MedianMS != 4 {
		t.Errorf("lookup kept %v ms, want the last row's 4", r.MedianMS)
	}

	csv := "# by hand\nkind,emb,mlp,median_ms\nmlp,8,16,1\nmlp,8,32,1\n\nmlp,8,16,2\n"
	o, err = Decode([]byte(csv), "t.csv", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := o.Duplicates(); len(d) != 1 || d[0].String() != "mlp emb=8 mlp=16 (t.csv:3, t.csv:6)" {
		t.Errorf("CSV duplicates %v", d)
	}
	if o, _ := Decode([]byte(tinyLUT), "l.json", OpenOptions{}); len(o.Duplicates()) != 0 {
		t.Errorf("a LUT has duplicates: %v", o.Duplicates())
	}
}

func TestMergeOpenedSaysWhatItKept(t *testing.T) {
	a, err := Decode([]byte(`{"nvitprof_table":1}`+"\n"+`{"kind":"rest","emb":8,"median_ms":1}`+"\n"+`{"kind":"rest","emb":16,"median_ms":2}`+"\n"), "a.jsonl", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode([]byte(`{"nvitprof_table":1}`+"\n"+`{"kind":"rest","emb":16,"median_ms":3}`+"\n"), "b.jsonl", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, d, err := MergeOpened(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 2 || m.Rows[1].MedianMS != 3 || len(d) != 1 || d[0].String() != "rest emb=16 (a.jsonl:3, b.jsonl:2)" {
		t.Errorf("merged %+v, duplicates %v", m.Rows, d)
	}
	b.Header.Batch = 4
	if _, _, err := MergeOpened(a, b); err == nil || !strings.Contains(err.Error(), "batch 0 vs 4") {
		t.Errorf("merge of other settings: %v", err)
	}
}

// WriteFile writes a new file whole, and never over an existing one.
func TestWriteFileIsNewAndWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.jsonl")
	tab := Table{Header: testHeader(), Rows: testRows()}
	if err := tab.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, bad, err := ReadTable(path)
	if err != nil || len(bad) > 0 || !sameTable(got, tab) {
		t.Fatalf("read back: %v %v", err, bad)
	}
	before, _ := os.ReadFile(path)
	err = Table{Header: testHeader()}.WriteFile(path)
	if !errors.Is(err, fs.ErrExist) || err.Error() != "tablefmt: write "+path+": file already exists" {
		t.Errorf("over an existing file: %v", err)
	}
	after, _ := os.ReadFile(path)
	bad2 := tab
	bad2.Rows = append(bad2.Rows, Row{Kind: "conv", EMB: 1})
	if err := bad2.WriteFile(filepath.Join(dir, "u.jsonl")); err == nil || !strings.Contains(err.Error(), `unknown kind "conv"`) {
		t.Errorf("a bad row: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if string(before) != string(after) || len(entries) != 1 {
		t.Errorf("the directory holds %d files, the table changed: %v", len(entries), string(before) != string(after))
	}
}
