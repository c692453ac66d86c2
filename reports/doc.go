// Package reports draws nvitprof's figures and report pages with
// gonum/plot, and assembles what they show: the Pareto points of a family
// of architectures, the budgets' reference, the summary of a generated
// family. It writes to io.Writers only; opening files is the caller's
// business (nvitprof's CLI stages them and moves them into place together).
//
// # Figures
//
// Each figure is a function of its data, a Format and Options:
//
//   - WriteStaircase: latency along one dimension (heads, QK, V, MLP or EMB)
//     with the others fixed, one colour and marker shape per EMB: measured
//     points as markers, and the cost model's prediction at every integer
//     width as a thinner line under them, so that the staircases between
//     measurements, and the measurements the model does not reproduce, show.
//     The legend keys "measured" and the model. Sweeps extracts the lines
//     from a table. Column width, 2.4 in tall; the y axis turns
//     logarithmic when latencies span a decade.
//   - WriteHeatMap: latency over heads × QK per head (HeadsQKGrid), each
//     cell labelled, viridis colours with a colour bar; the title says
//     whether the latencies are measured or predicted. Column width, 2.6 in.
//   - WritePredictedVsMeasured: each row of a k-fold evaluation
//     (costmodel.Eval) against its measurement, a colour and marker per kind
//     of row, with the identity line, a dark ±5% band and a light ±10% band
//     with dashed edges. Square, column width.
//   - WritePareto: latency against parameters, MACs or top-1 accuracy
//     (Metric), one colour and marker shape per group, filled where the
//     latency was measured and open where predicted, and the Pareto front
//     (Front) as a dashed step line. Column width, 2.6 in.
//   - WriteBlockDims: the per-block heads, QK, V and MLP of a few
//     architectures side by side (NViT's Fig. 4): four panels under a
//     legend row, page width (6.9 in), 3.4 in tall.
//   - WriteTrajectory: a pruning run's latency per step with its target,
//     and its accuracy below when the log has one, with 95% binomial
//     intervals when the number of test images is known and the dense
//     accuracy as a dotted reference. The accuracy axis is at least two
//     points tall, so that a few tenths of a point do not look like a cliff.
//     Column width, 2.2 in (3.4 in with accuracy).
//
// Every figure has a title that says what it shows (Options.Title replaces
// it) and, under the plot, one line saying what the latencies belong to:
// DeviceCaption of the table (device, runtime, dtype, batch, tokens), in
// Options.Caption or the figure's input; it shrinks, then is cut with an
// ellipsis, to stay one line. Axes of whole numbers (widths, heads, blocks,
// steps) have integer ticks only. Every marker shape (circle, triangle,
// square, diamond, down triangle) has a filled and an open form, and open
// always means predicted. The legend goes in the corner of the data area
// where it covers the least data, and point labels where they cover no
// marker, no other label and not the legend, with a leader line when set
// apart from their point.
//
// Outliers: a Pareto axis is logarithmic when its values span a decade.
// When one value (or two, of ten or more points) lies beyond a gap of more
// than 40% of an axis's range, the axis ends before it and the point is
// drawn at the axis's end, its label giving its true latency and value
// ("off scale: 1806 ms, 5.36M params"): an extrapolated DeiT shape no
// longer squeezes the family into a corner, and nothing is hidden. A
// broken axis was the alternative; gonum/plot has none, and clipping with
// the values written out reads as well.
//
// # Formats and sizes
//
// Figures are PNG (300 dpi by default, Options.DPI), SVG or PDF (Formats,
// ParseFormat). The default sizes fit a two-column paper: ColumnWidth
// (3.3 in) for one column, PageWidth (6.9 in) across both; Options.Width and
// Height override them. Text is 5.5–8 pt (titles 8, axis labels 7.5, ticks
// 7, legends 6.5, labels and captions 6) so that a figure printed at 100%
// reads at the size of a caption: include it at its natural width
// (\includegraphics without scaling, or width=\columnwidth for a 3.3 in
// column) rather than shrinking a larger one. Colours are Okabe–Ito
// (Palette), distinguishable with colour blindness, and series also differ
// by marker shape, so a figure survives greyscale printing. SVG output is
// byte-for-byte repeatable (the tests keep golden SVGs in testdata).
//
// # Reports
//
// NewReport takes a table and, optionally, a cost model, its evaluation, a
// generated family and a pruning trajectory (ReportInput), decides which
// figures apply and names them, captioned for the index page: latency-<dimension> for each dimension the
// table varies, heads-qk, predicted-vs-measured, pareto-params and
// pareto-macs, block-dims, trajectory. Figure.Write draws one in a format;
// Report.WriteIndex writes the Markdown page that lists them with the
// table's header, the model's accuracy per kind of row (warnings as
// footnotes) and notes on what was left out.
//
// # Pareto figures and families
//
// BuildPareto assembles a ParetoFigure from a latency function
// (costmodel.LatencyFunc of a model) and a table's header: the DeiT family
// in the table's geometry (DeiTFamily), the table's measured models
// (TableModels, whose measurements replace predictions), generated
// variants (arch.Family), the user's architectures, and accuracies read
// from a CSV (ReadAccuracy) joined by name and counts. Variants are
// labelled with their budgets, and budgets that gave the same architecture
// are one point ("0.4×, 0.5×"; ParetoPoint.Aliases). ResolveArch and
// KnownArchs turn the names users write into architectures. Reference
// chooses the architecture latency budgets are fractions of;
// WriteFamilyCSV and WriteFamilyText summarise a generated family, marking
// a variant an earlier budget already gave (the CSV's same_as column).
//
// reports imports arch, costmodel and gonum/plot only: it never compiles
// GoMLX, so its tests stay fast.
package reports
