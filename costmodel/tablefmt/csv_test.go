package tablefmt

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestCSVRoundTrip(t *testing.T) {
	rows := testRows()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(buf.String(), "\n")
	if first != strings.Join(CSVColumns(), ",") {
		t.Errorf("column line %q", first)
	}
	got, err := ReadCSV(&buf, "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, rows)
	}
}

func TestReadHandMadeCSV(t *testing.T) {
	in := `# measured by hand
median_ms, kind ,emb,heads,qk,v,mlp
0.25,attn,768,12,64,64,
0.313, mlp, 768,,,,3072
1.5,model,,,,,
`
	_, err := ReadCSV(strings.NewReader(in), "hand.csv")
	if err == nil || err.Error() != "tablefmt: hand.csv:5: model row: dim is missing" {
		t.Fatalf("err = %v", err)
	}
	in = strings.Replace(in, "1.5,model,,,,,", "", 1)
	rows, err := ReadCSV(strings.NewReader(in), "hand.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Kind: KindAttn, EMB: 768, Heads: 12, QK: 64, V: 64, MedianMS: 0.25},
		{Kind: KindMLP, EMB: 768, MLP: 3072, MedianMS: 0.313},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %+v\nwant %+v", rows, want)
	}
	// A model row's emb comes from its dim when the column is empty.
	rows, err = ReadCSV(strings.NewReader("kind,median_ms,dim\nmodel,2,\"{\"\"EMB\"\":8,\"\"head\"\":[1],\"\"QK\"\":[8],\"\"V\"\":[8],\"\"MLP\"\":[16]}\"\n"), "m.csv")
	if err != nil || len(rows) != 1 || rows[0].EMB != 8 {
		t.Errorf("model row: %+v, %v", rows, err)
	}
}

func TestReadCSVMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"empty", "", "tablefmt: x.csv: empty CSV: want a line of column names (kind,name,emb,"},
		{"unknown column", "kind,median_ms,latency\n", `tablefmt: x.csv:1: unknown column "latency"`},
		{"duplicate column", "kind,median_ms,kind\n", `tablefmt: x.csv:1: column "kind" appears twice`},
		{"missing median", "kind,emb\nmlp,8\n", `tablefmt: x.csv:1: missing column "median_ms"`},
		{"bad number", "kind,emb,mlp,median_ms\nmlp,8,16,fast\n", `tablefmt: x.csv:2: column median_ms: "fast" is not a number`},
		{"bad integer", "kind,emb,mlp,median_ms\nmlp,8,16.5,1\n", `tablefmt: x.csv:2: column mlp: "16.5" is not an integer`},
		{"bad bool", "kind,emb,mlp,median_ms,noisy\nmlp,8,16,1,maybe\n", `x.csv:2: column noisy: "maybe" is not true or false`},
		{"NaN", "kind,emb,mlp,median_ms\nmlp,8,16,NaN\n", "x.csv:2: median_ms must be a non-negative number, got NaN"},
		{"negative", "kind,emb,mlp,median_ms\nmlp,8,16,-2\n", "x.csv:2: median_ms must be a non-negative number, got -2"},
		{"unknown kind", "kind,emb,median_ms\nconv,8,1\n", `x.csv:2: unknown kind "conv"`},
		{"ragged", "kind,emb,mlp,median_ms\nmlp,8,16\n", "tablefmt: x.csv:2: wrong number of fields: want 4, one per column"},
		{"bare quote", "kind,median_ms\nmlp,1\"x\n", `tablefmt: x.csv:2: column 6: bare " in non-quoted-field`},
		{"long unknown column", "kind,median_ms," + strings.Repeat("\x8f", 300) + "\n", `tablefmt: x.csv:1: unknown column "\x8f\x8f\x8f\x8f\x8f\x8f\x8f\x8f\x8f\x8f..." (field 3; columns:`},
		{"long cell", "kind,emb,mlp,median_ms\nmlp,8,16," + strings.Repeat("z", 600) + "\n", `column median_ms: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz..." is not a number`},
		{"zero", "kind,emb,mlp,median_ms\nmlp,8,16,0\n", "x.csv:2: median_ms is 0 in a row not flagged noisy"},
		{"absurd", "kind,emb,mlp,median_ms\nmlp,8,16,1e300\n", "x.csv:2: median_ms 1e+300 is not a plausible latency: above 1e+07 ms"},
		{"infinite", "kind,emb,mlp,median_ms\nmlp,8,16,inf\n", "x.csv:2: median_ms must be a non-negative number, got +Inf"},
		{"bad dim", "kind,median_ms,dim\nmodel,1,{}x\n", "x.csv:2: column dim: trailing data after the JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.input), "x.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// CSV carries latencies, not how passes made them: floors and per-pass
// latencies stay in the JSON Lines table.
func TestCSVLeavesPassDetailsOut(t *testing.T) {
	r := Row{Kind: KindMLP, EMB: 64, MLP: 128, MedianMS: 2.5, Samples: 6,
		Floors: &Floors{Depths: [2]int{1, 3}, MS: [2]float64{4.25, 9.25}}, PassesMS: []float64{2.5, 2.75}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Row{r}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(&buf, "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Floors, want.PassesMS = nil, nil
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("read %+v, want %+v", got, want)
	}
}
