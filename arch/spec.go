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
	if len(errs) == 0 {
		if err := s.checkSize(); err != nil {
			errs = append(errs, err)
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

// Bounds on the size of a Spec: far beyond any ViT, they keep the exact
// counts (int64) from overflowing and refuse a typo such as an EMB of 10⁸.
const (
	MaxWidth  = 1 << 20 // any one width: EMB, heads × QK, heads × V, MLP, image side, channels, classes
	MaxTokens = 1 << 20 // patches plus extra tokens
	MaxDepth  = 1 << 12 // blocks
	MaxMACs   = 1e18    // multiply-accumulates per image
)

// checkSize refuses a Spec beyond the bounds above.
func (s Spec) checkSize() error {
	for _, w := range []struct {
		name string
		v    int
	}{{"image size", s.Image}, {"channels", s.Channels}, {"classes", s.Classes}, {"EMB", s.EMB}} {
		if w.v > MaxWidth {
			return fmt.Errorf("%s %d is beyond any ViT (at most %d)", w.name, w.v, MaxWidth)
		}
	}
	if len(s.Blocks) > MaxDepth {
		return fmt.Errorf("%d blocks is beyond any ViT (at most %d)", len(s.Blocks), MaxDepth)
	}
	if t := s.Tokens(); t > MaxTokens {
		return fmt.Errorf("%d tokens is beyond any ViT (at most %d)", t, MaxTokens)
	}
	t, e := float64(s.Tokens()), float64(s.EMB)
	macs := float64(s.Patches()*s.Patch*s.Patch*s.Channels)*e + e*float64(s.Classes*s.ExtraTokens)
	for i, b := range s.Blocks {
		for _, w := range []struct {
			name string
			v    int
		}{{"heads × QK", b.Heads * b.QK}, {"heads × V", b.Heads * b.V}, {"MLP width", b.MLP}} {
			if w.v > MaxWidth || w.v < 0 {
				return fmt.Errorf("block %d: %s %d is beyond any ViT (at most %d)", i, w.name, w.v, MaxWidth)
			}
		}
		hq, hv, m := float64(b.Heads*b.QK), float64(b.Heads*b.V), float64(b.MLP)
		macs += t*e*(2*hq+hv) + t*t*(hq+hv) + t*hv*e + 2*t*e*m
	}
	if macs > MaxMACs {
		return fmt.Errorf("about %.3g multiply-accumulates per image is beyond any ViT (at most %g)", macs, MaxMACs)
	}
	return nil
}
