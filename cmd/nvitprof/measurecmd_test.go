package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestMeasureJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.json")
	arch := `{"image": 16, "patch": 4, "channels": 3, "classes": 10, "extra_tokens": 1, "EMB": 32, "head": [2, 2], "QK": [8, 8], "V": [8, 8], "MLP": [64, 64]}`
	if err := os.WriteFile(path, []byte(arch), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := nvitprof(t, "measure", "--device", "cpu", "--arch", path, "--batch", "2", "--samples", "3", "--warmup", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r measureResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.Batch != 2 || r.Samples < 3 || r.WallMS <= 0 || r.DType != "float32" || r.Device != "cpu" || r.Estimator != "min" || r.Hardware == "" {
		t.Errorf("result %+v", r)
	}
}

func TestMeasureBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"measure", "--preset", "deit-t", "--device", "tpu:0"}, exitUsage},
		{[]string{"measure", "--preset", "deit-t", "--batch", "0"}, exitUsage},
		{[]string{"measure", "--preset", "deit-t", "--dtype", "int8"}, exitUsage},
		{[]string{"measure", "--preset", "nope"}, exitUsage},
		{[]string{"measure", "--preset", "deit-t", "--estimator", "mean"}, exitUsage},
		{[]string{"measure", "--preset", "deit-t", "--format", "xml"}, exitUsage},
	} {
		_, errOut, code := nvitprof(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d (%s), want %d", tc.args, code, errOut, tc.code)
		}
	}
}
