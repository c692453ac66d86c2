package tablefmt

import (
	"strings"
	"testing"
	"time"
)

func TestCompatible(t *testing.T) {
	a := testHeader()
	b := testHeader()
	b.Device, b.Plugin, b.Host, b.Notes, b.Time = "cuda:1", "/x.so", "other", nil, time.Now()
	if err := a.Compatible(b); err != nil {
		t.Errorf("headers differing only in run details: %v", err)
	}
	b = testHeader()
	b.Method.Estimator = EstimatorMedian // spelled out: the same as a table that predates the field
	if err := a.Compatible(b); err != nil {
		t.Errorf("empty and explicit median estimators: %v", err)
	}
	b.Method.Estimator = EstimatorMin
	if err := a.Compatible(b); err == nil || !strings.Contains(err.Error(), `method.estimator "median" vs "min"`) {
		t.Errorf("median vs min estimator: %v", err)
	}
	b = testHeader()
	b.DType, b.Batch, b.Method.Depths, b.Image, b.PluginVersion = "bfloat16", 64, []int{1, 4}, 224, "0.90"
	err := a.Compatible(b)
	if err == nil {
		t.Fatal("Compatible = nil for different dtype and batch")
	}
	for _, want := range []string{`dtype "float32" vs "bfloat16"`, "batch 2 vs 64", "method.depths [2 10] vs [1 4]", "image 32 vs 224", `plugin_version "" vs "0.90"`, "tablefmt: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestHeaderValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Header)
		want string
	}{
		{"version", func(h *Header) { h.Version = 2 }, "unsupported table version 2"},
		{"batch", func(h *Header) { h.Batch = -1 }, "batch must not be negative"},
		{"depths", func(h *Header) { h.Method.Depths = []int{0, 2} }, "method.depths must be positive"},
		{"noise", func(h *Header) { h.Method.NoiseThreshold = -0.1 }, "method.noise_threshold"},
		{"estimator", func(h *Header) { h.Method.Estimator = "mean" }, `method.estimator "mean"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHeader()
			tc.edit(&h)
			if err := h.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
