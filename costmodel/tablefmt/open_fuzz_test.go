package tablefmt

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode reads anything as Open would, then writes what it read in the
// format it detected, reads that again with the same options and compares:
// detection, every format's reader and Export agree. Values of a LUT go
// through milliseconds and back, so they compare within rounding.
func FuzzDecode(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, in time quadratic
	// in its length.
	for _, seed := range [][]byte{
		[]byte(`{"nvitprof_table":1,"tokens":5}` + "\n" + `{"kind":"mlp","emb":8,"mlp":8,"median_ms":1}` + "\n{]\n"),
		[]byte("\ufeff" + `{"nvitprof_table":1}` + "\r\n" + `{"kind":"rest","emb":8,"median_ms":0.5}`),
		[]byte("kind,name,emb,heads,qk,v,mlp,dim,median_ms\nattn,,8,1,8,8,0,,0.25\nmodel,m,8,0,0,0,0,\"{\"\"EMB\"\":8,\"\"head\"\":[1],\"\"QK\"\":[8],\"\"V\"\":[8],\"\"MLP\"\":[16]}\",2\n"),
		[]byte("kind,emb,mlp,median_ms\nmlp,64,128,0.5\n"),
		[]byte(tinyLUT),
		[]byte(`{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 0.1}}}}`),
	} {
		f.Add(seed, uint8(0), uint8(0))
	}
	f.Add([]byte(tinyLUT), uint8(197), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, tokens, batch uint8) {
		opt := OpenOptions{Tokens: int(tokens), Batch: int(batch)}
		o, err := Decode(data, "fuzz", opt)
		if err != nil {
			return
		}
		if o.Format != DetectFormat(data) {
			t.Fatalf("read as %s, detected as %s", o.Format, DetectFormat(data))
		}
		if o.Format == FormatNViTLUT && o.LUTGrid().Size() != len(o.Rows) {
			return // a LUT that is not a full grid cannot be written from rows
		}
		var out bytes.Buffer
		if err := o.Export(&out, o.Format); err != nil {
			t.Fatalf("export what was read as %s: %v", o.Format, err)
		}
		again, err := Decode(out.Bytes(), "fuzz", opt)
		if err != nil {
			t.Fatalf("read what was exported as %s: %v\n%s", o.Format, err, out.Bytes())
		}
		if again.Format != o.Format || len(again.Skipped) > 0 {
			t.Fatalf("exported as %s, read back as %s with %d lines skipped", o.Format, again.Format, len(again.Skipped))
		}
		switch o.Format {
		case FormatNViTLUT:
			if !sameLUTRows(o.Table, again.Table) {
				t.Fatalf("LUT round trip changed the rows:\n%+v\n%+v", o.Rows, again.Rows)
			}
		case FormatCSV:
			if !reflect.DeepEqual(o.Table, again.Table) {
				t.Fatalf("CSV round trip changed the table:\n%+v\n%+v", o.Table, again.Table)
			}
		default:
			if !sameTable(o.Table, again.Table) {
				t.Fatalf("JSONL round trip changed the table:\n%+v\n%+v", o.Table, again.Table)
			}
		}
	})
}

// sameLUTRows compares the rows of two tables read from LUTs, by key (a
// LUT written from rows is in grid order), latencies within rounding.
func sameLUTRows(a, b Table) bool {
	if len(a.Rows) != len(b.Rows) || !reflect.DeepEqual(a.Header, b.Header) {
		return false
	}
	bi := b.Index()
	for _, r := range a.Rows {
		o, ok := bi[r.Key()]
		if !ok || math.Abs(o.MedianMS-r.MedianMS) > 1e-12*math.Abs(r.MedianMS) {
			return false
		}
		o.MedianMS = r.MedianMS
		if !reflect.DeepEqual(o, r) {
			return false
		}
	}
	return true
}

// FuzzDecodeErrorsAreOneShortLine: whatever a file holds, an error reading
// it is one line that quotes little of it (the CLI prints it as is).
func FuzzDecodeErrorsAreOneShortLine(f *testing.F) {
	for _, seed := range []string{
		"", "\x8f\x01\xfe,\x00kind\n\x02", `{"nvitprof_model": 1}`, "kind,median_ms,latency\n",
		"kind,emb,mlp,median_ms\nmlp,8,16,fast\n", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 0}}}}`,
		`{"nvitprof_table":1}` + "\n" + `{"kind":"rest","emb":8,"median_ms":1e300}` + "\n",
		`{"nvitprof_table":1,"devicee":"x"}`, `{"EMB_8": {"QK_x": 1}}`,
	} {
		f.Add([]byte(seed))
	}
	// What a corrupt file can make any length: fields, kinds, keys, numbers.
	long := strings.Repeat("x", 600)
	for _, seed := range []string{
		`{"nvitprof_table":1,"` + long + `":1}`,
		`{"nvitprof_table":1}` + "\n" + `{"kind":"` + long + `","emb":8,"median_ms":1}` + "\n",
		`{"nvitprof_table":1,"method":{"estimator":"` + long + `"}}`,
		`{"EMB_8": {"QK_` + long + `": 1}}`,
		`{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 1` + strings.Repeat("0", 600) + `}}}}`,
		"kind,median_ms,dim\nmodel,1,\"{\"\"" + long + "\"\":1}\"\n",
		"kind,median_ms\n" + long + ",1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Decode(data, "fuzz", OpenOptions{})
		if err == nil {
			return
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > maxErrorLen {
			t.Fatalf("%d bytes of error, or several lines: %q", len(msg), msg)
		}
	})
}

// maxErrorLen bounds an error message about a file's content: its own
// words, the file's name and a few short excerpts.
const maxErrorLen = 400
