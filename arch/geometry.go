package arch

// Geometry is the input side of a ViT: what its tokens and the parts outside
// the blocks depend on.
type Geometry struct {
	Image, Patch, Channels, Classes, ExtraTokens int
}

// Patches is the number of image patches, (Image/Patch)².
func (g Geometry) Patches() int {
	if g.Patch <= 0 {
		return 0
	}
	n := g.Image / g.Patch
	return n * n
}

// Tokens is the sequence length every block sees: patches plus extra tokens.
func (g Geometry) Tokens() int { return g.Patches() + g.ExtraTokens }

// NViTGeometry is NViT's setting: 224² images, 16² patches, RGB, 1000
// classes, cls + distillation tokens.
func NViTGeometry() Geometry {
	return Geometry{Image: 224, Patch: 16, Channels: 3, Classes: 1000, ExtraTokens: 2}
}

// Geometry returns s's input geometry.
func (s Spec) Geometry() Geometry {
	return Geometry{Image: s.Image, Patch: s.Patch, Channels: s.Channels, Classes: s.Classes, ExtraTokens: s.ExtraTokens}
}

// Model is the Spec of geometry g with the given name, EMB and blocks.
func (g Geometry) Model(name string, emb int, blocks []Block) Spec {
	return Spec{Name: name, Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes,
		ExtraTokens: g.ExtraTokens, EMB: emb, Blocks: blocks}
}
