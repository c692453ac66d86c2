package tablefmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Format names a table file format.
type Format string

// The formats Open reads.
const (
	FormatJSONL   Format = "jsonl"    // nvitprof's JSON Lines table, header first
	FormatCSV     Format = "csv"      // rows only (WriteCSV); the header comes from OpenOptions
	FormatNViTLUT Format = "nvit-lut" // NVlabs/NViT's latency_head.json (LUT)
)

// OpenOptions give Open what a file may not say about itself: the tokens
// and batch of a CSV file, or of a LUT that is not a known published one
// (see LUTHeader). Zero means unknown. JSON Lines tables state their own
// and ignore these.
type OpenOptions struct {
	Tokens int
	Batch  int
}

// Opened is a table read by Open, with what it was read from.
type Opened struct {
	Table
	Path   string // the name given to Open or Decode
	Format Format
	// Skipped is a JSON Lines table's torn last line (what a kill in the
	// middle of a write leaves), left out of Table; any other bad line is
	// an error. Always empty for the other formats.
	Skipped []*SyntaxError
	// Lines are the file lines of the rows of Table, 1-based (nil for a
	// LUT, whose entries are not lines).
	Lines []int
}

// OptionError reports OpenOptions that are invalid or that contradict the
// file (a known published LUT states its own tokens and batch). It is the
// caller's mistake rather than the file's.
type OptionError struct {
	Name string // the file
	Msg  string
}

// Error states what is wrong with the options.
func (e *OptionError) Error() string {
	if e.Name == "" {
		return "tablefmt: " + e.Msg
	}
	return fmt.Sprintf("tablefmt: %s: %s", e.Name, e.Msg)
}

// Errors returned (wrapped, with the file's name) by Open and Decode.
var (
	// ErrNoRows: a table without rows, there is nothing to model.
	ErrNoRows = errors.New("the table has no rows")
	// ErrEmptyFile: nothing but white space.
	ErrEmptyFile = errors.New("empty file")
	// ErrNotATable: content in none of the formats (see DetectFormat).
	ErrNotATable = errors.New("not a latency table")
)

// Open reads the table at path in any format Open knows, detected by
// content (see DetectFormat), and refuses an empty file, content in none of
// the formats, a table without rows, and a JSON Lines table with a bad line
// (naming it, with file:line) other than a torn last line, which it skips
// (Opened.Skipped): a table that holds an impossible row holds a mistake,
// and fitting the rest would hide it.
func Open(path string, opt OpenOptions) (Opened, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Opened{}, fmt.Errorf("tablefmt: read table: %w", err)
	}
	return Decode(data, path, opt)
}

// Decode reads a table from the bytes of a file named name (used in
// messages and recorded as the Source of CSV and LUT headers); see Open.
func Decode(data []byte, name string, opt OpenOptions) (Opened, error) {
	if opt.Tokens < 0 || opt.Batch < 0 {
		return Opened{}, &OptionError{Name: name, Msg: fmt.Sprintf("tokens and batch must not be negative, got %d and %d", opt.Tokens, opt.Batch)}
	}
	format, why := detect(data)
	o := Opened{Path: name, Format: format}
	data = bytes.TrimPrefix(data, []byte(bom))
	var err error
	switch o.Format {
	case FormatJSONL:
		o.Table, o.Lines, o.Skipped, err = read(bytes.NewReader(data), name)
		if err == nil {
			o.Skipped, err = splitTorn(o.Skipped)
		}
	case FormatNViTLUT:
		o.Table, err = decodeLUT(data, name, opt, knownLUTs)
	case FormatCSV:
		var rows []Row
		rows, o.Lines, err = readCSV(bytes.NewReader(data), name)
		o.Table = Table{Header: Header{Version: FormatVersion, Tokens: opt.Tokens, Batch: opt.Batch, Source: name}, Rows: rows}
	case "":
		if len(bytes.TrimSpace(data)) == 0 {
			return Opened{}, fmt.Errorf("tablefmt: %s: %w", name, ErrEmptyFile)
		}
		return Opened{}, fmt.Errorf("tablefmt: %s: %w: %s", name, ErrNotATable, why)
	}
	if err != nil {
		return Opened{}, shorten(err)
	}
	if len(o.Rows) == 0 {
		return Opened{}, fmt.Errorf("%s: %w", name, ErrNoRows)
	}
	return o, nil
}

func decodeLUT(data []byte, name string, opt OpenOptions, known map[string]KnownLUT) (Table, error) {
	l, err := ReadLUT(bytes.NewReader(data), name)
	if err != nil {
		return Table{}, err
	}
	h, err := lutHeader(data, name, opt, known)
	if err != nil {
		return Table{}, err
	}
	return l.Table(h)
}

// splitTorn returns the torn last line among bad, and an error for the
// first other line (with the count when there are more).
func splitTorn(bad []*SyntaxError) ([]*SyntaxError, error) {
	var torn, other []*SyntaxError
	for _, e := range bad {
		if e.Torn {
			torn = append(torn, e)
		} else {
			other = append(other, e)
		}
	}
	switch len(other) {
	case 0:
		return torn, nil
	case 1:
		return torn, other[0]
	}
	return torn, fmt.Errorf("%w (and %d more bad lines)", other[0], len(other)-1)
}

// bom is the UTF-8 byte order mark some editors put first.
const bom = "\ufeff"

// DetectFormat tells a table's format from its content, ignoring leading
// white space and a byte order mark:
//   - JSON Lines when the first line is a JSON object with the
//     "nvitprof_table" key (or names it, if the line is cut);
//   - an NViT LUT for another JSON object whose first key is EMB_e (or
//     that has no key, or is cut before its first);
//   - CSV when the first line that is not a # comment names at least one
//     of CSVColumns;
//   - "" (none) otherwise: an empty file, another JSON object, binary data.
func DetectFormat(data []byte) Format {
	f, _ := detect(data)
	return f
}

// detect is DetectFormat, with why the content is none of the formats.
func detect(data []byte) (Format, string) {
	trimmed := bytes.TrimLeft(data, " \t\r\n"+bom)
	if len(trimmed) == 0 {
		return "", "empty"
	}
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	if trimmed[0] == '{' {
		var probe map[string]json.RawMessage
		if json.Unmarshal(first, &probe) == nil {
			if _, ok := probe["nvitprof_table"]; ok {
				return FormatJSONL, ""
			}
		}
		if bytes.Contains(first, []byte(`"nvitprof_table"`)) {
			return FormatJSONL, ""
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.Token() // '{'
		tok, err := dec.Token()
		key, isKey := tok.(string)
		switch {
		case err != nil, tok == json.Delim('}'), isKey && strings.HasPrefix(key, "EMB_"):
			return FormatNViTLUT, ""
		case key == "nvitprof_table":
			return FormatJSONL, ""
		}
		return "", fmt.Sprintf("a JSON object whose first key is %s, where a table's first line has \"nvitprof_table\" and NViT's latency_head.json has EMB_e keys",
			excerptString(key))
	}
	if csvColumnsLine(trimmed) {
		return FormatCSV, ""
	}
	return "", fmt.Sprintf("it starts with %s; want nvitprof JSON Lines, NViT's latency_head.json, or CSV with a line of column names (kind,median_ms,...)",
		excerpt(trimmed))
}

// csvColumnsLine reports whether the first line of data that is not a #
// comment names a CSV column.
func csvColumnsLine(data []byte) bool {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		for _, f := range bytes.Split(line, []byte(",")) {
			if slices.Contains(CSVColumns(), string(bytes.Trim(bytes.TrimSpace(f), `"`))) {
				return true
			}
		}
		return false
	}
	return false
}
