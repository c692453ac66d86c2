package arch

import (
	"fmt"
	"strings"
)

// Dimension is one of NViT's five prunable dimensions: EMB, shared by every
// block, and four per block.
type Dimension string

// The five dimensions, by the names tables, flags and logs use.
const (
	DimEMB   Dimension = "emb"   // residual channels, global (every block and the rest)
	DimHeads Dimension = "heads" // attention heads of a block
	DimQK    Dimension = "qk"    // query/key width per head of a block
	DimV     Dimension = "v"     // value width per head of a block
	DimMLP   Dimension = "mlp"   // MLP neurons of a block
)

// Dimensions lists the five dimensions, EMB first.
func Dimensions() []Dimension { return []Dimension{DimEMB, DimHeads, DimQK, DimV, DimMLP} }

// BlockDimensions lists the four per-block dimensions.
func BlockDimensions() []Dimension { return []Dimension{DimHeads, DimQK, DimV, DimMLP} }

// ParseDimension reads a dimension's name (any case).
func ParseDimension(s string) (Dimension, error) {
	d := Dimension(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Dimensions() {
		if d == k {
			return d, nil
		}
	}
	return "", fmt.Errorf("arch: unknown dimension %q (want %s)", s, dimensionNames())
}

func dimensionNames() string {
	var names []string
	for _, d := range Dimensions() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// Name is how prose writes d: "EMB", "heads", "QK", "V", "MLP".
func (d Dimension) Name() string {
	switch d {
	case DimEMB, DimQK, DimV, DimMLP:
		return strings.ToUpper(string(d))
	}
	return string(d)
}

// Label is an axis label for d, with its unit.
func (d Dimension) Label() string {
	switch d {
	case DimEMB:
		return "EMB (channels)"
	case DimHeads:
		return "Attention heads"
	case DimQK:
		return "QK width per head"
	case DimV:
		return "V width per head"
	case DimMLP:
		return "MLP hidden width (neurons)"
	}
	return string(d)
}

// Get is b's size along a per-block dimension (0 for DimEMB, which is the
// Spec's).
func (b Block) Get(d Dimension) int {
	switch d {
	case DimHeads:
		return b.Heads
	case DimQK:
		return b.QK
	case DimV:
		return b.V
	case DimMLP:
		return b.MLP
	}
	return 0
}

// Set sets b's size along a per-block dimension; it panics on DimEMB or an
// unknown dimension, a programming error.
func (b *Block) Set(d Dimension, v int) {
	switch d {
	case DimHeads:
		b.Heads = v
	case DimQK:
		b.QK = v
	case DimV:
		b.V = v
	case DimMLP:
		b.MLP = v
	default:
		panic(fmt.Sprintf("arch: Block.Set: %q is not a per-block dimension", d))
	}
}
