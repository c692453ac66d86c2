package tablefmt

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

// A LUT exports as itself, and so does its CSV export read back.
func TestExportLUTRoundTrip(t *testing.T) {
	for name, src := range map[string][]byte{"tiny": []byte(tinyLUT), "synthetic": testtables.NViTSyntheticLUT()} {
		o, err := Decode(src, name, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var lut, csv bytes.Buffer
		if err := o.Export(&lut, FormatNViTLUT); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lut.Bytes(), src) {
			t.Errorf("%s: export differs from the source", name)
		}
		if err := o.Export(&csv, FormatCSV); err != nil {
			t.Fatal(err)
		}
		again, err := Decode(csv.Bytes(), name+".csv", OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lut.Reset()
		if err := again.Export(&lut, FormatNViTLUT); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lut.Bytes(), src) {
			t.Errorf("%s: LUT → CSV → LUT differs from the source", name)
		}
	}
}

// A decomposed table's grid is its attention × MLP rows; the validation
// block beside them (V 32 only) must not shrink the exported LUT to V 32.
// Where it was measured too, the entry is still 3.5 + 7.5 ms, not the
// block's 11.2 ms: the rule of Blocks, which the cost model follows.
func TestExportDecomposedTableIgnoresValidationBlocks(t *testing.T) {
	tab := Table{Rows: []Row{
		{Kind: KindAttn, EMB: 768, Heads: 12, QK: 64, V: 32, MedianMS: 3.5},
		{Kind: KindAttn, EMB: 768, Heads: 12, QK: 64, V: 64, MedianMS: 4},
		{Kind: KindMLP, EMB: 768, MLP: 3072, MedianMS: 7.5},
		{Kind: KindBlock, EMB: 768, Heads: 12, QK: 64, V: 32, MLP: 3072, MedianMS: 11.2},
	}}
	want := LUTGrid{EMB: []int{768}, Heads: []int{12}, QK: []int{64}, V: []int{32, 64}, MLP: []int{0, 3072}}
	if g := tab.LUTGrid(); !reflect.DeepEqual(g, want) {
		t.Errorf("grid %+v, want %+v", g, want)
	}
	var buf bytes.Buffer
	if err := tab.Export(&buf, FormatNViTLUT); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLUT(&buf, "out.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []LUTEntry{
		{768, blk(12, 64, 32, 0), 0.0035}, {768, blk(12, 64, 32, 3072), 0.011},
		{768, blk(12, 64, 64, 0), 0.004}, {768, blk(12, 64, 64, 3072), 0.0115},
	} {
		if s, ok := l.Lookup(e.EMB, e.Block); !ok || math.Abs(s-e.Seconds) > 1e-15 {
			t.Errorf("%+v: %v s (%v), want %v", e.Block, s, ok, e.Seconds)
		}
	}
	if len(l.Entries) != 4 {
		t.Errorf("%d entries, want 4", len(l.Entries))
	}
	// A table that does not cover its grid is refused, naming what is missing.
	tab.Rows = append(tab.Rows, Row{Kind: KindAttn, EMB: 384, Heads: 12, QK: 64, V: 64, MedianMS: 2})
	if err := tab.Export(&buf, FormatNViTLUT); err == nil || !strings.Contains(err.Error(), "mlp emb=384 mlp=3072") {
		t.Errorf("a table without MLP rows at EMB 384: %v", err)
	}
}

// A table of MLP rows alone has no block to give NViT's table.
func TestExportMLPOnlyTable(t *testing.T) {
	tab := Table{Rows: []Row{{Kind: KindMLP, EMB: 64, MLP: 128, MedianMS: 0.5}}}
	err := tab.Export(io.Discard, FormatNViTLUT)
	if err == nil || !strings.Contains(err.Error(), "no attn rows and no block rows") {
		t.Errorf("err %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	tab := testTable()
	path := filepath.Join(t.TempDir(), "t.jsonl")
	if err := tab.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, bad, err := ReadTable(path)
	if err != nil || len(bad) > 0 || !sameTable(got, tab) {
		t.Errorf("read back %+v, %v, %v", got, bad, err)
	}
	if err := tab.WriteFile(path); !errors.Is(err, os.ErrExist) {
		t.Errorf("over an existing file: %v", err)
	}
	other := filepath.Join(t.TempDir(), "bad.jsonl")
	tab.Rows = append(tab.Rows, Row{Kind: KindMLP, EMB: 8, MLP: 8, MedianMS: -1})
	if err := tab.WriteFile(other); err == nil {
		t.Error("an invalid row: no error")
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed WriteFile left its file: %v", err)
	}
}

func blk(heads, qk, v, mlp int) arch.Block { return arch.Block{Heads: heads, QK: qk, V: v, MLP: mlp} }
