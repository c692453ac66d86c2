package tablefmt

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nvitprof/nvitprof/internal/testtables"
)

// tinyLUT is a LUT in NViT's schema with DeiT-B's block and one with V 32.
const tinyLUT = `{"EMB_768": {"QK_12_64": {"V_32": {"MLP_1": 0.0035, "MLP_3072": 0.011}, "V_64": {"MLP_1": 0.004, "MLP_3072": 0.0123}}}}`

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       Format
	}{
		{"jsonl", `{"nvitprof_table":1,"device":"cpu"}` + "\n" + `{"kind":"rest","emb":8,"median_ms":1}`, FormatJSONL},
		{"jsonl header only", `{"nvitprof_table":1}`, FormatJSONL},
		// A header cut short is still a JSONL table (and an error to read).
		{"jsonl cut header", `{"device":"cpu","nvitprof_table"`, FormatJSONL},
		{"jsonl after BOM and blank lines", "\ufeff\r\n \n" + `{"nvitprof_table":1}`, FormatJSONL},
		{"lut", tinyLUT, FormatNViTLUT},
		{"lut on several lines", "{\n \"EMB_8\": {}\n}", FormatNViTLUT},
		{"empty LUT", "{ }", FormatNViTLUT},
		{"LUT cut before its first key", "{", FormatNViTLUT},
		{"pretty-printed header", "{\n  \"nvitprof_table\": 1\n}", FormatJSONL},
		{"any other JSON object", `{"a": 1}`, ""},
		{"a model file", "{\n \"nvitprof_model\": 1,\n", ""},
		{"csv", "kind,emb,mlp,median_ms\nmlp,64,128,0.5\n", FormatCSV},
		{"csv with a comment", "# made by hand\nkind,median_ms\n", FormatCSV},
		{"csv with a typo", "kind,median_mss\n", FormatCSV},
		{"csv quoted", `"kind","median_ms"`, FormatCSV},
		{"empty", "", ""},
		{"white space", " \n\t\r\n", ""},
		{"JSON array", "[1]", ""},
		{"other columns", "a,b,c\n1,2,3\n", ""},
		{"binary", "\x00\x8f,\x01kind\xff", ""},
	} {
		if got := DetectFormat([]byte(tc.data)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDecodeEachFormat(t *testing.T) {
	jsonl := `{"nvitprof_table":1,"tokens":197,"batch":4}` + "\n" +
		`{"kind":"rest","emb":64,"median_ms":0.5}` + "\n" + `{"kind":"mlp","emb":64,"mlp":` + "\n"
	o, err := Decode([]byte(jsonl), "t.jsonl", OpenOptions{Tokens: 5, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	// A JSONL table states its own tokens and batch; the cut line is data.
	if o.Format != FormatJSONL || o.Path != "t.jsonl" || len(o.Rows) != 1 || o.Header.Tokens != 197 || o.Header.Batch != 4 ||
		len(o.Skipped) != 1 || o.Skipped[0].Line != 3 {
		t.Errorf("jsonl: %+v", o)
	}

	o, err = Decode([]byte("kind,emb,mlp,median_ms\nmlp,64,128,0.5\n"), "t.csv", OpenOptions{Tokens: 197, Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	want := Header{Version: FormatVersion, Tokens: 197, Batch: 8, Source: "t.csv"}
	if o.Format != FormatCSV || !reflect.DeepEqual(o.Header, want) || len(o.Rows) != 1 || o.Rows[0].MLP != 128 {
		t.Errorf("csv: %+v", o)
	}

	o, err = Decode([]byte(tinyLUT), "l.json", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Format != FormatNViTLUT || len(o.Rows) != 4 || o.Rows[0].Kind != KindBlock || o.Rows[0].MedianMS != 3.5 ||
		o.Header.Tokens != 198 || o.Header.DeviceName != "" {
		t.Errorf("lut: %+v", o)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opt        OpenOptions
		option     bool   // an *OptionError
		want       string // in the message
	}{
		{"negative tokens", tinyLUT, OpenOptions{Tokens: -1}, true, "must not be negative"},
		{"negative batch of a CSV", "kind,median_ms\nrest,1\n", OpenOptions{Batch: -2}, true, "must not be negative"},
		{"no rows", `{"nvitprof_table":1}`, OpenOptions{}, false, "no rows"},
		{"empty CSV", "kind,median_ms\n", OpenOptions{}, false, "no rows"},
		{"empty LUT", "{}", OpenOptions{}, false, "no rows"},
		{"no header", `{"nvitprof_table":2}`, OpenOptions{}, false, "version"},
		{"bad CSV", "kind,median_ms\nrest,x\n", OpenOptions{}, false, "t:2"},
		{"bad LUT", `{"EMB_8": [1]}`, OpenOptions{}, false, "EMB_8"},
		{"empty file", "", OpenOptions{}, false, "tablefmt: t: empty file"},
		{"white space", "\ufeff \n\n", OpenOptions{}, false, "tablefmt: t: empty file"},
		{"another JSON object", `{"nvitprof_model": 1, "kind": "hw"}`, OpenOptions{}, false,
			`tablefmt: t: not a latency table: a JSON object whose first key is "nvitprof_model", where`},
		{"random bytes", "\x8f\x01\xfe,\x00\x00kind\n\x02\x03" + strings.Repeat("\x9a", 600), OpenOptions{}, false,
			`tablefmt: t: not a latency table: it starts with "\x8f\x01\xfe,\x00\x00kind..."; want nvitprof JSON Lines`},
		{"long binary line", strings.Repeat("\xee", 600), OpenOptions{}, false,
			`it starts with "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee..."; want`},
		{"zero latency", `{"nvitprof_table":1}` + "\n" + `{"kind":"rest","emb":8,"median_ms":0}` + "\n", OpenOptions{}, false,
			"tablefmt: t:2: median_ms is 0 in a row not flagged noisy"},
		{"bad lines", `{"nvitprof_table":1}` + "\n" + `{"kind":"rest","emb":8,"median_ms":1e300}` + "\n" + `{"kind":"rest"}` + "\n{\n", OpenOptions{}, false,
			"tablefmt: t:2: median_ms 1e+300 is not a plausible latency: above 1e+07 ms (2.8 hours) for one execution (and 1 more bad lines)"},
		{"bad line before a torn one", `{"nvitprof_table":1}` + "\n" + `{"kind":"conv","emb":8,"median_ms":1}` + "\n" + `{"kind":"rest","emb":8,"median_ms":1}` + "\n" + `{"kind":"re`, OpenOptions{}, false,
			`tablefmt: t:2: unknown kind "conv"`},
		{"LUT with a zero", `{"EMB_8": {"QK_1_8": {"V_8": {"MLP_1": 0}}}}`, OpenOptions{}, false,
			"EMB_8 → QK_1_8 → V_8 → MLP_1: median_ms is 0"},
	} {
		_, err := Decode([]byte(tc.data), "t", tc.opt)
		var oe *OptionError
		if err == nil || errors.As(err, &oe) != tc.option || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error mentioning %q (option error: %v)", tc.name, err, tc.want, tc.option)
		}
		if len(err.Error()) > 300 {
			t.Errorf("%s: %d bytes of message", tc.name, len(err.Error()))
		}
		if tc.want == "no rows" && !errors.Is(err, ErrNoRows) {
			t.Errorf("%s: %v is not ErrNoRows", tc.name, err)
		}
	}
}

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latency_head.json")
	if err := os.WriteFile(path, []byte(tinyLUT), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := Open(path, OpenOptions{Tokens: 197, Batch: 64})
	if err != nil {
		t.Fatal(err)
	}
	if o.Path != path || o.Header.Source != path || o.Header.Tokens != 197 || o.Header.Batch != 64 || len(o.Rows) != 4 {
		t.Errorf("%+v", o)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none"), OpenOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// Only a known published file (by its exact bytes) gets its own header: the
// same grid with one latency changed, as a table of another device exported
// as a LUT would be, says its device is unknown and takes tokens and batch
// from the options.
func TestLUTHeaderOnlyForKnownFiles(t *testing.T) {
	published := []byte(tinyLUT)
	sum := sha256.Sum256(published)
	known := map[string]KnownLUT{hex.EncodeToString(sum[:]): {Name: "a published table", Header: NViTV100Header}}
	other := []byte(strings.Replace(tinyLUT, "0.0035", "0.0036", 1))

	h, err := lutHeader(published, "p.json", OpenOptions{}, known)
	if err != nil || !reflect.DeepEqual(h, NViTV100Header()) {
		t.Errorf("published file: %+v (%v), want NViT's V100 header", h, err)
	}
	if _, err := lutHeader(published, "p.json", OpenOptions{Tokens: 198, Batch: 256}, known); err != nil {
		t.Errorf("published file with its own tokens and batch: %v", err)
	}
	for _, opt := range []OpenOptions{{Batch: 64}, {Tokens: 197}} {
		var oe *OptionError
		if _, err := lutHeader(published, "p.json", opt, known); !errors.As(err, &oe) || !strings.Contains(err.Error(), "a published table, measured with 198 tokens and batch 256") {
			t.Errorf("published file with %+v: %v, want an *OptionError", opt, err)
		}
	}

	for _, tc := range []struct {
		name                  string
		opt                   OpenOptions
		wantTokens, wantBatch int
		wantImage             int
		wantNote              string
	}{
		{"no options", OpenOptions{}, 198, 0, 224, "batch unknown"},
		{"tokens and batch", OpenOptions{Tokens: 197, Batch: 64}, 197, 64, 0, "197 tokens given"},
	} {
		h, err := lutHeader(other, "other.json", tc.opt, known)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		notes := strings.Join(h.Notes, "; ")
		if h.DeviceKind != "" || h.DeviceName != "" || h.Runtime != "" || h.Source != "other.json" ||
			!strings.Contains(notes, "device, runtime and dtype unknown") || !strings.Contains(notes, tc.wantNote) {
			t.Errorf("%s: %+v, want a header with the device unknown", tc.name, h)
		}
		if h.Tokens != tc.wantTokens || h.Batch != tc.wantBatch || h.Image != tc.wantImage {
			t.Errorf("%s: tokens %d batch %d image %d, want %d, %d, %d", tc.name, h.Tokens, h.Batch, h.Image,
				tc.wantTokens, tc.wantBatch, tc.wantImage)
		}
	}
}

// The registry's entries are SHA-256 sums with headers that can head a table.
func TestKnownLUTs(t *testing.T) {
	for sum, k := range knownLUTs {
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			t.Errorf("%s: %q is not a hex SHA-256", k.Name, sum)
		}
		if h := k.Header(); h.Validate() != nil || h.Tokens <= 0 || h.Batch <= 0 || k.Name == "" {
			t.Errorf("%s: header %+v", k.Name, h)
		}
	}
}

// The fixtures open in the format they are in; the synthetic LUT is not
// NViT's released file, so its device is unknown.
func TestOpenFixtures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		rows   int
		tokens int
		device string
	}{
		{testtables.NViTSynthetic, FormatNViTLUT, 9375, 198, ""},
		{testtables.QuickCPU, FormatJSONL, 89, 65, "cpu"},
		{testtables.DeiTCPU, FormatJSONL, 17, 197, "cpu"},
	} {
		o, err := Open(testtables.Path(t, tc.name), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if o.Format != tc.format || len(o.Rows) != tc.rows || o.Header.Tokens != tc.tokens || o.Header.DeviceKind != tc.device || len(o.Skipped) > 0 {
			t.Errorf("%s: %s, %d rows, %d tokens, device %q, %d skipped; want %s, %d, %d, %q", tc.name, o.Format, len(o.Rows),
				o.Header.Tokens, o.Header.DeviceKind, len(o.Skipped), tc.format, tc.rows, tc.tokens, tc.device)
		}
	}
}
