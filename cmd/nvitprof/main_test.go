package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nvitprof runs the CLI in-process and returns its output and exit code.
func nvitprof(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx := context.Background()
	err := run(ctx, &out, &errb, append([]string{"nvitprof"}, args...))
	code = exitCode(ctx, err, &errb)
	return out.String(), errb.String(), code
}

func TestArchJSONMatchesPublishedFigures(t *testing.T) {
	for _, tc := range []struct {
		preset      string
		params, mac float64 // published: millions, GMACs
	}{
		{"deit-t", 5.7, 1.3},
		{"deit-s", 22, 4.6},
		{"deit-b", 86, 17.6},
	} {
		out, errOut, code := nvitprof(t, "arch", "--preset", tc.preset, "--format", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.preset, code, errOut)
		}
		var got struct {
			Params int64 `json:"params"`
			MACs   int64 `json:"macs"`
			Dim    struct {
				EMB  int   `json:"EMB"`
				Head []int `json:"head"`
			} `json:"dim"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: output is not one JSON object: %v\n%s", tc.preset, err, out)
		}
		if p := float64(got.Params) / 1e6; p < tc.params*0.97 || p > tc.params*1.03 {
			t.Errorf("%s: params %.2fM, published %.1fM", tc.preset, p, tc.params)
		}
		if m := float64(got.MACs) / 1e9; m < tc.mac*0.96 || m > tc.mac*1.04 {
			t.Errorf("%s: %.2fG MACs, published %.1fG", tc.preset, m, tc.mac)
		}
		if len(got.Dim.Head) != 12 || got.Dim.EMB == 0 {
			t.Errorf("%s: dim object incomplete: %+v", tc.preset, got.Dim)
		}
	}
}

func TestArchFileRoundTripsThroughCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	dim := `{"EMB": 64, "head": [2, 1], "QK": [16, 8], "V": [16, 16], "MLP": [128, 0]}`
	if err := os.WriteFile(path, []byte(dim), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := nvitprof(t, "arch", "--arch", path, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"MLP":[128,0]`) || !strings.Contains(out, `"head":[2,1]`) {
		t.Errorf("dims not echoed: %s", out)
	}
}

func TestBadInputIsOneLineAndNonZero(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown preset", []string{"arch", "--preset", "deit-xl"}, exitUsage, "unknown preset"},
		{"no architecture", []string{"arch"}, exitUsage, "--preset"},
		{"both", []string{"arch", "--preset", "deit-t", "--arch", "x.json"}, exitUsage, "not both"},
		{"unknown flag", []string{"arch", "--bogus"}, exitUsage, "bogus"},
		{"bad format", []string{"arch", "--preset", "deit-t", "--format", "xml"}, exitUsage, "format"},
		{"missing file", []string{"arch", "--arch", filepath.Join(dir, "none.json")}, exitFailure, "no such file"},
		{"malformed json", []string{"arch", "--arch", write("m.json", `{"EMB": 64, "head": [2`)}, exitFailure, "arch file"},
		{"typo key", []string{"arch", "--arch", write("k.json", `{"EMB": 64, "heads": [2], "QK": [8], "V": [8], "MLP": [8]}`)}, exitFailure, "unknown field"},
		{"ragged lists", []string{"arch", "--arch", write("r.json", `{"EMB": 64, "head": [2], "QK": [8, 8], "V": [8], "MLP": [8]}`)}, exitFailure, "differ in length"},
		{"negative dim", []string{"arch", "--arch", write("n.json", `{"EMB": 64, "head": [2], "QK": [-8], "V": [8], "MLP": [8]}`)}, exitFailure, "QK"},
		{"zero emb", []string{"arch", "--arch", write("z.json", `{"EMB": 0, "head": [2], "QK": [8], "V": [8], "MLP": [8]}`)}, exitFailure, "EMB"},
		{"patch does not divide", []string{"arch", "--arch", write("p.json", `{"image": 30, "patch": 16, "EMB": 64, "head": [2], "QK": [8], "V": [8], "MLP": [8]}`)}, exitFailure, "divide"},
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
}

// No command, an unknown one, or an argument nobody reads is a usage error.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // the last line of stderr
	}{
		{"no command", nil, "nvitprof: no command given"},
		{"unknown command", []string{"bogus"}, `nvitprof: unknown command "bogus" (see nvitprof --help)`},
		{"no subcommand", []string{"demo"}, "nvitprof: demo: no command given"},
		{"unknown subcommand", []string{"demo", "bogus"}, `nvitprof: unknown demo command "bogus" (see nvitprof demo --help)`},
		{"stray argument", []string{"arch", "--preset", "deit-t", "extra"}, `nvitprof: arch takes no arguments, got "extra" (flags go before arguments; see --help)`},
		{"flag after argument", []string{"arch", "deit-t", "--preset", "deit-s"}, `nvitprof: arch takes no arguments, got "deit-t" (flags go before arguments; see --help)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := nvitprof(t, tc.args...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != exitUsage || out != "" || lines[len(lines)-1] != tc.want {
				t.Errorf("exit %d, stdout %q, stderr ends %q; want exit 2, no stdout, %q", code, out, lines[len(lines)-1], tc.want)
			}
			if help := strings.Contains(tc.want, "no command given"); help != strings.Contains(errOut, "USAGE:") {
				t.Errorf("help on stderr %v, want %v: %q", !help, help, errOut)
			}
		})
	}
}
