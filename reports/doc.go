// Package reports draws nvitprof's figures and report pages with gonum/plot:
// latency staircases along each dimension, a heads × QK heat map, predicted
// against measured latency with ±5% / ±10% bands, Pareto fronts, the
// per-block dimensions of architectures (NViT's Fig. 4) and a pruning
// trajectory; and the Pareto computation behind the fronts.
//
// Every figure writes to an io.Writer in a Format (PNG, SVG or PDF) at a
// size given by Options (default: one paper column, 3.3 in wide; PNG at
// 300 dpi). The style lives in style.go: Okabe–Ito colours (safe for colour
// blindness), 7–8 pt text so that a column-wide figure reads at the size of
// a paper's captions, axis labels with units, legends.
//
// reports imports arch, costmodel and gonum/plot only: it never compiles
// GoMLX, so its tests stay fast.
package reports
