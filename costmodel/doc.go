// Package costmodel turns a latency table (package tablefmt) into
// predictions: the latency of any ViT architecture on the table's device,
// the latency saved by removing units (what a latency-aware pruner needs),
// and the model's own accuracy on configurations it was not fitted to.
//
// # Models
//
// Fit builds a Model of one of two kinds:
//
//   - ModelNViTInterp does what NVlabs/NViT's pruner does: multilinear
//     interpolation of the measured grid, with a plane of zeros at EMB 0.
//     Inversions in the table are kept, so a removal can be predicted to make
//     the model slower (Marginal reports an *InversionError).
//   - ModelHW (the default) keeps the measured grid, extrapolates it by a
//     compute/memory trend fitted to package arch's exact counts, and makes it
//     monotone (every node becomes the minimum over the nodes that dominate
//     it), so that removing units never predicts a slower model while the
//     measured staircases stay where they were measured. Readings that no
//     neighbour confirms are overridden first (see Busy machines).
//
// A whole model is its blocks plus the rest (patch embedding, tokens, norm,
// classifier). Model.Save and Load keep a model in a JSON file that records
// the table it came from (Source).
//
// # Blocks, and NViT's table
//
// One rule says what a block is, in predictions and in the NViT export
// (tablefmt.Blocks, tablefmt.Table.LUT): a decomposed table (attn rows, and
// mlp rows or no block rows) gives a block as attention + MLP, and its few
// block rows, which validate additivity, are not used even where they were
// measured; a table of whole blocks, such as NViT's latency_head.json, gives
// its block rows. So a table's NViT export and its nvit-interp model agree
// at every grid point.
//
// Below the smallest MLP width a table measured, both kinds predict toward
// the block without MLP, as NViT's interpolator does between MLP_1 and
// MLP_128: nvit-interp linearly from the smallest width, hw by its trend
// down to a quarter of that width and linearly below.
//
// Resample writes NViT's table over another grid (NViT's own axes,
// tablefmt.NViTGrid, which NViT's loader hard-codes): the table's blocks
// where it has them, the model's predictions elsewhere, refusing when the
// model refuses an entry (too far outside the table's grid).
//
// # Busy machines
//
// On a loaded machine a few readings are wrong: a configuration timed in a
// quiet moment, or one whose shallow stack was slowed, reads low, and the
// monotone envelope would cap every smaller configuration at that value (a
// plateau); a contended one reads high (a bump). The hw model guards
// against both. Its trend is fitted robustly (iteratively reweighted least
// squares with Huber's weight on the relative residual, coefficients still
// non-negative), and each measured grid point is compared with its
// neighbours — the nearest measured point on each side along each axis —
// in r = log(latency / trend), which takes out the trend's slope:
//
//   - a point is an outlier when its r lies beyond the r of every one of its
//     neighbours, on the same side, by more than τ = max(2σ, 0.05), σ being
//     the component's noise: 1.4826 × the median over its points of
//     |r − the median of the point's neighbours' r|. Along an axis where the
//     point is at the edge, the line through the two nearest points counts
//     as a neighbour too, so that a slope in r does not make the last point
//     look wrong;
//   - a step is a change of level that several neighbouring points share, so
//     each of them has a neighbour that agrees with it and none is an
//     outlier, however tall the step; a staircase repeated along another
//     axis (the same MLP widths slower at every EMB) is confirmed by the
//     neighbours along that axis. Two neighbouring points wrong the same way
//     also confirm each other, and are kept;
//   - a point is judged only with two neighbours or more, in a component with
//     at least 16 such points (else σ is too rough to judge by), and is kept
//     when its row records every pass's latency (tablefmt.Row.PassesMS) and
//     each pass lies beyond τ on the same side: the passes confirm it.
//
// The search is repeated without the outliers found, three rounds at most,
// σ estimated afresh each time (a wrong reading next to a wronger one shows
// once its neighbour is set aside). An outlier is then filled from its
// neighbours (in r, as a point no row measured) before the envelope.
// Model.Outliers lists them with what was measured and what the model used
// instead; model files keep the list. A point within 5% (in r) of any one of
// its neighbours is always kept as measured.
//
// # Sparse tables
//
// An adaptive sweep (package profiler) measures part of a grid. Fit leaves
// out the rows it marked validation (tablefmt.Row.Validation): they were
// measured to check the model, never to fit it. Decompose turns whole
// blocks into sub-blocks (blocks without MLP are the attention; a block at
// an attention also measured without MLP gives the MLP by difference), so
// that a sparse table of blocks fits two small grids rather than one of
// five dimensions; Fit does it for a table whose header says its blocks
// were sampled so (tablefmt.Sampling.Decompose), FitDecomposed for any.
// FitPrior starts from another table's model (another device or batch) and
// fits a smooth correction of it to the rows measured. Model.RowMS
// predicts a table row of any kind.
//
// # Predictions
//
// Model.Latency predicts an arch.Spec, Model.Speedup one against another,
// and Model.Marginal the latency a Removal saves (never negative for hw).
// Every query outside what the table can support (other tokens or geometry,
// widths far outside the grid) is refused with the range in the message;
// nothing is clamped.
//
// # Accuracy
//
// Eval cross-validates a model on its own table (k-fold, rows held out of the
// fit) and predicts the table's whole blocks and models from their parts. It
// reports MAPE, RMSPE, the share of predictions within ±5% and ±10%, the
// median and largest error, and Spearman's rank correlation per kind of row,
// and each whole model against its parts (with ModelNViTInterp, the sum of
// the parts as measured). Agreement compares two measurements of the same
// grid, kind by kind and pooled: the floor no model of either can beat.
// Validation rows get groups of their own (HowValidation), predicted by the
// model fitted to the rest of the table.
// Evaluation.WriteText prints it all in the manner of benchstat; WriteJSON
// and WriteCSV give the numbers.
//
// # Reports
//
// Model.Report predicts one architecture and its speedup over a reference
// as a PredictionReport, which prints itself as text or JSON.
package costmodel
