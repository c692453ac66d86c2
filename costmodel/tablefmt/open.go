package tablefmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	// Skipped are the malformed lines of a JSON Lines table, left out of
	// Table (see Read); always empty for the other formats.
	Skipped []*SyntaxError
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

// ErrNoRows is returned (wrapped) by Open and Decode for a table without
// rows: there is nothing to model.
var ErrNoRows = errors.New("the table has no rows")

// Open reads the table at path in any format Open knows, detected by
// content (see DetectFormat), and refuses a table without rows.
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
	o := Opened{Path: name, Format: DetectFormat(data)}
	var err error
	switch o.Format {
	case FormatJSONL:
		o.Table, o.Skipped, err = Read(bytes.NewReader(data), name)
	case FormatNViTLUT:
		o.Table, err = decodeLUT(data, name, opt, knownLUTs)
	default:
		var rows []Row
		rows, err = ReadCSV(bytes.NewReader(data), name)
		o.Table = Table{Header: Header{Version: FormatVersion, Tokens: opt.Tokens, Batch: opt.Batch, Source: name}, Rows: rows}
	}
	if err != nil {
		return Opened{}, err
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

// DetectFormat tells a table's format from its content: JSON Lines when the
// first line is a JSON object with the "nvitprof_table" key (or names it, if
// the line is cut), an NViT LUT for any other content starting with a JSON
// object, CSV otherwise. Leading white space and a byte order mark are
// ignored.
func DetectFormat(data []byte) Format {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return FormatCSV
	}
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	var probe map[string]json.RawMessage
	if json.Unmarshal(first, &probe) == nil {
		if _, ok := probe["nvitprof_table"]; ok {
			return FormatJSONL
		}
	}
	if bytes.Contains(first, []byte(`"nvitprof_table"`)) {
		return FormatJSONL
	}
	return FormatNViTLUT
}
