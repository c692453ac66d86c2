package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/profiler"
	"github.com/nvitprof/nvitprof/reports"
	"github.com/urfave/cli/v2"
)

// quickstartCmd runs the whole pipeline on the embedded default device: the
// README's main job. Each stage prints the command that does it alone.
func quickstartCmd() *cli.Command {
	return &cli.Command{
		Name:  "quickstart",
		Usage: "the whole pipeline on one device: sweep, fit, eval, generate, Pareto figure, report",
		Description: `Does, into --out DIR, what these commands do (each stage prints its command):
  nvitprof sweep --preset quick --out DIR/table.jsonl --resume   (minutes on the CPU)
  nvitprof fit --table DIR/table.jsonl --out DIR/model.json
  nvitprof eval --table DIR/table.jsonl
  nvitprof generate --table DIR/table.jsonl --out DIR/variants
  nvitprof pareto --table DIR/table.jsonl --out DIR/pareto.png
  nvitprof report --table DIR/table.jsonl --model DIR/model.json --out DIR/report
A rerun continues the sweep where it stopped (a finished table is reused as it is)
and redoes the other stages. Remove DIR to measure afresh.`,
		Flags: []cli.Flag{
			deviceFlag, pluginFlag, threadsFlag,
			&cli.StringFlag{Name: "preset", Value: "quick", Usage: "sweep preset"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "nvitprof-out", Usage: "output `DIR`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: runQuickstart,
	}
}

// quickstart is one run of the pipeline into dir.
type quickstart struct {
	c                                      *cli.Context
	dir                                    string
	table, model, variants, report, figure string // output paths
}

func runQuickstart(c *cli.Context) error {
	dir := c.String("out")
	q := &quickstart{c: c, dir: dir, table: filepath.Join(dir, "table.jsonl"), model: filepath.Join(dir, "model.json"),
		variants: filepath.Join(dir, "variants"), report: filepath.Join(dir, "report"), figure: filepath.Join(dir, "pareto.png")}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("quickstart: %w", err)
	}
	for _, p := range []string{q.model, q.variants, q.report, q.figure} {
		if err := os.RemoveAll(p); err != nil { // regenerated from the table
			return fmt.Errorf("quickstart: %w", err)
		}
	}
	lt, err := q.sweep()
	if err != nil {
		return fmt.Errorf("quickstart: sweep: %w", err)
	}
	m, ev, err := q.fitAndEval(lt)
	if err != nil {
		return err
	}
	ref, fam, err := q.generate(lt, m)
	if err != nil {
		return fmt.Errorf("quickstart: generate: %w", err)
	}
	if err := q.pareto(lt, m, fam); err != nil {
		return fmt.Errorf("quickstart: pareto: %w", err)
	}
	if err := q.writeReport(lt, m, ev, ref, fam); err != nil {
		return fmt.Errorf("quickstart: report: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "done: %s (table, model, variants, pareto.png, report/index.md)\n", dir)
	return nil
}

// stage announces a stage by the command that does it alone.
func (q *quickstart) stage(args ...string) {
	fmt.Fprintf(q.c.App.ErrWriter, "== nvitprof %s\n", strings.Join(args, " "))
}

// sweep measures the preset into the table, continuing what is there.
func (q *quickstart) sweep() (loadedTable, error) {
	c := q.c
	args := []string{"sweep", "--device", c.String("device"), "--preset", c.String("preset"), "--out", q.table, "--resume"}
	if c.IsSet("threads") {
		args = append(args, "--threads", fmt.Sprint(c.Int("threads")))
	}
	q.stage(args...)
	plan, err := profiler.NewPlan(profiler.PlanOptions{Device: c.String("device"), Plugin: c.String("plugin"), Preset: c.String("preset"),
		WorkerCommand: selfRunner(c.String("plugin")), Threads: threadsOption(c), Version: version})
	if err != nil {
		return loadedTable{}, optionUsage(err)
	}
	res, err := plan.Run(c.Context, q.table, profiler.RunOptions{Resume: true, Log: c.App.ErrWriter,
		Progress: passProgress(c.App.ErrWriter, c.Bool("quiet")), Again: "rerun the quickstart with the same --out"})
	printPassSpread(c.App.ErrWriter, res, q.table)
	if err != nil {
		return loadedTable{}, err
	}
	t, err := tablefmt.Open(q.table, tablefmt.OpenOptions{})
	return loadedTable{Table: t.Table, Path: t.Path, Format: string(t.Format)}, err
}

// fitAndEval fits the hw model, saves it, and evaluates it (5-fold).
func (q *quickstart) fitAndEval(lt loadedTable) (*costmodel.Model, *costmodel.Evaluation, error) {
	q.stage("fit", "--table", q.table, "--out", q.model)
	m, err := fitTable(lt, costmodel.ModelHW)
	if err == nil {
		err = m.SaveFile(q.model)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("quickstart: fit: %w", err)
	}
	fmt.Fprintf(q.c.App.Writer, "%s written to %s\n", m, q.model)
	q.stage("eval", "--table", q.table)
	ev, err := costmodel.Eval(lt.Table, costmodel.EvalOptions{Kind: costmodel.ModelHW, Path: lt.Path, Format: lt.Format})
	if err == nil {
		err = ev.WriteText(q.c.App.Writer)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("quickstart: eval: %w", err)
	}
	return m, ev, nil
}

// generate writes the paper's rule's variants across the default budgets.
func (q *quickstart) generate(lt loadedTable, m *costmodel.Model) (arch.Spec, []arch.Variant, error) {
	q.stage("generate", "--table", q.table, "--out", q.variants)
	ref, err := reports.Reference(lt.Header, reports.TableModels(lt.Table))
	if err != nil {
		return ref, nil, err
	}
	budgets, err := parseBudgets(defaultBudgets)
	if err != nil {
		return ref, nil, err
	}
	prog := newProgress(q.c.App.ErrWriter, "generate", len(budgets), q.c.Bool("quiet"))
	fam, err := arch.Family(q.c.Context, costmodel.LatencyFunc(m), arch.FamilyOptions{
		Rule: arch.Rule{Depth: ref.Depth(), Geometry: ref.Geometry(), Name: defaultRuleName}, Ref: ref, Budgets: budgets,
		Progress:    func(done, _ int, v arch.Variant) { prog.step(done, v.Spec.Name) },
		Unreachable: unreachableBudget(q.c.App.ErrWriter)})
	prog.finish()
	if err != nil {
		return ref, nil, err
	}
	return ref, fam, writeVariants(q.c.App.Writer, q.variants, fam, ref, m)
}

// pareto draws the table's models, the DeiT family and the variants.
func (q *quickstart) pareto(lt loadedTable, m *costmodel.Model, fam []arch.Variant) error {
	q.stage("pareto", "--table", q.table, "--out", q.figure)
	fig, warnings, err := reports.BuildPareto(reports.ParetoInput{Header: m.Header(), Latency: costmodel.LatencyFunc(m),
		Models: reports.TableModels(lt.Table), Variants: fam, VariantGroup: variantGroup(defaultRuleName), Metric: reports.MetricParams})
	if err != nil {
		return err
	}
	return writeParetoFigure(q.c, q.figure, reports.PNG, fig, warnings)
}

// writeReport writes every figure and the index page into the report folder.
func (q *quickstart) writeReport(lt loadedTable, m *costmodel.Model, ev *costmodel.Evaluation, ref arch.Spec, fam []arch.Variant) error {
	q.stage("report", "--table", q.table, "--model", q.model, "--out", q.report)
	in := reports.ReportInput{Table: lt.Table, Path: lt.Path, Format: lt.Format, Model: m, Eval: ev, Ref: ref, Family: fam,
		FamilyGroup: variantGroup(defaultRuleName), Formats: reports.Formats(), Version: version, Time: time.Now()}
	return writeReportDir(q.c, q.report, reports.NewReport(in))
}
