package arch

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The paper's rule at EMB 384 as a rule file, written out by hand.
const defaultRuleFile = `{
  "version": 1,
  "name": "rule-emb384",
  "emb": 384,
  "depth": 12,
  "epsilon": [
    1,
    1,
    1,
    2,
    2,
    2,
    2,
    2,
    2,
    1,
    1,
    1
  ],
  "head_divisor": 100,
  "head_step": 2,
  "head_round": "nearest",
  "qk_divisor": 20,
  "qk_step": 8,
  "qk_round": "down",
  "v": 64,
  "mlp_factor": 3,
  "mlp_step": 1,
  "mlp_round": "nearest",
  "geometry": {
    "image": 224,
    "patch": 16,
    "channels": 3,
    "classes": 1000,
    "extra_tokens": 2
  }
}
`

func TestMarshalRuleWritesEveryField(t *testing.T) {
	data, err := MarshalRule(Rule{EMB: 384}, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != defaultRuleFile {
		t.Errorf("got\n%s\nwant\n%s", data, defaultRuleFile)
	}
	r, err := ParseRule([]byte(defaultRuleFile))
	if err != nil || !reflect.DeepEqual(r, DefaultRule(384)) {
		t.Errorf("parsed %v, %v; want DefaultRule(384)", r, err)
	}
}

// Any rule survives the file: random parameters, with and without EMB.
func TestRuleFileRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		r := randomRule(rng)
		if i%2 == 0 {
			r.EMB = 16 * (1 + rng.IntN(64))
		}
		r.Geometry = Geometry{Image: 32 * (1 + rng.IntN(8)), Patch: 4, Channels: 1 + rng.IntN(3), Classes: 10, ExtraTokens: 1 + rng.IntN(2)}
		data, err := MarshalRule(r, "note")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRule(data)
		if err != nil {
			t.Fatalf("rule %d: %v\n%s", i, err, data)
		}
		want := r.withDefaults()
		want.EMB, want.Name = r.EMB, r.Name
		if r.EMB > 0 {
			want.Name = r.withDefaults().Name
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rule %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestParseRuleRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, file, says string }{
		{"unknown field", `{"version": 1, "head_divisr": 90}`, `unknown field "head_divisr"`},
		{"no version", `{"emb": 384}`, `no "version"`},
		{"future version", `{"version": 2}`, "version 2, this nvitprof reads version 1"},
		{"trailing data", `{"version": 1} {}`, "trailing data"},
		{"bad divisor", `{"version": 1, "qk_divisor": -3}`, "QK divisor must be positive"},
		{"bad rounding", `{"version": 1, "mlp_round": "sideways"}`, `unknown rounding "sideways"`},
		{"profile length", `{"version": 1, "depth": 4, "epsilon": [1, 2]}`, "2 values for 4 blocks"},
		{"not JSON", `heads = 3`, "rule file:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRule([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v, want an error saying %q", err, tc.says)
			}
		})
	}
}

// A hand-written file gives only what differs; EMB may wait for generate.
func TestParseRuleFillsDefaults(t *testing.T) {
	r, err := ParseRule([]byte(`{"version": 1, "epsilon": [1, 3, 1], "mlp_factor": 2.5, "note": "by hand"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Rule{Depth: 3, Epsilon: []float64{1, 3, 1}, MLPFactor: 2.5}.withDefaults()
	want.EMB, want.Name = 0, ""
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}
