package tablefmt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Table is a whole latency table: its header and its rows in file order.
// A configuration measured twice has two rows; lookups return the last.
type Table struct {
	Header Header
	Rows   []Row
}

// Lookup returns the last row whose Key is key.
func (t Table) Lookup(key string) (Row, bool) {
	for i := len(t.Rows) - 1; i >= 0; i-- {
		if t.Rows[i].Key() == key {
			return t.Rows[i], true
		}
	}
	return Row{}, false
}

// Index maps each key to its last row, for many lookups.
func (t Table) Index() map[string]Row {
	m := make(map[string]Row, len(t.Rows))
	for _, r := range t.Rows {
		m[r.Key()] = r
	}
	return m
}

// Read reads a JSON Lines table from r (name is used in messages). Malformed
// rows are skipped and returned as syntax errors, a torn last line marked
// Torn; the error is fatal (no usable header, an I/O error).
func Read(r io.Reader, name string) (Table, []*SyntaxError, error) {
	t, _, bad, err := read(r, name)
	return t, bad, err
}

// read is Read that also returns the line of each row.
func read(r io.Reader, name string) (Table, []int, []*SyntaxError, error) {
	rd := NewReader(r, name)
	var t Table
	var lines []int
	var bad []*SyntaxError
	for rd.Scan() {
		row, err := rd.Row()
		if err != nil {
			bad = append(bad, err.(*SyntaxError))
			continue
		}
		t.Rows = append(t.Rows, row)
		lines = append(lines, rd.Line())
	}
	if err := rd.Err(); err != nil {
		return Table{}, nil, bad, err
	}
	if n := len(bad); n > 0 && bad[n-1].Line == rd.content && bad[n-1].notJSON {
		bad[n-1].Torn = true
	}
	t.Header = rd.Header()
	return t, lines, bad, nil
}

// ReadTable reads the JSON Lines table at path; see Read.
func ReadTable(path string) (Table, []*SyntaxError, error) {
	f, err := os.Open(path)
	if err != nil {
		return Table{}, nil, fmt.Errorf("tablefmt: read table: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// WriteJSONL writes t as JSON Lines: the header, then one line per row.
func (t Table) WriteJSONL(w io.Writer) error {
	tw, err := NewWriter(w, t.Header, WriterOptions{})
	if err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := tw.Write(r); err != nil {
			return err
		}
	}
	return nil
}

// Merge combines tables measured under compatible headers (see
// Header.Compatible; shards of one split are compatible) into one with the
// first table's header. A configuration
// measured more than once keeps its last row, at the position of its first
// occurrence.
func Merge(tables ...Table) (Table, error) {
	if len(tables) == 0 {
		return Table{}, fmt.Errorf("tablefmt: merge: no tables")
	}
	out := Table{Header: tables[0].Header}
	at := map[string]int{}
	for i, t := range tables {
		if d := diffs(out.Header, t.Header, true); len(d) > 0 {
			return Table{}, fmt.Errorf("tablefmt: merge: table %d disagrees with table 1: %s", i+1, strings.Join(d, "; "))
		}
		for _, r := range t.Rows {
			k := r.Key()
			if j, ok := at[k]; ok {
				out.Rows[j] = r
				continue
			}
			at[k] = len(out.Rows)
			out.Rows = append(out.Rows, r)
		}
	}
	return out, nil
}

// Hash is the SHA-256 of t's JSON Lines encoding, in hex: the same
// table read from JSONL, CSV (with the same header) or an NViT LUT hashes
// alike.
func (t Table) Hash() (string, error) {
	var buf bytes.Buffer
	if err := t.WriteJSONL(&buf); err != nil {
		return "", fmt.Errorf("tablefmt: hash table: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}
