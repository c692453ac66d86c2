package costmodel

import (
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

func testHeader() tablefmt.Header {
	return tablefmt.Header{
		Version: tablefmt.FormatVersion, Device: "cpu", DeviceKind: "cpu", DeviceName: "test CPU",
		Runtime: "gomlx", Backend: "go", DType: "float32", Batch: 2, Tokens: 5,
		Image: 32, Patch: 16, Channels: 3, Classes: 10,
		Method:          tablefmt.Method{Name: "differential", Depths: []int{2, 10}, Warmup: 2, Samples: 9, NoiseThreshold: 0.05},
		NVitProfVersion: "test", Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Host: "h",
		Notes: []string{"a note"},
	}
}

func testRows() []tablefmt.Row {
	return []tablefmt.Row{
		{Kind: tablefmt.KindAttn, EMB: 64, Heads: 2, QK: 16, V: 16, MedianMS: 0.25, SpreadMS: 0.01, Samples: 9, MACs: 1, Bytes: 2},
		{Kind: tablefmt.KindMLP, EMB: 64, MLP: 128, MedianMS: 0.5, SpreadMS: 0.1, Samples: 9, Noisy: true, Note: `odd, "quoted"`},
		{Kind: tablefmt.KindBlock, EMB: 64, Heads: 2, QK: 16, V: 16, MLP: 0, MedianMS: 1e-9},
		{Kind: tablefmt.KindBlock, EMB: 64, MLP: 256, MedianMS: 0.75},
		{Kind: tablefmt.KindRest, EMB: 64, MedianMS: 0.125},
		{Kind: tablefmt.KindModel, Name: "tiny", EMB: 64, Dim: &arch.Dim{EMB: 64, Head: []int{2, 1}, QK: []int{16, 8}, V: []int{16, 8}, MLP: []int{128, 0}},
			MedianMS: 3, SpreadMS: 0.2, Samples: 9},
	}
}

// smallPythonLUT is a LUT in the exact text Python's json.dumps writes.
const smallPythonLUT = `{"EMB_768": {"QK_12_64": {"V_64": {"MLP_3072": 0.0123, "MLP_1": 0.004}, "V_32": {"MLP_3072": 0.011, "MLP_1": 0.0035}}}}`
