package pruner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/nvitprof/nvitprof/arch"
	"gonum.org/v1/gonum/stat"
)

// RunSummary is a finished pruning run as its directory records it: what
// it was asked (run.json) and where it ended (the final line of log.jsonl).
type RunSummary struct {
	Dir       string
	Target    float64 // fraction of the dense model's predicted latency
	Eta       float64
	RawEta    bool
	Selection string
	Seed      uint64
	Dense     arch.Dim
	DenseMS   float64
	Model     string  // the cost model's description
	DenseAcc  float64 // the dense model's top-1 (0..1) as the run scored it
	Final     StepLog
}

// ReadRun reads the run in dir.
func ReadRun(dir string) (RunSummary, error) {
	data, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return RunSummary{}, fmt.Errorf("pruner: %s is not a pruning run: %w", dir, err)
	}
	var cfg runConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return RunSummary{}, fmt.Errorf("pruner: %s: %w", filepath.Join(dir, RunFile), err)
	}
	logs, err := ReadLog(filepath.Join(dir, LogFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return RunSummary{}, fmt.Errorf("%w: %s", ErrUnfinished, dir)
		}
		return RunSummary{}, fmt.Errorf("pruner: %w", err)
	}
	if len(logs) == 0 || !logs[len(logs)-1].Final {
		return RunSummary{}, fmt.Errorf("%w: %s", ErrUnfinished, dir)
	}
	return RunSummary{Dir: dir, Target: cfg.Target, Eta: cfg.Eta, RawEta: cfg.RawEta, Selection: cfg.Selection,
		Seed: cfg.Seed, Dense: cfg.Dense, DenseMS: cfg.DenseMS, Model: cfg.Model,
		DenseAcc: logs[0].Accuracy, Final: logs[len(logs)-1]}, nil
}

// BlindMethod is the Method of the latency-blind baseline.
const BlindMethod = "eta 0"

// Method names how a run selected: BlindMethod for a latency-blind run
// (η = 0 with the greedy or ratio ranking, which then rank by saliency
// alone), else the selection and its η.
func (r RunSummary) Method() string {
	switch {
	case r.Eta == 0 && r.Selection != string(SelectKnapsack):
		return BlindMethod
	case r.Selection == string(SelectKnapsack) && r.Eta == 0:
		return "knapsack"
	case r.Selection == string(SelectGreedy) && r.RawEta:
		return fmt.Sprintf("NViT score, raw eta %g", r.Eta)
	case r.Selection == string(SelectGreedy):
		return fmt.Sprintf("NViT score, eta %g", r.Eta)
	}
	return fmt.Sprintf("%s, eta %g", r.Selection, r.Eta)
}

// Setting is what runs must share to be compared: the dense model (its
// dimensions, predicted latency and top-1 as scored), the cost model and
// the target.
type Setting struct {
	Target   float64
	Dense    string // dimensions
	DenseMS  float64
	DenseAcc float64
	Model    string
}

// Setting is r's.
func (r RunSummary) Setting() Setting {
	return Setting{Target: r.Target, Dense: dimString(r.Dense), DenseMS: r.DenseMS, DenseAcc: r.DenseAcc, Model: r.Model}
}

// PairedDiff is one method's top-1 minus the blind run's, over the seeds
// both were run with in one setting.
type PairedDiff struct {
	Method   string
	Seeds    []uint64
	Diffs    []float64 // top-1 points, per seed
	Mean     float64
	SE       float64 // standard error of the mean; NaN with fewer than two seeds
	NotWorse int     // seeds where the method is at least as accurate
}

// Comparison is the runs of one setting, by method, and each method's
// paired difference from the blind runs.
type Comparison struct {
	Setting Setting
	Methods map[string][]RunSummary // sorted by seed
	Paired  []PairedDiff            // one per method with blind runs of the same seeds
}

// Compare groups runs by setting and method and pairs every method with the
// blind runs by seed. A setting and method with two runs of one seed is
// refused: which would pair is ambiguous.
func Compare(runs []RunSummary) ([]Comparison, error) {
	bySetting := map[Setting]*Comparison{}
	var order []Setting
	for _, r := range runs {
		s := r.Setting()
		c := bySetting[s]
		if c == nil {
			c = &Comparison{Setting: s, Methods: map[string][]RunSummary{}}
			bySetting[s] = c
			order = append(order, s)
		}
		m := r.Method()
		for _, o := range c.Methods[m] {
			if o.Seed == r.Seed {
				return nil, fmt.Errorf("pruner: %s and %s are both %s runs with seed %d in one setting", o.Dir, r.Dir, m, r.Seed)
			}
		}
		c.Methods[m] = append(c.Methods[m], r)
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Target > order[j].Target })
	out := make([]Comparison, 0, len(order))
	for _, s := range order {
		c := bySetting[s]
		for _, rs := range c.Methods {
			sort.Slice(rs, func(i, j int) bool { return rs[i].Seed < rs[j].Seed })
		}
		blind := map[uint64]RunSummary{}
		for _, r := range c.Methods[BlindMethod] {
			blind[r.Seed] = r
		}
		for _, m := range c.MethodNames() {
			if m == BlindMethod {
				continue
			}
			p := PairedDiff{Method: m, SE: math.NaN()}
			for _, r := range c.Methods[m] {
				b, ok := blind[r.Seed]
				if !ok {
					continue
				}
				p.Seeds = append(p.Seeds, r.Seed)
				p.Diffs = append(p.Diffs, 100*(r.Final.Accuracy-b.Final.Accuracy))
			}
			if len(p.Diffs) == 0 {
				continue
			}
			p.summarise()
			c.Paired = append(c.Paired, p)
		}
		out = append(out, *c)
	}
	return out, nil
}

// MethodNames are c's methods, the blind one last.
func (c Comparison) MethodNames() []string {
	var names []string
	for m := range c.Methods {
		if m != BlindMethod {
			names = append(names, m)
		}
	}
	sort.Strings(names)
	if _, ok := c.Methods[BlindMethod]; ok {
		names = append(names, BlindMethod)
	}
	return names
}

// summarise sets p's mean, standard error and count of pairs not worse
// (within float rounding) from its differences.
func (p *PairedDiff) summarise() {
	var sd float64
	p.Mean, sd = stat.MeanStdDev(p.Diffs, nil)
	p.SE = math.NaN()
	if len(p.Diffs) > 1 {
		p.SE = sd / math.Sqrt(float64(len(p.Diffs)))
	}
	p.NotWorse = 0
	for _, d := range p.Diffs {
		if d >= -1e-9 {
			p.NotWorse++
		}
	}
}

// Pooled is a method's paired differences from the blind runs pooled over
// the settings of one target (other dense models, other tables): Seeds
// repeat across settings.
type Pooled struct {
	Target   float64
	Settings int
	PairedDiff
}

// Pool pools each method's pairs over the settings of each target, in
// the order of cs.
func Pool(cs []Comparison) []Pooled {
	type key struct {
		target float64
		method string
	}
	idx := map[key]int{}
	var out []Pooled
	for _, c := range cs {
		for _, p := range c.Paired {
			k := key{c.Setting.Target, p.Method}
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, Pooled{Target: k.target, PairedDiff: PairedDiff{Method: p.Method}})
			}
			out[i].Settings++
			out[i].Seeds = append(out[i].Seeds, p.Seeds...)
			out[i].Diffs = append(out[i].Diffs, p.Diffs...)
		}
	}
	for i := range out {
		out[i].summarise()
	}
	return out
}

// ReadRuns reads every run named by paths: a run directory itself (one
// holding run.json), or the run directories directly inside a folder.
// Unfinished runs are returned by directory in skipped; a path that is
// neither a run nor a folder holding one is an error.
func ReadRuns(paths []string) (runs []RunSummary, skipped []string, err error) {
	for _, p := range paths {
		dirs := []string{p}
		if !isRun(p) {
			if dirs, err = runsIn(p); err != nil {
				return nil, nil, err
			}
		}
		for _, dir := range dirs {
			r, err := ReadRun(dir)
			switch {
			case errors.Is(err, ErrUnfinished):
				skipped = append(skipped, dir)
			case err != nil:
				return nil, nil, err
			default:
				runs = append(runs, r)
			}
		}
	}
	return runs, skipped, nil
}

// isRun reports whether dir holds a run (its run.json).
func isRun(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, RunFile))
	return err == nil
}

// runsIn lists the run directories directly inside folder, refusing a
// folder without any.
func runsIn(folder string) ([]string, error) {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", folder, err)
	}
	var dirs []string
	for _, e := range entries {
		if sub := filepath.Join(folder, e.Name()); e.IsDir() && isRun(sub) {
			dirs = append(dirs, sub)
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s: neither a pruning run (no %s) nor a folder of them", folder, RunFile)
	}
	return dirs, nil
}

// ReadPrunedRun reads a finished pruning run in dir: its pruned
// architecture (PrunedArch), named after the directory, and its record
// (ReadRun). A directory without RunFile is not a run.
func ReadPrunedRun(dir string) (arch.Spec, RunSummary, error) {
	if _, err := os.Stat(filepath.Join(dir, RunFile)); err != nil {
		return arch.Spec{}, RunSummary{}, fmt.Errorf("%s is a directory but not a pruning run (no %s)", dir, RunFile)
	}
	run, err := ReadRun(dir)
	if err != nil {
		return arch.Spec{}, run, err
	}
	s, err := arch.ReadFile(filepath.Join(dir, PrunedArch))
	if err != nil {
		return arch.Spec{}, run, err
	}
	s.Name = filepath.Base(filepath.Clean(dir))
	return s, run, nil
}
