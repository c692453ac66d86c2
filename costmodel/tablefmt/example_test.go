package tablefmt_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func ExampleNewWriter() {
	h := tablefmt.Header{Device: "cpu", DeviceKind: "cpu", Runtime: "gomlx", Backend: "go",
		DType: "float32", Batch: 1, Tokens: 197, Method: tablefmt.Method{Name: "differential", Depths: []int{2, 10}}}
	w, err := tablefmt.NewWriter(os.Stdout, h, tablefmt.WriterOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	row, _ := h.WithCounts(tablefmt.Row{Kind: tablefmt.KindAttn, EMB: 192, Heads: 3, QK: 64, V: 64, MedianMS: 0.044, SpreadMS: 0.002, Samples: 20})
	if err := w.Write(row); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"nvitprof_table":1,"device":"cpu","device_kind":"cpu","runtime":"gomlx","backend":"go","dtype":"float32","batch":1,"tokens":197,"method":{"name":"differential","depths":[2,10]}}
	// {"kind":"attn","emb":192,"heads":3,"qk":64,"v":64,"median_ms":0.044,"spread_ms":0.002,"samples":20,"macs":43951488,"bytes":2584920}
}

func ExampleReader() {
	table := `{"nvitprof_table":1,"device":"cpu","tokens":197}
{"kind":"mlp","emb":192,"mlp":768,"median_ms":0.05,"spread_ms":0.001,"samples":20,"macs":0,"bytes":0}
{"kind":"mlp","emb":192,"mlp":512,"median_ms":-0.01,"spread_ms":0,"samples":20,"macs":0,"bytes":0}
{"kind":"mlp","emb":192,"mlp":256,"med`
	r := tablefmt.NewReader(strings.NewReader(table), "sweep.jsonl")
	for r.Scan() {
		row, err := r.Row()
		if err != nil {
			fmt.Println("skipped:", err)
			continue
		}
		fmt.Println(row.Key(), row.MedianMS, "ms")
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("device:", r.Header().Device)
	// Output:
	// mlp emb=192 mlp=768 0.05 ms
	// skipped: tablefmt: sweep.jsonl:3: median_ms must be a non-negative number, got -0.01
	// skipped: tablefmt: sweep.jsonl:4: unexpected EOF
	// device: cpu
}
