package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/internal/atomicfile"
	"github.com/nvitprof/nvitprof/pruner"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

func reportCmd() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write every figure that applies to a latency table, and an index page (Markdown)",
		Description: "Figures: latency along each dimension with the cost model (staircases), a heads × QK heat map,\n" +
			"predicted against measured latency (k-fold) with ±5%/±10% bands, the Pareto front of the DeiT\n" +
			"family and the rule's variants, their per-block dimensions, and a pruning trajectory when\n" +
			"--trajectory is given. index.md lists them with the table's header and the model's accuracy.\n" +
			"Example: nvitprof report --table quick.jsonl --out report/",
		Flags: append(append(costFlags(), ruleFlags()...),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR`"},
			&cli.StringFlag{Name: "formats", Value: "png,svg,pdf", Usage: "figure formats, comma-separated: png, svg, pdf"},
			&cli.StringFlag{Name: "trajectory", Usage: "a pruning run's per-step log `FILE` (nvitprof prune's log.jsonl, or JSON lines of {step, latency_ms, accuracy %})"},
			&cli.IntFlag{Name: "folds", Value: 5, Usage: "`K` of the k-fold evaluation"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
			forceFlag(),
		),
		Action: reportAction,
	}
}

func reportAction(c *cli.Context) error {
	in, err := reportInput(c)
	if err != nil {
		return err
	}
	kind, err := modelKind(c)
	if err != nil && c.String("model") == "" {
		return err
	}
	lt, err := loadTable(c)
	if err != nil {
		return err
	}
	if c.String("model") != "" {
		if in.Model, err = costmodel.LoadFile(c.String("model")); err != nil {
			return err
		}
		kind = in.Model.Kind()
	} else if in.Model, err = fitTable(lt, kind); err != nil {
		return err
	}
	in.Table, in.Path, in.Format = lt.Table, lt.Path, lt.Format
	if in.Eval, err = costmodel.Eval(lt.Table, costmodel.EvalOptions{Kind: kind, Folds: c.Int("folds")}); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	in.Eval.Source.Path, in.Eval.Source.Format = lt.Path, lt.Format
	cs := costSource{Model: in.Model, Table: &lt}
	in.Ref, in.Family, in.FamilyErr = refAndFamily(c, cs)
	return writeReportDir(c, c.String("out"), reports.NewReport(in))
}

// reportInput checks the flags and reads --trajectory.
func reportInput(c *cli.Context) (reports.ReportInput, error) {
	in := reports.ReportInput{Version: version, Time: time.Now(), FamilyGroup: variantGroup(c.String("name"))}
	if c.String("table") == "" {
		return in, usagef("--table FILE is required: the report describes a table (add --model M to predict with a saved model)")
	}
	if err := checkOverwrite(c, "out", filepath.Join(c.String("out"), "index.md")); err != nil {
		return in, err
	}
	var err error
	if in.Formats, err = reports.ParseFormats(c.String("formats")); err != nil {
		return in, usageError{err}
	}
	if _, err := parseBudgets(c.String("budget")); err != nil {
		return in, err
	}
	if p := c.String("trajectory"); p != "" {
		t, err := readTrajectory(p)
		if err != nil {
			return in, err
		}
		in.Trajectory = &t
	}
	return in, nil
}

// refAndFamily is the budgets' reference and the rule's variants, with
// progress on stderr.
func refAndFamily(c *cli.Context, cs costSource) (arch.Spec, []arch.Variant, error) {
	ref, err := defaultRef(c, cs)
	if err != nil {
		return ref, nil, err
	}
	budgets, _ := parseBudgets(c.String("budget"))
	prog := newProgress(c.App.ErrWriter, "pareto", len(budgets), c.Bool("quiet"))
	defer prog.finish()
	fam, err := family(c, cs, ref, func(done, _ int, v arch.Variant) { prog.step(done, v.Spec.Name) })
	return ref, fam, err
}

// writeReport stages every figure of rep in every format.
func writeReport(out *atomicfile.Dir, rep *reports.Report, prog *progress) error {
	for i, fg := range rep.Figures {
		for _, f := range rep.Formats {
			name := fg.Name + "." + string(f)
			err := out.WriteFile(name, func(w io.Writer) error {
				if err := fg.Write(w, f); err != nil {
					return fmt.Errorf("figure %s: %w", name, err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		prog.logf("report: %d/%d %s", i+1, len(rep.Figures), fg.Name)
	}
	return nil
}

// readTrajectory reads a pruning log file (reports.ReadTrajectory), naming
// the run after its directory (or the file, when it is not log.jsonl).
func readTrajectory(path string) (reports.Trajectory, error) {
	f, err := os.Open(path)
	if err != nil {
		return reports.Trajectory{}, fmt.Errorf("trajectory: %w", err)
	}
	defer f.Close()
	tr, err := reports.ReadTrajectory(f, path)
	tr.Run = filepath.Base(filepath.Dir(path))
	if base := filepath.Base(path); base != pruner.LogFile {
		tr.Run = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return tr, err
}

// writeReportDir writes every figure of rep in every format and the index
// page into dir, all or nothing, with progress on stderr.
func writeReportDir(c *cli.Context, dir string, rep *reports.Report) error {
	out, err := newOutDir(dir)
	if err != nil {
		return err
	}
	defer out.Abort()
	prog := newProgress(c.App.ErrWriter, "report", len(rep.Figures), c.Bool("quiet"))
	if err := writeReport(out, rep, prog); err != nil {
		return err
	}
	prog.finish()
	if err := out.WriteFile("index.md", rep.WriteIndex); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%d figures (%d files) and index.md written to %s\n", len(rep.Figures), len(rep.Figures)*len(rep.Formats), dir)
	return nil
}
