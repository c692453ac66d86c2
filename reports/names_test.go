package reports

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/arch"
)

func TestKnownArchs(t *testing.T) {
	h := smallHeader()
	deitShape := DeiTFamily(h)[0]
	deitShape.Name = "Table-DeiT"
	models := []TableModel{{Spec: mini("Mini-128", 128, 4)}, {Spec: deitShape}, {Spec: mini("", 64, 2)}, {Spec: mini("clash", 32, 2)}}
	fam := []arch.Variant{{Spec: mini("revit-0.50x", 96, 4)}, {Spec: mini("CLASH", 48, 4)}}
	known := KnownArchs(h, models, fam)
	var got []string
	for _, k := range []string{"mini-128", "table-deit", "revit-0.50x", "clash"} {
		if s, ok := known[k]; ok {
			got = append(got, k+"="+s.Name)
		}
	}
	// DeiT's shape and the unnamed model are not known by name; a variant
	// wins a clash of names.
	if strings.Join(got, " ") != "mini-128=Mini-128 revit-0.50x=revit-0.50x clash=CLASH" || len(known) != 3 {
		t.Errorf("known %v (%d)", got, len(known))
	}
}

func TestResolveArch(t *testing.T) {
	known := map[string]arch.Spec{"mini": mini("Mini", 64, 2)}
	load := func(name string) (arch.Spec, error) {
		switch name {
		case "a.json":
			return mini("a", 32, 2), nil
		case "broken.json":
			return arch.Spec{}, errors.New("broken.json: bad JSON")
		}
		return arch.Spec{}, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	for _, tc := range []struct {
		name, want, err string
		load            func(string) (arch.Spec, error)
	}{
		{"deit-s", "deit-s", "", load},
		{"MINI", "Mini", "", load},
		{"a.json", "a", "", load},
		{"broken.json", "", "broken.json: bad JSON", load},
		{"none.json", "", `unknown architecture "none.json": not a preset (deit-b,`, load},
		{"a.json", "", `unknown architecture "a.json"`, nil},
	} {
		s, err := ResolveArch(tc.name, known, tc.load)
		switch {
		case tc.err == "" && (err != nil || s.Name != tc.want):
			t.Errorf("%s: %s, %v; want %s", tc.name, s.Name, err, tc.want)
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestReadAccuracy(t *testing.T) {
	resolve := func(name string) (arch.Spec, error) { return ResolveArch(name, nil, nil) }
	accs, err := ReadAccuracy(strings.NewReader("arch,top1\n# a comment\ndeit-s, 79.8\n deit-t,72.2\n"), "acc.csv", resolve)
	if err != nil {
		t.Fatal(err)
	}
	if len(accs) != 2 || accs[0].Spec.Name != "deit-s" || accs[0].Top1 != 79.8 || accs[1].Name != "deit-t" || accs[1].Top1 != 72.2 || accs[1].Source != "acc.csv" {
		t.Errorf("accuracies %+v", accs)
	}
	for _, tc := range []struct{ in, want string }{
		{"deit-s,79.8\nmy-net,80\n", `acc.csv:2: unknown architecture "my-net"`},
		{"deit-s,179.8\n", "acc.csv:1: top-1 179.8 is not a percentage"},
		{"deit-s,79.8\ndeit-t,high\n", `acc.csv:2: top-1 "high" is not a number`},
		{"deit-s,79.8,x\n", "acc.csv:1: want 2 fields (architecture,top1), got 3"},
		{"arch,top1\n", "acc.csv: no accuracy lines"},
		{"deit-s,\"79\n", "acc.csv: "},
	} {
		if _, err := ReadAccuracy(strings.NewReader(tc.in), "acc.csv", resolve); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// A pruning log as nvitprof prune writes it (accuracy a fraction, predicted
// latency, the target) reads as a trajectory in percent with the target.
func TestReadTrajectoryOfAPruneLog(t *testing.T) {
	log := `{"step":0,"predicted_ms":40,"target_ms":20,"accuracy":0.97,"params":1000}
{"step":1,"predicted_ms":30,"target_ms":20,"params":800}
{"step":2,"predicted_ms":20,"target_ms":20,"accuracy":0.955,"params":600}
`
	tr, err := ReadTrajectory(strings.NewReader(log), "log.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != 3 || tr.TargetMS != 20 || tr.Steps[0].Accuracy != 97 || tr.Steps[2].LatencyMS != 20 ||
		!math.IsNaN(tr.Steps[1].Accuracy) || tr.Steps[2].Params != 600 {
		t.Errorf("trajectory %+v", tr)
	}
	// A hand-made array in TrajectoryStep's form: accuracy already in %.
	tr, err = ReadTrajectory(strings.NewReader(`[{"step":0,"latency_ms":10,"accuracy":80},{"step":1,"latency_ms":8}]`), "t.json")
	if err != nil || len(tr.Steps) != 2 || tr.Steps[0].Accuracy != 80 || tr.Steps[1].LatencyMS != 8 || tr.TargetMS != 0 {
		t.Errorf("array: %+v %v", tr, err)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"step":0,"accuracy":0.9}`, "bad.jsonl: step 0 has neither latency_ms nor predicted_ms"},
		{``, "bad.jsonl: no steps"},
		{`{"step":0,`, "bad.jsonl: "},
	} {
		if _, err := ReadTrajectory(strings.NewReader(tc.in), "bad.jsonl"); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}
