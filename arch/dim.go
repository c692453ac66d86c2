package arch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Dim is NViT's architecture description, the "dim" entry of its checkpoints:
// the embedding width and, per block, the number of heads, the QK and V width
// per head and the MLP width.
type Dim struct {
	EMB  int   `json:"EMB"`
	Head []int `json:"head"`
	QK   []int `json:"QK"`
	V    []int `json:"V"`
	MLP  []int `json:"MLP"`
}

// String is d on one line: EMB 64 head [4 4] QK [16 16] V [16 16] MLP [128 128].
func (d Dim) String() string {
	return fmt.Sprintf("EMB %d head %v QK %v V %v MLP %v", d.EMB, d.Head, d.QK, d.V, d.MLP)
}

// Dim returns the NViT description of s's dimensions.
func (s Spec) Dim() Dim {
	d := Dim{EMB: s.EMB}
	for _, b := range s.Blocks {
		d.Head = append(d.Head, b.Heads)
		d.QK = append(d.QK, b.QK)
		d.V = append(d.V, b.V)
		d.MLP = append(d.MLP, b.MLP)
	}
	return d
}

// Blocks turns d's per-block lists into blocks, checking their lengths agree.
func (d Dim) Blocks() ([]Block, error) {
	n := len(d.Head)
	if len(d.QK) != n || len(d.V) != n || len(d.MLP) != n {
		return nil, fmt.Errorf("dim: per-block lists differ in length: head %d, QK %d, V %d, MLP %d",
			len(d.Head), len(d.QK), len(d.V), len(d.MLP))
	}
	blocks := make([]Block, n)
	for i := range blocks {
		blocks[i] = Block{Heads: d.Head[i], QK: d.QK[i], V: d.V[i], MLP: d.MLP[i]}
	}
	return blocks, nil
}

// File is the on-disk architecture format nvitprof reads and writes: an NViT
// dim object, optionally with the input geometry beside it. Missing geometry
// defaults to NViT's setting: 224² images, 16² patches, 3 channels, 1000
// classes, distilled (cls + dist tokens).
type File struct {
	Name        string `json:"name,omitempty"`
	Image       int    `json:"image,omitempty"`
	Patch       int    `json:"patch,omitempty"`
	Channels    int    `json:"channels,omitempty"`
	Classes     int    `json:"classes,omitempty"`
	ExtraTokens int    `json:"extra_tokens,omitempty"`
	Dim
}

// ParseFile decodes an architecture file and validates the Spec it describes.
// Unknown keys are refused so that a typo does not silently fall back to a default.
func ParseFile(data []byte) (Spec, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Spec{}, fmt.Errorf("arch file: %w", err)
	}
	if dec.More() {
		return Spec{}, fmt.Errorf("arch file: trailing data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Spec{}, fmt.Errorf("arch file: trailing data after the JSON object")
	}
	blocks, err := f.Dim.Blocks()
	if err != nil {
		return Spec{}, fmt.Errorf("arch file: %w", err)
	}
	s := Spec{
		Name: f.Name, Image: orDefault(f.Image, 224), Patch: orDefault(f.Patch, 16),
		Channels: orDefault(f.Channels, 3), Classes: orDefault(f.Classes, 1000),
		ExtraTokens: orDefault(f.ExtraTokens, 2), EMB: f.EMB, Blocks: blocks,
	}
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// MarshalFile encodes s as an architecture file that ParseFile reads back to s.
func MarshalFile(s Spec) ([]byte, error) {
	f := File{Name: s.Name, Image: s.Image, Patch: s.Patch, Channels: s.Channels,
		Classes: s.Classes, ExtraTokens: s.ExtraTokens, Dim: s.Dim()}
	return json.MarshalIndent(f, "", "  ")
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
