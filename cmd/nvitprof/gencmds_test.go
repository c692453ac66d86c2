package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
	"github.com/nvitprof/nvitprof/internal/testtables"
)

func TestArchReViTMatchesPaper(t *testing.T) {
	for _, tc := range []struct {
		preset        string
		params, macs  int64 // arch's exact counts, derived by hand in arch's tests
		mParams, gMAC float64
	}{
		{"revit-s", 23_123_280, 4_705_190_400, 23, 4.7},
		{"revit-t", 5_339_136, 1_135_290_112, 5.3, 1.1},
	} {
		var got struct {
			Params, MACs int64
			Tokens       int
			Dim          arch.Dim
		}
		if err := json.Unmarshal([]byte(run1(t, "arch", "--preset", tc.preset, "--format", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if got.Params != tc.params || got.MACs != tc.macs || got.Tokens != 198 {
			t.Errorf("%s: %+v", tc.preset, got)
		}
		if p, m := float64(got.Params)/1e6, float64(got.MACs)/1e9; p < tc.mParams-0.5 || p > tc.mParams+0.5 || m < tc.gMAC-0.05 || m > tc.gMAC+0.05 {
			t.Errorf("%s: %.2fM params, %.2fG MACs; want about %vM, %vG", tc.preset, p, m, tc.mParams, tc.gMAC)
		}
	}
}

// synthTable writes a small decomposed table in the quick preset's geometry
// (65 tokens) with latencies from a MAC formula, and a model row.
func synthTable(t *testing.T) string {
	t.Helper()
	h := tablefmt.Header{Version: tablefmt.FormatVersion, Device: "test", Tokens: 65, Batch: 8, Image: 32, Patch: 4, Channels: 3, Classes: 10}
	tab := tablefmt.Table{Header: h}
	for _, e := range []int{64, 96, 128} {
		for _, hd := range []int{1, 2, 4} {
			for _, q := range []int{8, 16, 32} {
				for _, v := range []int{32, 64} {
					b := arch.Block{Heads: hd, QK: q, V: v}
					tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindAttn, EMB: e, Heads: hd, QK: q, V: v,
						MedianMS: 0.5 + float64(arch.AttentionCounts(e, 65, b).MACs)/1e6})
				}
			}
		}
		for m := 64; m <= 512; m += 64 {
			tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindMLP, EMB: e, MLP: m, MedianMS: 0.3 + float64(arch.MLPCounts(e, 65, m).MACs)/1e6})
		}
		tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindRest, EMB: e, MedianMS: 0.2 + float64(e)/1000})
	}
	mini := arch.Spec{Name: "mini-128", Image: 32, Patch: 4, Channels: 3, Classes: 10, ExtraTokens: 1, EMB: 128,
		Blocks: arch.Uniform(4, arch.Block{Heads: 4, QK: 32, V: 32, MLP: 512})}
	d := mini.Dim()
	tab.Rows = append(tab.Rows, tablefmt.Row{Kind: tablefmt.KindModel, Name: "mini-128", EMB: 128, Dim: &d, MedianMS: 30})
	var buf bytes.Buffer
	if err := tab.WriteJSONL(&buf); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "synth.jsonl", buf.String())
}

func readSummary(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGenerateFamilyFollowsRuleAndBudget(t *testing.T) {
	table := synthTable(t)
	out := filepath.Join(t.TempDir(), "fam")
	stdout := run1(t, "generate", "-q", "--table", table, "--budget", "0.3:0.9:0.3", "--out", out)
	if !strings.Contains(stdout, "reference mini-128") || !strings.Contains(stdout, "3 variants written") {
		t.Errorf("stdout: %s", stdout)
	}
	rows := readSummary(t, filepath.Join(out, "summary.csv"))
	if len(rows) != 3 {
		t.Fatalf("%d summary rows", len(rows))
	}
	for i, r := range rows {
		budget, lat, target, ref := num(t, r["budget"]), num(t, r["latency_ms"]), num(t, r["target_ms"]), num(t, r["ref_latency_ms"])
		if want := 0.3 * float64(i+1); budget < want-1e-9 || budget > want+1e-9 || lat > target || target > budget*ref*(1+1e-5) {
			t.Errorf("row %d: budget %v latency %v target %v ref %v", i, budget, lat, target, ref)
		}
		data, err := os.ReadFile(filepath.Join(out, r["name"]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := arch.ParseFile(data)
		if err != nil {
			t.Fatal(err)
		}
		// The rule as written at the variant's EMB, over the reference's
		// depth (4: ε = 1, 2, 2, 1) and geometry, checked by hand.
		e := float64(s.EMB)
		if s.Depth() != 4 || s.Tokens() != 65 || strconv.Itoa(s.EMB) != r["emb"] {
			t.Fatalf("%s: %+v", r["name"], s)
		}
		for b, eps := range []float64{1, 2, 2, 1} {
			heads := int(eps*e/100/2+0.5) * 2
			qk := int(eps*e/20/8) * 8
			heads, qk = max(heads, 2), max(qk, 8)
			want := arch.Block{Heads: heads, QK: qk, V: 64, MLP: int(3 * eps * e)}
			if s.Blocks[b] != want {
				t.Errorf("%s block %d: %+v, rule %+v", r["name"], b, s.Blocks[b], want)
			}
		}
		if strconv.FormatInt(s.Params(), 10) != r["params"] || strconv.FormatInt(s.MACs(), 10) != r["macs"] {
			t.Errorf("%s: summary counts differ from the file's", r["name"])
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 4 {
		t.Errorf("output holds %d entries, want 3 variants + summary.csv", len(entries))
	}
	// Snapping never makes a variant slower than its budget.
	out2 := filepath.Join(t.TempDir(), "snap")
	run1(t, "generate", "-q", "--table", table, "--budget", "0.5", "--snap", "--out", out2)
	r := readSummary(t, filepath.Join(out2, "summary.csv"))[0]
	if num(t, r["latency_ms"]) > num(t, r["target_ms"]) || num(t, r["latency_ms"]) > num(t, r["rule_latency_ms"]) {
		t.Errorf("snapped variant: %v", r)
	}
}

func TestGenerateV100SpansBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "v100")
	run1(t, "generate", "-q", "--table", testtables.Path(t, testtables.NViTSynthetic), "--budget", "0.2:1.0:0.2", "--out", out)
	rows := readSummary(t, filepath.Join(out, "summary.csv"))
	if len(rows) != 5 || rows[0]["reference"] != "deit-b-distilled" {
		t.Fatalf("rows %v", rows)
	}
	for _, r := range rows {
		b, lat, ref := num(t, r["budget"]), num(t, r["latency_ms"]), num(t, r["ref_latency_ms"])
		// Widths step by 16 channels: each variant lands within 10% under its budget.
		if lat > b*ref || lat < 0.9*b*ref {
			t.Errorf("budget %v: latency %v of reference %v", b, lat, ref)
		}
	}
}

func TestParetoAndReportWriteFigures(t *testing.T) {
	table := synthTable(t)
	dir := t.TempDir()
	acc := writeFile(t, "acc.csv", "arch,top1\nrevit-0.50x,70.5\nmini-128,72\n")
	for _, ext := range []string{"png", "svg", "pdf"} {
		out := filepath.Join(dir, "pareto."+ext)
		stdout := run1(t, "pareto", "-q", "--table", table, "--out", out)
		if !strings.Contains(stdout, "Pareto front (params)") {
			t.Errorf("stdout: %s", stdout)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		switch ext {
		case "png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil || img.Bounds().Dx() != 990 || img.Bounds().Dy() != 780 {
				t.Errorf("pareto.png: %v %v", img.Bounds(), err)
			}
		case "svg":
			if !bytes.Contains(data, []byte("mini-128")) || !bytes.Contains(data, []byte("generated (revit)")) {
				t.Error("pareto.svg lacks its points")
			}
		case "pdf":
			if !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Error("pareto.pdf is not a PDF")
			}
		}
	}
	stdout := run1(t, "pareto", "-q", "--table", table, "--accuracy", acc, "--out", filepath.Join(dir, "acc.svg"))
	if !strings.Contains(stdout, "Pareto front (accuracy): revit-0.50x, mini-128") {
		t.Errorf("accuracy front: %s", stdout)
	}
	rep := filepath.Join(dir, "report")
	run1(t, "report", "-q", "--table", table, "--out", rep, "--formats", "png,svg")
	idx, err := os.ReadFile(filepath.Join(rep, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Cost model accuracy", "MAPE", "| tokens | 65 |", "latency-mlp.png", "heads-qk.png", "predicted-vs-measured.png", "pareto-params.png", "block-dims.png"} {
		if !bytes.Contains(idx, []byte(want)) {
			t.Errorf("index.md lacks %q", want)
		}
	}
	entries, _ := os.ReadDir(rep)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("staging left behind: %s", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".png") {
			f, _ := os.Open(filepath.Join(rep, e.Name()))
			if _, err := png.Decode(f); err != nil {
				t.Errorf("%s: %v", e.Name(), err)
			}
			f.Close()
		}
	}
}

func TestGenerateParetoReportBadInput(t *testing.T) {
	table := synthTable(t)
	dir := t.TempDir()
	empty := writeFile(t, "empty.jsonl", `{"nvitprof_table":1,"tokens":65}`+"\n")
	blocker := writeFile(t, "file", "x")
	unknown := writeFile(t, "acc.csv", "deit-s,79.8\nmy-net,80\n")
	badAcc := writeFile(t, "bad.csv", "deit-s,179.8\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"generate", "--table", table}, exitUsage, "--out"},
		{"bad budget", []string{"generate", "--table", table, "--budget", "1:0.2:0.1", "--out", dir}, exitUsage, "--budget"},
		{"bad rounding", []string{"generate", "--table", table, "--qk-round", "sideways", "--out", dir}, exitUsage, "rounding"},
		{"empty table", []string{"generate", "--table", empty, "--out", dir}, exitFailure, "no rows"},
		{"unwritable out", []string{"generate", "-q", "--table", table, "--out", filepath.Join(blocker, "sub")}, exitFailure, "output directory"},
		{"budget too small", []string{"generate", "-q", "--table", table, "--budget", "0.001", "--out", filepath.Join(dir, "small")}, exitFailure, "below the fastest"},
		{"no cost model", []string{"pareto", "--out", filepath.Join(dir, "p.png")}, exitUsage, "--table"},
		{"bad extension", []string{"pareto", "--table", table, "--out", filepath.Join(dir, "p.gif")}, exitUsage, "png, svg or pdf"},
		{"unknown accuracy arch", []string{"pareto", "-q", "--table", table, "--accuracy", unknown, "--out", filepath.Join(dir, "p.png")}, exitFailure, `acc.csv:2: unknown architecture "my-net"`},
		{"accuracy not a percentage", []string{"pareto", "-q", "--table", table, "--accuracy", badAcc, "--out", filepath.Join(dir, "p.png")}, exitFailure, "not a percentage"},
		{"accuracy metric without file", []string{"pareto", "--table", table, "--metric", "accuracy", "--out", filepath.Join(dir, "p.png")}, exitUsage, "--accuracy"},
		{"unwritable figure", []string{"pareto", "-q", "--table", table, "--out", filepath.Join(blocker, "p.png")}, exitFailure, "write"},
		{"report without table", []string{"report", "--out", dir}, exitUsage, "--table"},
		{"report empty table", []string{"report", "--table", empty, "--out", dir}, exitFailure, "no rows"},
		{"report unwritable", []string{"report", "-q", "--table", table, "--out", filepath.Join(blocker, "r")}, exitFailure, "output directory"},
		{"report bad format", []string{"report", "--table", table, "--formats", "png,bmp", "--out", dir}, exitUsage, "bmp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := nvitprof(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q: want one line mentioning %q", errOut, tc.want)
			}
		})
	}
	// Nothing half-written: failures left no file behind.
	if _, err := os.Stat(filepath.Join(dir, "p.png")); err == nil {
		t.Error("a failed pareto left p.png")
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "small")); len(entries) != 0 {
		t.Errorf("a failed generate left %d entries", len(entries))
	}
}

// A pruning log as nvitprof prune writes it (accuracy a fraction, predicted
// latency, the target) reads as a trajectory in percent with the target.
func TestReadTrajectoryOfAPruneLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	log := `{"step":0,"predicted_ms":40,"target_ms":20,"accuracy":0.97,"params":1000}
{"step":1,"predicted_ms":30,"target_ms":20,"params":800}
{"step":2,"predicted_ms":20,"target_ms":20,"accuracy":0.955,"params":600}
`
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := readTrajectory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 3 || tr.TargetMS != 20 || tr.Steps[0].Accuracy != 97 || tr.Steps[2].LatencyMS != 20 ||
		!math.IsNaN(tr.Steps[1].Accuracy) || tr.Steps[2].Params != 600 {
		t.Errorf("trajectory %+v", tr)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"step":0,"accuracy":0.9}`), 0o644)
	if _, err := readTrajectory(bad); err == nil {
		t.Error("a log without latencies accepted")
	}
}
