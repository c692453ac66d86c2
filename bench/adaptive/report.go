package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// writeMarkdown writes the results: per table, what it is, the adaptive
// sweep's own account, and a row per strategy and size.
func writeMarkdown(w io.Writer, results []tableResult, args []string) error {
	fmt.Fprintf(w, "Command: `go run ./bench/adaptive %s`\n\n", strings.Join(args, " "))
	for _, r := range results {
		fmt.Fprintf(w, "## %s\n\n%s: %d configurations in the grid, %d judged (every %s).\n\n", r.bt.name, r.bt.about, r.grid, r.evaluated, judged(r))
		for i, res := range r.adaptive {
			fmt.Fprintf(w, "- `%s`\n\n  %s\n", r.commandOf(i), res)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
		fmt.Fprintln(tw, "| strategy\t measured\t all ±5%\t all ±10%\t all median\t all max\t held-out ±5%\t held-out ±10%\t held-out max\t")
		fmt.Fprintln(tw, "|---\t---:\t---:\t---:\t---:\t---:\t---:\t---:\t---:\t")
		row := func(name string, p point) {
			held := fmt.Sprintf("%.2f%%\t %.2f%%\t %s", p.heldOut.W5, p.heldOut.W10, worst(p.heldOut.Worst))
			if p.heldOut.N == 0 {
				held = "n/a\t n/a\t n/a" // everything measured
			}
			fmt.Fprintf(tw, "| %s\t %d\t %.2f%%\t %.2f%%\t %.2f%%\t %s\t %s\t\n", name, p.measured,
				p.all.W5, p.all.W10, p.all.Median, worst(p.all.Worst), held)
		}
		row("full grid (5-fold)", r.full)
		for _, s := range r.series {
			for _, p := range thin(s.points) {
				row(s.name, p)
			}
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	return nil
}

func judged(r tableResult) string {
	rows := evaluated(r.bt.table)
	if len(rows) > 0 && rows[0].Kind == "block" {
		return "block of the table"
	}
	return "attention and MLP configuration of the table"
}

func (r tableResult) commandOf(i int) string { return r.commands[i] }

// worst is a largest error, "refused" when some prediction was (random
// samples can miss an axis's end: the model then refuses beyond it).
func worst(pct float64) string {
	if math.IsInf(pct, 1) {
		return "refused"
	}
	return fmt.Sprintf("%.1f%%", pct)
}

// thin keeps the points of a long trajectory at least 15% apart in
// measurements, and the last (the figure has them all).
func thin(pts []point) []point {
	var out []point
	for i, p := range pts {
		if i == 0 || i == len(pts)-1 || float64(p.measured) >= 1.15*float64(out[len(out)-1].measured) {
			out = append(out, p)
		}
	}
	return out
}
