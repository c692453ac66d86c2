package pytorch

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	def := DefaultOptions()
	for _, tc := range []struct {
		spec string
		want Options
	}{
		{"pytorch", def},
		{"pytorch:", def},
		{"pytorch:device=cpu,threads=2", Options{Device: "cpu", Threads: 2, Attention: "eager", Retries: 2}},
		{"pytorch:device=cuda:1,attention=sdpa,compile", Options{Device: "cuda:1", Threads: 1, Attention: "sdpa", Compile: true, Retries: 2}},
		{"pytorch:compile=false,retries=0,threads=0", Options{Device: "auto", Attention: "eager"}},
		{"pytorch:python=/opt/py/bin/python3, device=cuda", Options{Device: "cuda", Threads: 1, Attention: "eager", Retries: 2, Python: "/opt/py/bin/python3"}},
	} {
		got, err := ParseSpec(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func TestParseSpecRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"torch", "want pytorch or pytorch:OPTIONS"},
		{"pytorch:dtype=bfloat16", `unknown option "dtype" (known: device, threads, attention, compile, retries, python)`},
		{"pytorch:device=tpu", `device "tpu"`},
		{"pytorch:device=cuda:x", `device "cuda:x"`},
		{"pytorch:threads=-1", `threads "-1"`},
		{"pytorch:threads", `option "threads" needs a value`},
		{"pytorch:attention=flash", `attention "flash": want eager or sdpa`},
		{"pytorch:compile=maybe", `compile "maybe"`},
		{"pytorch:device=cpu,,threads=1", "empty option"},
	} {
		_, err := ParseSpec(tc.spec)
		if err == nil || !errors.Is(err, ErrSpec) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "--") {
			t.Errorf("ParseSpec(%q): %v; want an ErrSpec naming %q (and no flag)", tc.spec, err, tc.want)
		}
	}
}

func TestIsSpec(t *testing.T) {
	for s, want := range map[string]bool{
		"pytorch": true, "pytorch:device=cpu": true,
		"python3 runner.py": false, "pytorchrunner": false, "./pytorch": false,
	} {
		if IsSpec(s) != want {
			t.Errorf("IsSpec(%q) = %v", s, !want)
		}
	}
}

func TestArgs(t *testing.T) {
	o, _ := ParseSpec("pytorch:device=cuda:0,attention=sdpa,compile,threads=4")
	want := []string{"--device", "cuda:0", "--threads", "4", "--attention", "sdpa", "--retries", "2", "--compile"}
	if got := o.Args(); !slices.Equal(got, want) {
		t.Errorf("Args() = %v, want %v", got, want)
	}
}
