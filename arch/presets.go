package arch

import (
	"fmt"
	"sort"
	"strings"
)

// deit returns the DeiT family member with the given width and heads
// (224² images, 16² patches, 12 blocks, QK = V = 64, MLP = 4·EMB).
func deit(name string, emb, heads int, distilled bool) Spec {
	extra := 1
	if distilled {
		extra = 2
	}
	return Spec{
		Name: name, Image: 224, Patch: 16, Channels: 3, Classes: 1000,
		ExtraTokens: extra, EMB: emb,
		Blocks: Uniform(12, Block{Heads: heads, QK: 64, V: 64, MLP: 4 * emb}),
	}
}

var presets = map[string]func() Spec{
	"deit-t":           func() Spec { return deit("deit-t", 192, 3, false) },
	"deit-s":           func() Spec { return deit("deit-s", 384, 6, false) },
	"deit-b":           func() Spec { return deit("deit-b", 768, 12, false) },
	"deit-t-distilled": func() Spec { return deit("deit-t-distilled", 192, 3, true) },
	"deit-s-distilled": func() Spec { return deit("deit-s-distilled", 384, 6, true) },
	"deit-b-distilled": func() Spec { return deit("deit-b-distilled", 768, 12, true) },
	"revit-s":          revitS, "revit-t": revitT,
}

// PresetNames lists the names Preset accepts, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a fresh copy of the named architecture.
func Preset(name string) (Spec, error) {
	mk, ok := presets[strings.ToLower(name)]
	if !ok {
		return Spec{}, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return mk(), nil
}
