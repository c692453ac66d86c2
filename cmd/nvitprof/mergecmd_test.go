package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func TestMergeShardsAndRefuseMismatch(t *testing.T) {
	dir := t.TempDir()
	base := []string{"sweep", "--device", "cpu", "--preset", "quick", "--emb", "64", "--heads", "1,2", "--qk", "8",
		"--v", "16", "--mlp", "64", "--validation", "0", "--models", "none", "--samples", "1", "--warmup", "0", "--quiet"}
	var shards []string
	for i := range 2 {
		out := filepath.Join(dir, "s"+string(rune('0'+i))+".jsonl")
		shards = append(shards, out)
		if _, errOut, code := nvitprof(t, append(base, "--shard", string(rune('0'+i))+"/2", "--out", out)...); code != 0 {
			t.Fatalf("shard %d: %s", i, errOut)
		}
	}
	merged := filepath.Join(dir, "all.jsonl")
	if _, errOut, code := nvitprof(t, append([]string{"merge", "--out", merged}, shards...)...); code != 0 {
		t.Fatalf("merge: %s", errOut)
	}
	table, _, err := tablefmt.ReadTable(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 4 { // attn ×2, mlp, rest
		t.Errorf("merged %d rows, want 4", len(table.Rows))
	}

	other := filepath.Join(dir, "other.jsonl")
	if _, errOut, code := nvitprof(t, append(base, "--batch", "2", "--out", other)...); code != 0 {
		t.Fatal(errOut)
	}
	out2 := filepath.Join(dir, "bad.jsonl")
	_, errOut, code := nvitprof(t, "merge", "--out", out2, shards[0], other)
	if code == 0 || !strings.Contains(errOut, "batch") {
		t.Errorf("mismatched merge: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a refused merge wrote its output")
	}
	if _, _, code := nvitprof(t, "merge", "--out", merged, shards[0]); code == 0 {
		t.Error("merge overwrote an existing file")
	}
}
