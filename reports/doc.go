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
//     with the others fixed, one line per EMB: measured points as markers,
//     the cost model's prediction at every integer width as a line, so the
//     staircases a latency-aware pruner exploits show where they were
//     measured. Sweeps extracts the lines from a table. Column width,
//     2.4 in tall; the y axis turns logarithmic when latencies span a decade.
//   - WriteHeatMap: measured latency over heads × QK per head (HeadsQKGrid),
//     each cell labelled; viridis colours. Column width, 2.6 in.
//   - WritePredictedVsMeasured: each row of a k-fold evaluation
//     (costmodel.Eval) against its measurement, a colour and marker per kind
//     of row, with the identity line and ±5% / ±10% bands. Square, column
//     width.
//   - WritePareto: latency against parameters, MACs or top-1 accuracy
//     (Metric), one colour and marker shape per group, filled where the
//     latency was measured and open where predicted, and the Pareto front
//     (Front) as a dashed step line. Column width, 2.6 in.
//   - WriteBlockDims: the per-block heads, QK, V and MLP of a few
//     architectures side by side (NViT's Fig. 4): four panels, page width
//     (6.9 in), 3.4 in tall.
//   - WriteTrajectory: a pruning run's latency per step with its target, and
//     its accuracy below when the log has one. Column width, 2 in (3.2 in
//     with accuracy).
//
// # Formats and sizes
//
// Figures are PNG (300 dpi by default, Options.DPI), SVG or PDF (Formats,
// ParseFormat). The default sizes fit a two-column paper: ColumnWidth
// (3.3 in) for one column, PageWidth (6.9 in) across both; Options.Width and
// Height override them. Text is 6–8 pt so that a figure printed at 100%
// reads at the size of a caption: include it at its natural width
// (\includegraphics without scaling, or width=\columnwidth for a 3.3 in
// column) rather than shrinking a larger one. Colours are Okabe–Ito
// (Palette), distinguishable with colour blindness, and series also differ
// by marker shape, so a figure survives greyscale printing. SVG output is
// byte-for-byte repeatable.
//
// # Reports
//
// NewReport takes a table and, optionally, a cost model, its evaluation, a
// generated family and a pruning trajectory (ReportInput), decides which
// figures apply and names them: latency-<dimension> for each dimension the
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
// from a CSV (ReadAccuracy) joined by name and counts. ResolveArch and
// KnownArchs turn the names users write into architectures. Reference
// chooses the architecture latency budgets are fractions of;
// WriteFamilyCSV and WriteFamilyText summarise a generated family.
//
// reports imports arch, costmodel and gonum/plot only: it never compiles
// GoMLX, so its tests stay fast.
package reports
