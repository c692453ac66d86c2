package tablefmt

import (
	"fmt"
	"strconv"
	"strings"
)

// Duplicate is a configuration (a Key) that more than one row measured.
// Lookups, Index and Merge use its last row; a table that holds one was
// usually measured twice by mistake (two shards of one grid, a table
// appended to another), and its earlier rows are ignored.
type Duplicate struct {
	Key string
	At  []Place // every row of the configuration, in reading order: the last is the one used
}

// Place is where a row was read: its table's file, its line there, and its
// index in that table's Rows.
type Place struct {
	File string // "" for a table built in memory
	Line int    // 1-based; 0 when unknown (a table built in memory, a LUT)
	Row  int
}

// String is "file:line", or "file row N" (1-based) without a line.
func (p Place) String() string {
	where := "row " + strconv.Itoa(p.Row+1)
	if p.Line > 0 {
		where = strconv.Itoa(p.Line)
		if p.File != "" {
			return p.File + ":" + where
		}
		return "line " + where
	}
	if p.File != "" {
		return p.File + " " + where
	}
	return where
}

// String is the key and the places, e.g.
// "mlp emb=64 mlp=128 (t.jsonl:3, t.jsonl:9)".
func (d Duplicate) String() string {
	at := make([]string, len(d.At))
	for i, p := range d.At {
		at[i] = p.String()
	}
	return fmt.Sprintf("%s (%s)", d.Key, strings.Join(at, ", "))
}

// Duplicates lists the configurations t holds more than once, in order of
// their first row, with their places by row index.
func (t Table) Duplicates() []Duplicate {
	return duplicates(Opened{Table: t})
}

// Duplicates lists the configurations o holds more than once, in order of
// their first row, with their file lines.
func (o Opened) Duplicates() []Duplicate {
	return duplicates(o)
}

// MergeOpened merges tables read by Open as Merge does, and returns the
// configurations measured more than once, within a table or across them,
// with the places of their rows: the merged table keeps the last of each.
func MergeOpened(tables ...Opened) (Table, []Duplicate, error) {
	plain := make([]Table, len(tables))
	for i, t := range tables {
		plain[i] = t.Table
	}
	merged, err := Merge(plain...)
	if err != nil {
		return Table{}, nil, err
	}
	return merged, duplicates(tables...), nil
}

// duplicates finds the keys with more than one row in tables, read in order.
func duplicates(tables ...Opened) []Duplicate {
	var order []string
	at := map[string][]Place{}
	for _, t := range tables {
		for i, r := range t.Rows {
			k := r.Key()
			if _, seen := at[k]; !seen {
				order = append(order, k)
			}
			p := Place{File: t.Path, Row: i}
			if i < len(t.Lines) {
				p.Line = t.Lines[i]
			}
			at[k] = append(at[k], p)
		}
	}
	var out []Duplicate
	for _, k := range order {
		if len(at[k]) > 1 {
			out = append(out, Duplicate{Key: k, At: at[k]})
		}
	}
	return out
}
