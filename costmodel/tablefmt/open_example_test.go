package tablefmt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func ExampleDetectFormat() {
	for _, data := range []string{
		`{"nvitprof_table":1,"device":"cpu","tokens":197}`,
		`{"EMB_768": {"QK_12_64": {"V_64": {"MLP_1": 0.004, "MLP_3072": 0.0123}}}}`,
		"kind,emb,mlp,median_ms\nmlp,768,3072,7.5\n",
	} {
		fmt.Println(tablefmt.DetectFormat([]byte(data)))
	}
	// Output:
	// jsonl
	// nvit-lut
	// csv
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "tablefmt-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "latency_head.json")
	lut := `{"EMB_768": {"QK_12_64": {"V_64": {"MLP_1": 0.004, "MLP_3072": 0.0123}}}}`
	if err := os.WriteFile(path, []byte(lut), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	// A LUT that is not NViT's released one says nothing of its device:
	// the options give its tokens and batch.
	t, err := tablefmt.Open(path, tablefmt.OpenOptions{Tokens: 197, Batch: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Format, t.Header.Summary())
	for _, r := range t.Rows {
		fmt.Printf("%s: %.4g ms\n", r.Key(), r.MedianMS)
	}

	// Options that cannot apply are the caller's mistake, an *OptionError.
	_, err = tablefmt.Open(path, tablefmt.OpenOptions{Tokens: -1})
	var oe *tablefmt.OptionError
	fmt.Println(errors.As(err, &oe), oe.Msg)
	// Output:
	// nvit-lut batch 64, 197 tokens, nvit-lut
	// block emb=768 heads=12 qk=64 v=64 mlp=0: 4 ms
	// block emb=768 heads=12 qk=64 v=64 mlp=3072: 12.3 ms
	// true tokens and batch must not be negative, got -1 and 0
}

func ExampleTable_Export() {
	// A table measured decomposed: attention and MLP sub-blocks.
	t := tablefmt.Table{Rows: []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 768, Heads: 12, QK: 64, V: 64, MedianMS: 4},
		{Kind: tablefmt.KindMLP, EMB: 768, MLP: 3072, MedianMS: 8.3},
	}}
	fmt.Printf("%+v\n", t.LUTGrid())
	if err := t.Export(os.Stdout, tablefmt.FormatNViTLUT); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {EMB:[768] Heads:[12] QK:[64] V:[64] MLP:[0 3072]}
	// {"EMB_768": {"QK_12_64": {"V_64": {"MLP_1": 0.004, "MLP_3072": 0.0123}}}}
}

func ExampleOpened_Duplicates() {
	// A CSV table where one configuration was measured twice, and a row
	// that cannot be a measurement.
	data := "kind,emb,mlp,median_ms\nmlp,64,128,0.5\nmlp,64,256,0.9\nmlp,64,128,0.6\n"
	t, err := tablefmt.Decode([]byte(data), "mlp.csv", tablefmt.OpenOptions{Tokens: 197})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range t.Duplicates() {
		fmt.Println(d)
	}
	r, _ := t.Lookup("mlp emb=64 mlp=128")
	fmt.Println("used:", r.MedianMS, "ms")

	_, err = tablefmt.Decode([]byte(data+"mlp,64,512,0\n"), "mlp.csv", tablefmt.OpenOptions{Tokens: 197})
	fmt.Println(err)
	// Output:
	// mlp emb=64 mlp=128 (mlp.csv:2, mlp.csv:4)
	// used: 0.6 ms
	// tablefmt: mlp.csv:5: median_ms is 0 in a row not flagged noisy: nothing runs in no time
}
