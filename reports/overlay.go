package reports

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// overlay is the last plotter of a plot. It knows where the data is drawn
// (markers and lines, in data coordinates), and when the plot is drawn it
// puts the legend in the corner of the data area that covers the least of
// it, then each point label where it overlaps no marker, no other label and
// not the legend, and as little of the lines as it can, and draws both on
// top. The plot's own legend stays empty.
type overlay struct {
	legend  plot.Legend
	entries []string // the legend's texts, to measure it
	corners []corner // where the legend may go, in order of preference
	marks   []mark
	lines   []plotter.XYs
	labels  []pointLabel

	// Where Plot put things, in canvas coordinates, for tests.
	markBoxes  []vg.Rectangle
	legendBox  vg.Rectangle
	legendHits int // markers and line samples under the legend
	labelBoxes []vg.Rectangle
	blocked    int // labels that could not avoid every marker, label and the legend
}

// mark is a marker of radius R at (X, Y), data coordinates.
type mark struct {
	X, Y float64
	R    vg.Length
}

// pointLabel is text beside the marker of radius R at (X, Y).
type pointLabel struct {
	X, Y float64
	Text string
	R    vg.Length
}

// corner is a corner of the data area.
type corner struct{ top, left bool }

// allCorners are the legend's places in order of preference.
var allCorners = []corner{{true, true}, {true, false}, {false, false}, {false, true}}

func newOverlay() *overlay {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = legendSz
	l.Padding = 1
	l.ThumbnailWidth = 12
	return &overlay{legend: l, corners: allCorners}
}

// addEntry adds a legend entry.
func (o *overlay) addEntry(name string, thumbs ...plot.Thumbnailer) {
	o.legend.Add(name, thumbs...)
	o.entries = append(o.entries, name)
}

// addMarks records markers of radius r at xys.
func (o *overlay) addMarks(xys plotter.XYs, r vg.Length) {
	for _, p := range xys {
		o.marks = append(o.marks, mark{X: p.X, Y: p.Y, R: r})
	}
}

// addLine records a polyline.
func (o *overlay) addLine(xys plotter.XYs) { o.lines = append(o.lines, xys) }

// addLabel asks for text beside the marker of radius r at (x, y).
func (o *overlay) addLabel(x, y float64, text string, r vg.Length) {
	o.labels = append(o.labels, pointLabel{X: x, Y: y, Text: text, R: r})
}

// markerExtent is how far, in radii, a marker reaches from its centre at
// most (a triangle's apex; see marker.path).
const markerExtent = 1.5

// Text of point labels and their leader lines.
var (
	labelColor  = color.Gray{0x30}
	leaderColor = color.Gray{0x90}
)

// Plot implements plot.Plotter.
func (o *overlay) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	at := func(x, y float64) (vg.Point, bool) {
		q := vg.Point{X: trX(x), Y: trY(y)}
		return q, finite(float64(q.X)) && finite(float64(q.Y))
	}
	var boxes []vg.Rectangle
	for _, m := range o.marks {
		if q, ok := at(m.X, m.Y); ok {
			boxes = append(boxes, around(q, markerExtent*m.R+0.5, markerExtent*m.R+0.5))
		}
	}
	o.markBoxes = boxes
	samples := o.lineSamples(c, at)
	o.legendBox = vg.Rectangle{}
	if len(o.entries) > 0 {
		o.placeLegend(c, boxes, samples)
	}
	o.placeLabels(c, at, boxes, samples)
}

// lineSamples are points every 1.5 pt along the lines, inside c.
func (o *overlay) lineSamples(c draw.Canvas, at func(x, y float64) (vg.Point, bool)) []vg.Point {
	var out []vg.Point
	for _, l := range o.lines {
		for i := 1; i < len(l); i++ {
			a, okA := at(l[i-1].X, l[i-1].Y)
			b, okB := at(l[i].X, l[i].Y)
			if !okA || !okB {
				continue
			}
			n := min(int(dist(a, b)/1.5)+1, 4000)
			for k := 0; k <= n; k++ {
				f := vg.Length(k) / vg.Length(n)
				q := vg.Point{X: a.X + (b.X-a.X)*f, Y: a.Y + (b.Y-a.Y)*f}
				if c.Contains(q) {
					out = append(out, q)
				}
			}
		}
	}
	return out
}

// legendInset is the gap between the legend and the data area's edges.
const legendInset = 2

// placeLegend draws the legend in the allowed corner where it covers the
// fewest markers (each counting as much as 6 line samples) and line samples.
func (o *overlay) placeLegend(c draw.Canvas, boxes []vg.Rectangle, samples []vg.Point) {
	sty := o.legend.TextStyle
	var w, enth vg.Length
	for _, e := range o.entries {
		w = max(w, sty.Width(" "+e))
		enth = max(enth, sty.Rectangle(e).Max.Y)
	}
	w += o.legend.ThumbnailWidth
	n := vg.Length(len(o.entries))
	h := n*enth + (n-1)*o.legend.Padding
	descent := sty.FontExtents().Descent
	in := draw.Crop(c, legendInset, -legendInset, legendInset, -legendInset)
	best, bestScore := corner{}, math.MaxInt
	for _, k := range o.corners {
		r := vg.Rectangle{Min: vg.Point{X: in.Min.X, Y: in.Min.Y}, Max: vg.Point{X: in.Min.X + w, Y: in.Min.Y + h}}
		if !k.left {
			r.Min.X, r.Max.X = in.Max.X-w, in.Max.X
		}
		if k.top {
			r.Min.Y, r.Max.Y = in.Max.Y-descent-h, in.Max.Y-descent
		}
		score := 6*countOverlaps(r, boxes) + countInside(r, samples)
		if score < bestScore {
			best, bestScore, o.legendBox = k, score, r
		}
	}
	o.legendHits = bestScore
	o.legend.Top, o.legend.Left = best.top, best.left
	o.legend.Draw(in)
}

// placeLabels puts each label at the first place, nearest first, that
// overlaps no marker, earlier label or the legend and crosses the fewest
// line samples; labels set apart from their point get a leader line.
func (o *overlay) placeLabels(c draw.Canvas, at func(x, y float64) (vg.Point, bool), boxes []vg.Rectangle, samples []vg.Point) {
	sty := textStyle(pointSize, labelColor)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	o.labelBoxes, o.blocked = nil, 0
	for _, lb := range o.labels {
		q, ok := at(lb.X, lb.Y)
		if !ok {
			continue
		}
		w, h := sty.Width(lb.Text), sty.Height(lb.Text)
		reach := markerExtent*lb.R + 0.5 // beyond the marker's box
		var best vg.Rectangle
		bestCost, bestHard, bestGap := math.Inf(1), 0, vg.Length(0)
		for ring, gap := range []vg.Length{1.5, 6, 12, 20, 30, 44, 60} {
			for ai, a := range candidateAngles(ring) {
				ux, uy := math.Cos(a), math.Sin(a)
				ctr := vg.Point{X: q.X + vg.Length(ux)*(reach+gap) + vg.Length(side(ux))*w/2,
					Y: q.Y + vg.Length(uy)*(reach+gap) + vg.Length(side(uy))*h/2}
				r := around(ctr, w/2+0.5, h/2+0.5)
				if r.Min.X < c.Min.X || r.Max.X > c.Max.X || r.Min.Y < c.Min.Y || r.Max.Y > c.Max.Y {
					continue
				}
				hard := countOverlaps(r, boxes) + countOverlaps(r, o.labelBoxes)
				if o.legendBox != (vg.Rectangle{}) && overlaps(r, o.legendBox) {
					hard++
				}
				cost := 1000*float64(hard) + 8*float64(countInside(r, samples)) + 4*float64(ring) + 0.1*float64(ai)
				if gap >= leaderGap {
					cost += 60*float64(o.leaderCrossings(q, r, reach, boxes)) + 2*float64(leaderAlong(q, r, reach, samples))
				}
				if cost < bestCost {
					best, bestCost, bestHard, bestGap = r, cost, hard, gap
				}
			}
		}
		if math.IsInf(bestCost, 1) {
			o.blocked++
			continue
		}
		if bestHard > 0 {
			o.blocked++
		}
		o.labelBoxes = append(o.labelBoxes, best)
		ctr := vg.Point{X: (best.Min.X + best.Max.X) / 2, Y: (best.Min.Y + best.Max.Y) / 2}
		if bestGap >= leaderGap {
			from := toward(q, ctr, reach)
			to := clipToBox(ctr, q, best)
			c.StrokeLine2(draw.LineStyle{Color: leaderColor, Width: 0.4}, from.X, from.Y, to.X, to.Y)
		}
		c.FillText(sty, ctr, lb.Text)
	}
}

// leaderGap is the distance from its point beyond which a label gets a
// leader line.
const leaderGap = 6

// leaderCrossings counts the markers (other than the label's own) and
// placed labels that the leader line from q to the label box r would cross.
func (o *overlay) leaderCrossings(q vg.Point, r vg.Rectangle, radius vg.Length, boxes []vg.Rectangle) int {
	ctr := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	from, to := toward(q, ctr, radius+1), clipToBox(ctr, q, r)
	n := 0
	for _, b := range append(slices.Clone(boxes), o.labelBoxes...) {
		own := q.X >= b.Min.X && q.X <= b.Max.X && q.Y >= b.Min.Y && q.Y <= b.Max.Y
		if !own && segmentHits(from, to, b) {
			n++
		}
	}
	return n
}

// leaderAlong counts the line samples within 1.5 pt of the leader line
// from q to the label box r: a leader that runs along a line reads as
// part of it.
func leaderAlong(q vg.Point, r vg.Rectangle, radius vg.Length, samples []vg.Point) int {
	ctr := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	a, b := toward(q, ctr, radius+1), clipToBox(ctr, q, r)
	n := 0
	for _, s := range samples {
		if distToSegment(s, a, b) < 1.5 {
			n++
		}
	}
	return n
}

// distToSegment is the distance from p to the segment from a to b.
func distToSegment(p, a, b vg.Point) vg.Length {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, (float64(p.X-a.X)*dx+float64(p.Y-a.Y)*dy)/l2))
	}
	return dist(p, vg.Point{X: a.X + vg.Length(t*dx), Y: a.Y + vg.Length(t*dy)})
}

// segmentHits reports whether the segment from a to b passes through r
// (sampled every half point).
func segmentHits(a, b vg.Point, r vg.Rectangle) bool {
	n := int(dist(a, b)*2) + 1
	for k := 0; k <= n; k++ {
		f := vg.Length(k) / vg.Length(n)
		x, y := a.X+(b.X-a.X)*f, a.Y+(b.Y-a.Y)*f
		if x > r.Min.X && x < r.Max.X && y > r.Min.Y && y < r.Max.Y {
			return true
		}
	}
	return false
}

// candidateAngles are the directions tried on a ring around a point: right
// and left first (labels read best beside a point), then the diagonals,
// above and below; sixteen directions on the outer rings.
func candidateAngles(ring int) []float64 {
	deg := []float64{0, 180, 45, 135, -45, -135, 90, -90}
	if ring >= 2 {
		deg = append(deg, 22.5, 157.5, -22.5, -157.5, 67.5, 112.5, -67.5, -112.5)
	}
	out := make([]float64, len(deg))
	for i, d := range deg {
		out[i] = d * math.Pi / 180
	}
	return out
}

// side is which side of a point a box in direction u lies on: -1, 0
// (centred) or 1.
func side(u float64) float64 {
	switch {
	case u > 0.3:
		return 1
	case u < -0.3:
		return -1
	}
	return 0
}

func around(q vg.Point, rx, ry vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: q.X - rx, Y: q.Y - ry}, Max: vg.Point{X: q.X + rx, Y: q.Y + ry}}
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func countOverlaps(r vg.Rectangle, boxes []vg.Rectangle) int {
	n := 0
	for _, b := range boxes {
		if overlaps(r, b) {
			n++
		}
	}
	return n
}

func countInside(r vg.Rectangle, pts []vg.Point) int {
	n := 0
	for _, q := range pts {
		if q.X >= r.Min.X && q.X <= r.Max.X && q.Y >= r.Min.Y && q.Y <= r.Max.Y {
			n++
		}
	}
	return n
}

func dist(a, b vg.Point) vg.Length { return vg.Length(math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))) }

// toward is the point d from a on the way to b.
func toward(a, b vg.Point, d vg.Length) vg.Point {
	l := dist(a, b)
	if l == 0 {
		return a
	}
	return vg.Point{X: a.X + (b.X-a.X)*d/l, Y: a.Y + (b.Y-a.Y)*d/l}
}

// clipToBox is where the segment from ctr (inside r) to q leaves r.
func clipToBox(ctr, q vg.Point, r vg.Rectangle) vg.Point {
	t := 1.0
	dx, dy := float64(q.X-ctr.X), float64(q.Y-ctr.Y)
	hx, hy := float64(r.Max.X-r.Min.X)/2, float64(r.Max.Y-r.Min.Y)/2
	if dx != 0 {
		t = math.Min(t, hx/math.Abs(dx))
	}
	if dy != 0 {
		t = math.Min(t, hy/math.Abs(dy))
	}
	return vg.Point{X: ctr.X + vg.Length(dx*t), Y: ctr.Y + vg.Length(dy*t)}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
