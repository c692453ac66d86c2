package tablefmt

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Round-trip fuzzers, after encoding/csv's FuzzRoundtrip: parse, skip what
// does not parse, write, parse again, compare.

func FuzzReadJSONL(f *testing.F) {
	data := encodeTable(f, testTable())
	f.Add(data)
	f.Add(data[:len(data)-9])
	f.Add([]byte(`{"nvitprof_table":1}` + "\n" + `{"kind":"block","emb":8,"mlp":8,"median_ms":1e-3}`))
	f.Add([]byte(`{"nvitprof_table":1}` + "\n" + `{"kind":"mlp","emb":8,"mlp":8,"median_ms":1.5,"floors":{"depths":[1,3],"ms":[1,4]}}`))
	f.Add([]byte(`{"nvitprof_table":1}` + "\n" + `{"kind":"mlp","emb":8,"mlp":8,"median_ms":1.5,"passes_ms":[1.5,1.75]}`))
	f.Add([]byte(`{"nvitprof_table":1,"time":"2026-01-02T03:04:05.123+05:30","notes":["\u00e9"]}` + "\r\n\n{]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, _, err := Read(bytes.NewReader(in), "fuzz.jsonl")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := tab.WriteJSONL(&out); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, bad, err := Read(&out, "again.jsonl")
		if err != nil || len(bad) > 0 {
			t.Fatalf("read what was written: %v %v\n%s", err, bad, out.Bytes())
		}
		if !sameTable(tab, again) {
			t.Fatalf("round trip changed the table:\n%+v\n%+v", tab, again)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	var buf bytes.Buffer
	WriteCSV(&buf, testRows())
	f.Add(buf.String())
	f.Add("# c\nmedian_ms,kind,emb,mlp,note\n0x1p-2,mlp,+8,16,\"a\r\nb\"\n")
	f.Add("kind,median_ms,dim\nmodel,2,\"{\"\"EMB\"\":8,\"\"head\"\":[1],\"\"QK\"\":[8],\"\"V\"\":[8],\"\"MLP\"\":[16]}\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteCSV(&out, rows); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, err := ReadCSV(&out, "again.csv")
		if err != nil {
			t.Fatalf("read what was written: %v\n%q", err, out.String())
		}
		if len(rows) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(rows, again) {
			t.Fatalf("round trip changed the rows:\n%+v\n%+v", rows, again)
		}
	})
}

func FuzzReadLUT(f *testing.F) {
	for _, s := range pythonLUTs {
		f.Add(s)
	}
	f.Add(`{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 0.1, "MLP`)
	f.Add(`{"EMB_8":{"QK_1_8":{"V_8":{"MLP_1":1,"MLP_2":2E2}},"QK_3_8":{}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		l, err := ReadLUT(strings.NewReader(in), "fuzz.json")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := l.WriteTo(&out); err != nil {
			t.Fatalf("write what was read: %v", err)
		}
		again, err := ReadLUT(bytes.NewReader(out.Bytes()), "again.json")
		if err != nil {
			t.Fatalf("read what was written: %v\n%s", err, out.Bytes())
		}
		if len(l.Entries) == 0 && len(again.Entries) == 0 {
			return
		}
		if !reflect.DeepEqual(l, again) {
			t.Fatalf("round trip changed the LUT:\n%+v\n%+v", l, again)
		}
		var out2 bytes.Buffer
		again.WriteTo(&out2)
		if !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("second write differs:\n%s\n%s", out.Bytes(), out2.Bytes())
		}
	})
}
