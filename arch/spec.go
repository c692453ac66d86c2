package arch

import (
	"errors"
	"fmt"
)

// Block holds the dimensions of one transformer block. Every head of a block
// has the same QK and V width (NViT's head alignment). Heads == 0 removes the
// attention sub-block and MLP == 0 removes the MLP sub-block: what remains of
// them is the residual connection.
type Block struct {
	Heads int `json:"heads"` // attention heads
	QK    int `json:"qk"`    // query/key width per head
	V     int `json:"v"`     // value width per head
	MLP   int `json:"mlp"`   // hidden width of the MLP
}

// Spec is a whole Vision Transformer: input geometry, the residual width EMB
// shared by all blocks, and the per-block dimensions.
type Spec struct {
	Name        string  `json:"name,omitempty"`
	Image       int     `json:"image"`        // input side in pixels (square images)
	Patch       int     `json:"patch"`        // patch side in pixels
	Channels    int     `json:"channels"`     // input channels
	Classes     int     `json:"classes"`      // classifier outputs
	ExtraTokens int     `json:"extra_tokens"` // 1 for a cls token, 2 for cls + distillation
	EMB         int     `json:"emb"`          // residual (embedding) width
	Blocks      []Block `json:"blocks"`
}

// Patches is the number of image patches, (Image/Patch)².
func (s Spec) Patches() int { return s.Geometry().Patches() }

// Tokens is the sequence length every block sees: patches plus extra tokens.
func (s Spec) Tokens() int { return s.Patches() + s.ExtraTokens }

// Depth is the number of blocks.
func (s Spec) Depth() int { return len(s.Blocks) }

// Distilled reports whether the model carries a distillation token and head.
func (s Spec) Distilled() bool { return s.ExtraTokens == 2 }

// Clone returns a copy that shares no memory with s.
func (s Spec) Clone() Spec {
	c := s
	c.Blocks = append([]Block(nil), s.Blocks...)
	return c
}

// Validate reports the first reason s does not describe a buildable ViT.
func (s Spec) Validate() error {
	var errs []error
	positive := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", name, v))
		}
	}
	positive("image size", s.Image)
	positive("patch size", s.Patch)
	positive("channels", s.Channels)
	positive("classes", s.Classes)
	positive("EMB", s.EMB)
	if s.Image > 0 && s.Patch > 0 && s.Image%s.Patch != 0 {
		errs = append(errs, fmt.Errorf("patch size %d does not divide image size %d", s.Patch, s.Image))
	}
	if s.ExtraTokens < 1 || s.ExtraTokens > 2 {
		errs = append(errs, fmt.Errorf("extra tokens must be 1 (cls) or 2 (cls + dist), got %d", s.ExtraTokens))
	}
	if len(s.Blocks) == 0 {
		errs = append(errs, errors.New("a ViT needs at least one block"))
	}
	for i, b := range s.Blocks {
		if err := b.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("block %d: %w", i, err))
		}
	}
	if len(errs) > 0 {
		if s.Name != "" {
			return fmt.Errorf("arch %s: %w", s.Name, errs[0])
		}
		return fmt.Errorf("arch: %w", errs[0])
	}
	return nil
}

// Validate reports why b is not a valid block, or nil.
func (b Block) Validate() error {
	switch {
	case b.Heads < 0:
		return fmt.Errorf("heads must not be negative, got %d", b.Heads)
	case b.MLP < 0:
		return fmt.Errorf("MLP width must not be negative, got %d", b.MLP)
	case b.Heads > 0 && b.QK <= 0:
		return fmt.Errorf("QK per head must be positive with %d heads, got %d", b.Heads, b.QK)
	case b.Heads > 0 && b.V <= 0:
		return fmt.Errorf("V per head must be positive with %d heads, got %d", b.Heads, b.V)
	case b.QK < 0 || b.V < 0:
		return fmt.Errorf("QK and V must not be negative, got %d and %d", b.QK, b.V)
	}
	return nil
}

// Uniform returns blocks with identical dimensions, as in DeiT.
func Uniform(depth int, b Block) []Block {
	blocks := make([]Block, depth)
	for i := range blocks {
		blocks[i] = b
	}
	return blocks
}
