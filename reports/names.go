package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// KnownArchs are the architectures a Pareto figure's points and accuracies
// may name besides presets and files: the table's models other than the
// DeiT family of h, and the generated variants (which win a clash), by
// lower-case name.
func KnownArchs(h tablefmt.Header, models []TableModel, variants []arch.Variant) map[string]arch.Spec {
	known := map[string]arch.Spec{}
	for _, m := range models {
		if m.Spec.Name != "" && !isDeiT(m.Spec, h) {
			known[strings.ToLower(m.Spec.Name)] = m.Spec
		}
	}
	for _, v := range variants {
		known[strings.ToLower(v.Spec.Name)] = v.Spec
	}
	return known
}

// ResolveArch finds the architecture name stands for: a preset, else one
// of known (by lower-case name), else what load makes of it (an
// architecture file, typically). When load is nil or its error wraps
// fs.ErrNotExist, name is unknown: the error says what was searched. Any
// other error of load is returned as it is.
func ResolveArch(name string, known map[string]arch.Spec, load func(name string) (arch.Spec, error)) (arch.Spec, error) {
	if s, err := arch.Preset(name); err == nil {
		return s, nil
	}
	if s, ok := known[strings.ToLower(name)]; ok {
		return s, nil
	}
	err := error(fs.ErrNotExist)
	var s arch.Spec
	if load != nil {
		s, err = load(name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return arch.Spec{}, fmt.Errorf("unknown architecture %q: not a preset (%s), a generated variant, a model of the table, or a file",
			name, strings.Join(arch.PresetNames(), ", "))
	}
	return s, err
}
