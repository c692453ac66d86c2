package pruner

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes/bfloat16"
	"github.com/nlpodyssey/safetensors"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/x448/float16"
)

// Tensor is one named array of a safetensors file, converted to float32.
type Tensor struct {
	Shape []int
	Data  []float32 // row-major, len = product of Shape
}

// Size is the number of elements Shape describes.
func (t Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// TensorFile is the content of a safetensors file: its tensors and the
// string metadata of its "__metadata__" entry.
type TensorFile struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// ParseSafetensors decodes a safetensors file (8-byte little-endian header
// length, a JSON header of dtype/shape/data_offsets, raw little-endian data).
// F32, F64, F16 and BF16 tensors are converted to float32; other dtypes are
// refused with the tensor's name.
func ParseSafetensors(data []byte) (*TensorFile, error) {
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f := &TensorFile{Tensors: map[string]Tensor{}, Metadata: map[string]string{}}
	if _, md, err := safetensors.ReadMetadata(data); err == nil {
		maps.Copy(f.Metadata, md.Metadata())
	}
	for _, nv := range st.Tensors() {
		tv := nv.TensorView
		shape := make([]int, len(tv.Shape()))
		for i, d := range tv.Shape() {
			if d > math.MaxInt32 {
				return nil, fmt.Errorf("safetensors: tensor %q: dimension %d too large", nv.Name, d)
			}
			shape[i] = int(d)
		}
		raw := tv.Data()
		var vals []float32
		switch tv.DType() {
		case safetensors.F32:
			vals = make([]float32, len(raw)/4)
			for i := range vals {
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		case safetensors.F64:
			vals = make([]float32, len(raw)/8)
			for i := range vals {
				vals[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		case safetensors.F16:
			vals = make([]float32, len(raw)/2)
			for i := range vals {
				vals[i] = float16.Frombits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
			}
		case safetensors.BF16:
			vals = make([]float32, len(raw)/2)
			for i := range vals {
				vals[i] = bfloat16.FromBits(binary.LittleEndian.Uint16(raw[2*i:])).Float32()
			}
		default:
			return nil, fmt.Errorf("safetensors: tensor %q has dtype %s; nvitprof reads F32, F64, F16 and BF16", nv.Name, tv.DType())
		}
		f.Tensors[nv.Name] = Tensor{Shape: shape, Data: vals}
	}
	return f, nil
}

// WriteSafetensors encodes f as a safetensors file with float32 tensors,
// sorted by name (the library's order: by dtype, then name).
func WriteSafetensors(w io.Writer, f *TensorFile) error {
	views := make(map[string]safetensors.TensorView, len(f.Tensors))
	for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
		t := f.Tensors[name]
		if t.Size() != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q has %d values for shape %v", name, len(t.Data), t.Shape)
		}
		shape := make([]uint64, len(t.Shape))
		for i, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("safetensors: tensor %q has negative dimension in %v", name, t.Shape)
			}
			shape[i] = uint64(d)
		}
		raw := make([]byte, 4*len(t.Data))
		for i, v := range t.Data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		views[name] = tv
	}
	var md map[string]string
	if len(f.Metadata) > 0 {
		md = f.Metadata
	}
	bw := bufio.NewWriter(w)
	if err := safetensors.SerializeToWriter(views, md, bw); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return bw.Flush()
}

// ReadSafetensors reads a safetensors file.
func ReadSafetensors(path string) (*TensorFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read weights: %w", err)
	}
	f, err := ParseSafetensors(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// SaveSafetensors writes f to path atomically: to a temporary file in the
// same directory, synced, then renamed over path, so a kill never leaves a
// half-written file.
func SaveSafetensors(path string, f *TensorFile) error {
	return writeAtomic(path, func(w io.Writer) error { return WriteSafetensors(w, f) })
}

// writeAtomic writes a file through a temporary sibling and a rename.
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.WriteFile(path, write)
}
