package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// ParetoInput is what BuildPareto assembles a Pareto figure from.
type ParetoInput struct {
	Header  tablefmt.Header  // the table's: geometry (DeiT family), batch (axis label), summary (note)
	Latency arch.LatencyFunc // predicted latency in ms (costmodel.LatencyFunc)
	// Models are the whole models the table measured (TableModels): their
	// measured latency replaces the prediction of every point of the same
	// architecture, and those outside the DeiT family are points of their
	// own ("table models").
	Models       []TableModel
	Variants     []arch.Variant // generated variants (arch.Family)
	VariantGroup string         // their legend; default "generated"
	User         []NamedArch    // more points, labelled ("user")
	Accuracy     []Accuracy     // top-1 of points, or of more user points
	Metric       Metric         // the y axis; default MetricParams
}

// NamedArch is an architecture as someone named it (a preset, a variant,
// a file).
type NamedArch struct {
	Name string
	Spec arch.Spec
}

// PointError is a user point BuildPareto could not place: its latency could
// not be predicted.
type PointError struct {
	Name string // as given in ParetoInput.User
	Err  error
}

func (e *PointError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *PointError) Unwrap() error { return e.Err }

// BuildPareto assembles the points of a Pareto figure: the DeiT family in
// the table's geometry (labelled), the table's other models (labelled), the
// generated variants, the user's points, and accuracies joined by
// architecture (same name and counts) or added as user points. A point's
// latency is measured when the table has a model row of its architecture,
// else predicted. Variants are labelled with their budgets; variants of
// the same architecture (budgets the rule met with the same width) are one
// point, labelled with all their budgets ("0.4×, 0.5×"), their other names
// in Aliases. Members of the DeiT family or table models the latency
// function refuses are left out with a warning; a variant, user point or
// accuracy it refuses is an error (a *PointError for user points).
func BuildPareto(in ParetoInput) (ParetoFigure, []string, error) {
	if in.Metric == "" {
		in.Metric = MetricParams
	}
	if in.VariantGroup == "" {
		in.VariantGroup = "generated"
	}
	b := paretoBuilder{lat: in.Latency, measured: map[string]float64{}}
	b.fig = ParetoFigure{Metric: in.Metric, LatencyLabel: latencyLabel(in.Header), Caption: DeviceCaption(in.Header)}
	for _, m := range in.Models {
		b.measured[dimKey(m.Spec)] = m.LatencyMS
	}
	var warnings, left []string
	var why error
	for _, d := range DeiTFamily(in.Header) {
		if err := b.add(d, "DeiT", true); err != nil {
			left, why = append(left, d.Name), err
		}
	}
	if len(left) > 0 {
		warnings = append(warnings, fmt.Sprintf("left out, the cost model does not cover them: %s (%v)", strings.Join(left, ", "), why))
	}
	for _, m := range in.Models {
		if isDeiT(m.Spec, in.Header) {
			continue
		}
		if err := b.add(m.Spec, "table models", true); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s left out: %v", m.Spec.Name, err))
		}
	}
	if err := b.variants(in.Variants, in.VariantGroup); err != nil {
		return b.fig, nil, err
	}
	for _, u := range in.User {
		if err := b.add(u.Spec, "user", true); err != nil {
			return b.fig, nil, &PointError{Name: u.Name, Err: err}
		}
	}
	if err := b.accuracies(in.Accuracy); err != nil {
		return b.fig, nil, err
	}
	return b.fig, warnings, nil
}

type paretoBuilder struct {
	fig      ParetoFigure
	lat      arch.LatencyFunc
	measured map[string]float64 // by dimKey
}

// add places s, with its measured latency when the table has one.
func (b *paretoBuilder) add(s arch.Spec, group string, label bool) error {
	p := ParetoPoint{Name: s.Name, Group: group, Params: s.Params(), MACs: s.MACs(), Accuracy: math.NaN(), Label: label}
	if ms, ok := b.measured[dimKey(s)]; ok {
		p.LatencyMS, p.Measured = ms, true
	} else {
		l, err := b.lat(s)
		if err != nil {
			return err
		}
		p.LatencyMS = l
	}
	b.fig.Points = append(b.fig.Points, p)
	return nil
}

// variants places the generated variants, one point per architecture,
// labelled with their budgets.
func (b *paretoBuilder) variants(vs []arch.Variant, group string) error {
	first := map[string]int{} // dimKey → index in b.fig.Points
	for _, v := range vs {
		key := dimKey(v.Spec)
		if i, ok := first[key]; ok {
			p := &b.fig.Points[i]
			p.Aliases = append(p.Aliases, v.Spec.Name)
			if v.Budget > 0 {
				p.Text += ", " + budgetText(v.Budget)
			}
			continue
		}
		if err := b.add(v.Spec, group, v.Budget > 0); err != nil {
			return err
		}
		first[key] = len(b.fig.Points) - 1
		if v.Budget > 0 {
			b.fig.Points[len(b.fig.Points)-1].Text = budgetText(v.Budget)
			b.fig.Note = "variants labelled with their latency budget"
			if v.Reference != "" {
				b.fig.Note += " (× " + v.Reference + ")"
			}
		}
	}
	return nil
}

// budgetText writes a latency budget as a label: "0.4×".
func budgetText(b float64) string { return strconv.FormatFloat(b, 'g', 3, 64) + "×" }

// accuracies gives each point named and counted like an accuracy's
// architecture that accuracy, and adds the others as user points.
func (b *paretoBuilder) accuracies(accs []Accuracy) error {
	for _, a := range accs {
		found := false
		for i, p := range b.fig.Points {
			named := p.Name == a.Spec.Name || slices.Contains(p.Aliases, a.Spec.Name)
			if p.Params == a.Spec.Params() && p.MACs == a.Spec.MACs() && named {
				b.fig.Points[i].Accuracy, found = a.Top1, true
			}
		}
		if found {
			continue
		}
		if err := b.add(a.Spec, "user", true); err != nil {
			return fmt.Errorf("%s: %s: %w", a.Source, a.Name, err)
		}
		b.fig.Points[len(b.fig.Points)-1].Accuracy = a.Top1
	}
	return nil
}
