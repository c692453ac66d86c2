package arch

import (
	"reflect"
	"strings"
	"testing"
)

func TestFileRoundTrip(t *testing.T) {
	specs := []Spec{}
	for _, n := range PresetNames() {
		s, _ := Preset(n)
		specs = append(specs, s)
	}
	specs = append(specs, Spec{Name: "odd", Image: 32, Patch: 4, Channels: 1, Classes: 10, ExtraTokens: 1, EMB: 48,
		Blocks: []Block{{Heads: 3, QK: 8, V: 16, MLP: 96}, {Heads: 0, QK: 0, V: 0, MLP: 0}, {Heads: 1, QK: 2, V: 3, MLP: 5}}})
	for _, s := range specs {
		data, err := MarshalFile(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFile(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.Name, err, data)
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: round trip changed the spec:\n got %+v\nwant %+v", s.Name, back, s)
		}
	}
}

// A bare NViT dim object (as stored in NViT checkpoints) means a distilled 224² model.
func TestParseBareNViTDim(t *testing.T) {
	s, err := ParseFile([]byte(`{"EMB": 384, "head": [6, 6], "QK": [64, 32], "V": [64, 64], "MLP": [1536, 768]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Tokens() != 198 || s.Classes != 1000 || s.Blocks[1] != (Block{Heads: 6, QK: 32, V: 64, MLP: 768}) {
		t.Errorf("parsed %+v", s)
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "arch file"},
		{`[]`, "arch file"},
		{`{"EMB": 8, "head": [1], "QK": [8], "V": [8], "MLP": [8]} {}`, "trailing"},
		{`{"EMB": 8, "head": [1], "QK": [8], "V": [8]}`, "differ in length"},
		{`{"EMB": 8, "head": [], "QK": [], "V": [], "MLP": []}`, "at least one block"},
		{`{"EMB": 8, "head": [1], "QK": [0], "V": [8], "MLP": [8]}`, "QK per head must be positive"},
		{`{"EMB": 8, "head": [-1], "QK": [8], "V": [8], "MLP": [8]}`, "heads must not be negative"},
		{`{"EMB": 8, "extra_tokens": 3, "head": [1], "QK": [8], "V": [8], "MLP": [8]}`, "extra tokens"},
		{`{"EMB": 8.5, "head": [1], "QK": [8], "V": [8], "MLP": [8]}`, "arch file"},
	} {
		_, err := ParseFile([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFile(%q) error %v, want it to mention %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"EMB": 384, "head": [6], "QK": [64], "V": [64], "MLP": [1536]}`))
	f.Add([]byte(`{"name":"x","image":32,"patch":4,"channels":1,"classes":10,"extra_tokens":1,"EMB":8,"head":[0],"QK":[0],"V":[0],"MLP":[0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseFile(data)
		if err != nil {
			return
		}
		out, err := MarshalFile(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseFile(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip changed %+v into %+v", s, back)
		}
	})
}
