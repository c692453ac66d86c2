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
// (65 tokens) with latencies from a MAC formula, and a model row: fitted
// and evaluated in milliseconds, where a recorded sweep takes seconds.
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

// dirNames lists a directory.
func dirNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return strings.Join(n, " ")
}

// The table's model row (mini-128) is the reference; each variant's file is
// what the summary says.
func TestGenerateGolden(t *testing.T) {
	table := synthTable(t)
	out := filepath.Join(t.TempDir(), "fam")
	stdout := run1(t, "generate", "-q", "--table", table, "--budget", "0.3:0.9:0.3", "--out", out)
	checkGolden(t, "generate.stdout", strings.ReplaceAll(stdout, out, "OUT"))
	summary, err := os.ReadFile(filepath.Join(out, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "generate-summary.csv", string(summary))
	if got := dirNames(t, out); got != "revit-0.30x.json revit-0.60x.json revit-0.90x.json summary.csv" {
		t.Errorf("output holds %s", got)
	}
	for _, r := range readSummary(t, filepath.Join(out, "summary.csv")) {
		data, err := os.ReadFile(filepath.Join(out, r["name"]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := arch.ParseFile(data)
		if err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(s.EMB) != r["emb"] || strconv.FormatInt(s.Params(), 10) != r["params"] || s.Tokens() != 65 {
			t.Errorf("%s: the file's architecture (EMB %d, %d params) is not the summary's", r["name"], s.EMB, s.Params())
		}
	}
}

// NViT's grid and schema (the synthetic table): the reference is
// DeiT-B-distilled, whose 12 blocks are each a table entry, and every
// variant lands within 10% under its budget (widths step by 16 channels).
func TestGenerateNViTGridSpansBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "v100")
	run1(t, "generate", "-q", "--table", testtables.Path(t, testtables.NViTSynthetic), "--budget", "0.2:1.0:0.2", "--out", out)
	rows := readSummary(t, filepath.Join(out, "summary.csv"))
	if len(rows) != 5 || rows[0]["reference"] != "deit-b-distilled" {
		t.Fatalf("rows %v", rows)
	}
	// The LUT has no rest: the reference is its blocks, in ms.
	refMS := 12 * testtables.SyntheticSeconds(768, 12, 64, 64, 3072) * 1e3
	for i, r := range rows {
		b, lat, ref := num(t, r["budget"]), num(t, r["latency_ms"]), num(t, r["ref_latency_ms"])
		if want := 0.2 * float64(i+1); math.Abs(b-want) > 1e-9 || math.Abs(ref/refMS-1) > 1e-5 {
			t.Errorf("row %d: budget %v reference %v ms; want %v and %v ms", i, b, ref, want, refMS)
		}
		if lat > b*ref || lat < 0.9*b*ref {
			t.Errorf("budget %v: latency %v of reference %v", b, lat, ref)
		}
	}
}

// stderrNotes drops progress lines (their rates depend on the machine).
func stderrNotes(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" && !strings.HasPrefix(l, "pareto: ") && !strings.HasPrefix(l, "report: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func TestParetoGolden(t *testing.T) {
	table := synthTable(t)
	dir := t.TempDir()
	// An architecture file, named by --point and, relative to the
	// accuracy file, by the accuracy file.
	accDir := t.TempDir()
	acc, mine := filepath.Join(accDir, "acc.csv"), filepath.Join(accDir, "mine.json")
	os.WriteFile(acc, []byte("arch,top1\nrevit-0.50x,70.5\nmini-128,72\nmine.json,65\n"), 0o644)
	os.WriteFile(mine, []byte(`{"image": 32, "patch": 4, "classes": 10, "extra_tokens": 1, "EMB": 96, "head": [2, 2, 2, 2],
		"QK": [16, 16, 16, 16], "V": [32, 32, 32, 32], "MLP": [256, 256, 256, 256]}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"pareto", []string{"--out", filepath.Join(dir, "p.png")}},
		{"pareto-accuracy", []string{"--accuracy", acc, "--point", mine, "--out", filepath.Join(dir, "acc.svg")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := nvitprof(t, append([]string{"pareto", "--table", table}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			checkGolden(t, tc.name+".stdout", strings.ReplaceAll(stdout, dir, "DIR"))
			stderr = strings.ReplaceAll(stderr, accDir, "ACCDIR")
			checkGolden(t, tc.name+".stderr", stderrNotes(stderr))
		})
	}
	f, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// One column (3.3 in) by 2.6 in at 300 dpi.
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() != 990 || img.Bounds().Dy() != 780 {
		t.Errorf("p.png: %v", err)
	}
	if svg, _ := os.ReadFile(filepath.Join(dir, "acc.svg")); !bytes.Contains(svg, []byte("mini-128")) || !bytes.Contains(svg, []byte("generated (revit)")) {
		t.Error("acc.svg lacks its points")
	}
}

func TestReportGolden(t *testing.T) {
	table := synthTable(t)
	log := writeFile(t, "log.jsonl", `{"step":0,"predicted_ms":300,"target_ms":150,"accuracy":0.97}
{"step":1,"predicted_ms":150,"target_ms":150,"accuracy":0.95}
`)
	out := filepath.Join(t.TempDir(), "report")
	stdout := run1(t, "report", "-q", "--table", table, "--formats", "svg", "--trajectory", log, "--out", out)
	checkGolden(t, "report.stdout", strings.ReplaceAll(stdout, out, "OUT"))
	idx, err := os.ReadFile(filepath.Join(out, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The first lines name the table's temporary path and the time.
	_, rest, _ := strings.Cut(string(idx), "## Table")
	checkGolden(t, "report-index.md", "## Table"+strings.ReplaceAll(rest, table, "TABLE"))
	want := "block-dims.svg heads-qk.svg index.md latency-emb.svg latency-heads.svg latency-mlp.svg latency-qk.svg latency-v.svg " +
		"pareto-macs.svg pareto-params.svg predicted-vs-measured.svg trajectory.svg"
	if got := dirNames(t, out); got != want {
		t.Errorf("report holds\n%s\nwant\n%s", got, want)
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
		{"no geometry", []string{"generate", "--table", empty, "--out", dir}, exitFailure, "no rows"},
		{"unwritable out", []string{"generate", "-q", "--table", table, "--out", filepath.Join(blocker, "sub")}, exitFailure, "output directory"},
		{"budget too small", []string{"generate", "-q", "--table", table, "--budget", "0.001", "--out", filepath.Join(dir, "small")}, exitFailure, "below the fastest"},
		{"no cost model", []string{"pareto", "--out", filepath.Join(dir, "p.png")}, exitUsage, "--table"},
		{"bad extension", []string{"pareto", "--table", table, "--out", filepath.Join(dir, "p.gif")}, exitUsage, "png, svg or pdf"},
		{"unknown point", []string{"pareto", "-q", "--table", table, "--point", "my-net", "--out", filepath.Join(dir, "p.png")}, exitUsage, `--point: unknown architecture "my-net"`},
		{"point not predicted", []string{"pareto", "-q", "--table", table, "--point", "deit-b", "--out", filepath.Join(dir, "p.png")}, exitFailure, "--point deit-b: "},
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
	// Nothing half-written: failures left no file or folder behind.
	if got := dirNames(t, dir); got != "" {
		t.Errorf("failures left %s", got)
	}
}
