package arch

// ReViT presets: the dimensions of NViT's released from-scratch models
// (NVlabs/NViT, ReViT), distilled (cls + dist tokens). The middle ten blocks
// follow the redistribution rule (DefaultRule) at EMB 384 and 176; the
// released code departs from the rule at the first and last block, which
// get 10 heads with the QK width of a middle block.

// revitS is ReViT-S: EMB 384.
func revitS() Spec {
	return revit("revit-s", 384,
		[]int{10, 4, 4, 8, 8, 8, 8, 8, 8, 4, 4, 10},
		[]int{32, 16, 16, 32, 32, 32, 32, 32, 32, 16, 16, 32},
		[]int{1152, 1152, 1152, 2304, 2304, 2304, 2304, 2304, 2304, 1152, 1152, 1152})
}

// revitT is ReViT-T: EMB 176.
func revitT() Spec {
	return revit("revit-t", 176,
		[]int{10, 2, 2, 4, 4, 4, 4, 4, 4, 2, 2, 10},
		[]int{16, 8, 8, 16, 16, 16, 16, 16, 16, 8, 8, 16},
		[]int{528, 528, 528, 1056, 1056, 1056, 1056, 1056, 1056, 528, 528, 528})
}

func revit(name string, emb int, heads, qk, mlp []int) Spec {
	g := NViTGeometry()
	s := Spec{Name: name, Image: g.Image, Patch: g.Patch, Channels: g.Channels, Classes: g.Classes,
		ExtraTokens: g.ExtraTokens, EMB: emb, Blocks: make([]Block, len(heads))}
	for i := range heads {
		s.Blocks[i] = Block{Heads: heads[i], QK: qk[i], V: 64, MLP: mlp[i]}
	}
	return s
}
