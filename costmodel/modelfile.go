package costmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/internal/jsonstrict"
)

// ModelFormatVersion is the model file version this package reads and
// writes, the value of the file's "nvitprof_model" field.
const ModelFormatVersion = 1

// modelFile is the JSON form of a Model.
type modelFile struct {
	Version    int             `json:"nvitprof_model"`
	Kind       ModelKind       `json:"kind"`
	Source     Source          `json:"source"`
	Components []componentFile `json:"components"`
}

type componentFile struct {
	Kind     tablefmt.Kind `json:"kind"`
	Axes     []axisFile    `json:"axes"`
	Values   []float64     `json:"values_ms"`          // per grid node, row-major (last axis fastest)
	Filled   []int         `json:"filled,omitempty"`   // nodes no row measured (filled from neighbours)
	Features []string      `json:"features,omitempty"` // hw: trend features
	Coef     []float64     `json:"coef,omitempty"`     // hw: trend coefficients, ms per feature unit
	Outliers []outlierFile `json:"outliers,omitempty"` // hw: measured nodes the model overrode
}

type axisFile struct {
	Name   string `json:"name"`
	Values []int  `json:"values"`
}

// Save writes m as a JSON model file: the format version, the model kind,
// the source table (path, format, row count, content hash, header) and per
// component its grid of latencies and, for the hw kind, its trend and the
// measurements it overrode (Outliers). Load rebuilds the model from it
// exactly.
func (m *Model) Save(w io.Writer) error {
	f := modelFile{Version: ModelFormatVersion, Kind: m.kind, Source: m.source}
	for _, k := range m.Components() {
		c := m.comps[k]
		cf := componentFile{Kind: k, Values: c.base.values, Coef: c.coef, Outliers: c.outlierFiles()}
		for d, a := range c.base.axes {
			vs := make([]int, len(a))
			for i, v := range a {
				vs[i] = int(v)
			}
			cf.Axes = append(cf.Axes, axisFile{Name: c.names[d], Values: vs})
		}
		for i, ok := range c.measured {
			if !ok {
				cf.Filled = append(cf.Filled, i)
			}
		}
		if m.kind == ModelHW {
			cf.Features = trendFeatures(k, m.source.Header)
		}
		f.Components = append(f.Components, cf)
	}
	data, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return fmt.Errorf("costmodel: save model: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("costmodel: save model: %w", err)
	}
	return nil
}

// SaveFile writes m to path (see Save), replacing it atomically: a failed
// or killed write leaves the file that was there.
func (m *Model) SaveFile(path string) error {
	var saveErr error
	err := atomicfile.WriteFile(path, func(w io.Writer) error {
		saveErr = m.Save(w)
		return saveErr
	})
	if err != nil && saveErr == nil {
		return fmt.Errorf("costmodel: save model: %w", err)
	}
	return err
}

// LoadFile reads the model file at path (see Load).
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("costmodel: load model: %w", err)
	}
	defer f.Close()
	return Load(f, path)
}

// Load reads a model file written by Save; name is used in messages. A file
// of another format version, another kind of JSON, unknown fields, or grids
// and trends that do not fit together are refused with an error saying what
// is wrong.
func Load(r io.Reader, name string) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("costmodel: load model %s: %w", name, err)
	}
	m, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("costmodel: load model %s: %w", name, err)
	}
	return m, nil
}

func parseModel(data []byte) (*Model, error) {
	var probe struct {
		Version *int `json:"nvitprof_model"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON model file: %w", err)
	}
	if probe.Version == nil {
		return nil, errors.New(`not a nvitprof model file (no "nvitprof_model" version field)`)
	}
	if *probe.Version != ModelFormatVersion {
		return nil, fmt.Errorf("model file version %d: this nvitprof reads version %d (refit the model with nvitprof fit)", *probe.Version, ModelFormatVersion)
	}
	var f modelFile
	if err := jsonstrict.Decode(data, &f); err != nil {
		return nil, err
	}
	if _, err := ParseModelKind(string(f.Kind)); err != nil {
		return nil, errors.New(err.Error()[len("costmodel: "):])
	}
	h := f.Source.Header
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("source header: %w", err)
	}
	if f.Kind == ModelHW && h.Tokens <= 0 {
		return nil, errors.New("an hw model needs the source header's tokens")
	}
	if len(f.Components) == 0 {
		return nil, errors.New("no components")
	}
	m := &Model{kind: f.Kind, source: f.Source, comps: map[tablefmt.Kind]*component{}}
	for i, cf := range f.Components {
		c, err := loadComponent(f.Kind, h, cf)
		if err != nil {
			return nil, fmt.Errorf("component %d (%s): %w", i, cf.Kind, err)
		}
		if m.comps[cf.Kind] != nil {
			return nil, fmt.Errorf("component %d: a second %s component", i, cf.Kind)
		}
		m.comps[cf.Kind] = c
	}
	return m, nil
}

func loadComponent(mk ModelKind, h tablefmt.Header, cf componentFile) (*component, error) {
	switch cf.Kind {
	case tablefmt.KindAttn, tablefmt.KindMLP, tablefmt.KindBlock, tablefmt.KindRest:
	default:
		return nil, fmt.Errorf("unknown component kind %q (want attn, mlp, block or rest)", cf.Kind)
	}
	names := axisNames(cf.Kind)
	if len(cf.Axes) != len(names) {
		return nil, fmt.Errorf("%d axes, want %d (%v)", len(cf.Axes), len(names), names)
	}
	axes := make([][]float64, len(names))
	for d, a := range cf.Axes {
		if a.Name != names[d] {
			return nil, fmt.Errorf("axis %d is %q, want %q", d, a.Name, names[d])
		}
		axes[d] = make([]float64, len(a.Values))
		for i, v := range a.Values {
			axes[d][i] = float64(v)
		}
	}
	// The limits Fit builds grids within: Load accepts exactly those.
	if err := checkAxes(cf.Kind, axes); err != nil {
		return nil, err
	}
	n := 1
	for _, a := range axes {
		n *= len(a)
	}
	if len(cf.Values) != n {
		return nil, fmt.Errorf("%d values for a grid of %d nodes", len(cf.Values), n)
	}
	if !finiteNonNeg(cf.Values) {
		return nil, errors.New("values must be non-negative numbers")
	}
	c := &component{kind: cf.Kind, names: names, modelK: mk, header: h,
		base: &grid{axes: axes, values: slices.Clone(cf.Values)}}
	c.measured = make([]bool, n)
	for i := range c.measured {
		c.measured[i] = true
	}
	for i, k := range cf.Filled {
		if k < 0 || k >= n || (i > 0 && k <= cf.Filled[i-1]) {
			return nil, fmt.Errorf("filled nodes must be increasing indices below %d", n)
		}
		c.measured[k] = false
	}
	if err := c.setOutliers(cf.Outliers); err != nil {
		return nil, err
	}
	if mk == ModelHW {
		want := trendFeatures(cf.Kind, h)
		if !slices.Equal(cf.Features, want) {
			return nil, fmt.Errorf("trend features %v, want %v", cf.Features, want)
		}
		if len(cf.Coef) != len(want) {
			return nil, fmt.Errorf("%d trend coefficients for %d features", len(cf.Coef), len(want))
		}
		for _, v := range cf.Coef {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, errors.New("trend coefficients must be non-negative numbers")
			}
		}
		c.coef = slices.Clone(cf.Coef)
	} else if len(cf.Features) > 0 || len(cf.Coef) > 0 {
		return nil, fmt.Errorf("a %s model has no trend", mk)
	}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	return c, nil
}
