package tablefmt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/nvitprof/nvitprof/internal/jsonstrict"
)

// SyntaxError is a line of a table that could not be used: malformed JSON
// (typically the last line of a file cut by a kill), an unknown field, or a
// value that cannot be a measurement. Reading goes on after it.
type SyntaxError struct {
	File string // the name given to NewReader
	Line int    // 1-based line number
	Err  error  // what is wrong with the line
	// Torn marks the file's last line when it is not a JSON value: what a
	// kill in the middle of a write leaves (Read sets it; Decode skips
	// such a line and refuses any other).
	Torn bool

	notJSON bool // the line is not a JSON value
}

// Error formats the error as "tablefmt: file:line: what is wrong".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("tablefmt: %s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Reader reads a JSON Lines table one row at a time, in the manner of
// bufio.Scanner:
//
//	r := costmodel.NewReader(f, "sweep.jsonl")
//	for r.Scan() {
//		row, err := r.Row()
//		if err != nil { // a *SyntaxError: report it and go on
//			continue
//		}
//		...
//	}
//	if err := r.Err(); err != nil { // no usable header, or an I/O error
//		...
//	}
//	h := r.Header()
type Reader struct {
	br      *bufio.Reader
	name    string
	line    int
	started bool
	eof     bool
	err     error
	hdr     Header
	row     Row
	rowErr  *SyntaxError
	content int // the last line that was not blank
}

// NewReader returns a Reader of the table in r; name (usually the file path)
// is used in error messages.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{br: bufio.NewReader(r), name: name}
}

// Scan advances to the next row or malformed line, which Row then returns. It
// reads the header first. It returns false at the end of the input or on a
// fatal error (a missing or invalid header, an I/O error), which Err returns.
func (r *Reader) Scan() bool {
	if r.err != nil {
		return false
	}
	if !r.started {
		r.started = true
		if !r.readHeader() {
			return false
		}
	}
	for {
		line, ok := r.next()
		if !ok {
			return false
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r.content = r.line
		r.row, r.rowErr = Row{}, nil
		row, err := decodeRow(line)
		if err != nil {
			r.rowErr = &SyntaxError{File: r.name, Line: r.line, Err: err, notJSON: !json.Valid(line)}
		} else {
			r.row = row
		}
		return true
	}
}

// Row returns the row Scan found, or a *SyntaxError for a line that is not a
// valid row. The error is not fatal: Scan goes on with the next line.
func (r *Reader) Row() (Row, error) {
	if r.rowErr != nil {
		return Row{}, r.rowErr
	}
	return r.row, nil
}

// Line returns the line number of what Scan found.
func (r *Reader) Line() int { return r.line }

// Header returns the table's header. It is valid once Scan has been called
// and Err is nil.
func (r *Reader) Header() Header { return r.hdr }

// Err returns the fatal error that stopped Scan, or nil at a clean end of
// input. Malformed rows are not fatal; Row reports them.
func (r *Reader) Err() error { return r.err }

// next returns the next line without its line ending, or false at the end of
// input or on an error (recorded in r.err).
func (r *Reader) next() ([]byte, bool) {
	if r.eof {
		return nil, false
	}
	line, err := r.br.ReadBytes('\n')
	if err == io.EOF {
		r.eof = true
		if len(line) == 0 {
			return nil, false
		}
	} else if err != nil {
		r.err = fmt.Errorf("tablefmt: read %s: %w", r.name, err)
		return nil, false
	}
	r.line++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, true
}

func (r *Reader) readHeader() bool {
	for {
		line, ok := r.next()
		if !ok {
			if r.err == nil {
				r.err = fmt.Errorf("tablefmt: %s: empty table: no header line", r.name)
			}
			return false
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		h, err := decodeHeader(line)
		if err != nil {
			r.err = &SyntaxError{File: r.name, Line: r.line, Err: err}
			return false
		}
		r.hdr = h
		return true
	}
}

const headerHint = `the first line must be a header such as {"nvitprof_table": 1, "device": "cpu", ...}`

func decodeHeader(line []byte) (Header, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return Header{}, fmt.Errorf("invalid header (%v): %s", err, headerHint)
	}
	if _, ok := fields["nvitprof_table"]; !ok {
		return Header{}, errors.New("missing header: " + headerHint)
	}
	var h Header
	if err := jsonstrict.Decode(line, &h); err != nil {
		return Header{}, fmt.Errorf("invalid header: %w", err)
	}
	if err := h.Validate(); err != nil {
		return Header{}, fmt.Errorf("invalid header: %w", err)
	}
	return h, nil
}

func decodeRow(line []byte) (Row, error) {
	var r Row
	if err := jsonstrict.Decode(line, &r); err != nil {
		return Row{}, err
	}
	if err := r.Validate(); err != nil {
		return Row{}, err
	}
	if err := r.CheckLatency(); err != nil {
		return Row{}, err
	}
	return r, nil
}

// encodeLine encodes v as one JSON line ending in "\n".
func encodeLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
