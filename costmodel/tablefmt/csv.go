package tablefmt

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
	"github.com/nvitprof/nvitprof/internal/jsonstrict"
)

// CSVColumns returns the column names of the CSV format, in the order
// WriteCSV writes them. ReadCSV accepts them in any order; kind and median_ms
// are required, and a missing column or an empty cell reads as zero. The dim
// column holds a model row's NViT dim object as JSON. How a multi-pass sweep
// got a row's latency (Row.Floors, Row.PassesMS) stays in the JSON Lines
// table: CSV is for the latencies themselves.
func CSVColumns() []string {
	return []string{
		"kind", "name", "emb", "heads", "qk", "v", "mlp", "dim",
		"median_ms", "spread_ms", "samples", "noisy", "macs", "bytes", "note",
	}
}

// WriteCSV writes rows as CSV: a line of column names (CSVColumns), then one
// line per row. Table-wide settings are not in it: keep the JSONL header.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns()); err != nil {
		return fmt.Errorf("tablefmt: write csv: %w", err)
	}
	for _, r := range rows {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("tablefmt: write csv: row %s: %w", r.Key(), err)
		}
		dim := ""
		if r.Dim != nil {
			b, err := encodeLine(r.Dim)
			if err != nil {
				return fmt.Errorf("tablefmt: write csv: row %s: %w", r.Key(), err)
			}
			dim = strings.TrimSuffix(string(b), "\n")
		}
		rec := []string{
			string(r.Kind), r.Name, itoa(r.EMB), itoa(r.Heads), itoa(r.QK), itoa(r.V), itoa(r.MLP), dim,
			ftoa(r.MedianMS), ftoa(r.SpreadMS), itoa(r.Samples), strconv.FormatBool(r.Noisy),
			strconv.FormatInt(r.MACs, 10), strconv.FormatInt(r.Bytes, 10), r.Note,
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("tablefmt: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("tablefmt: write csv: %w", err)
	}
	return nil
}

// ReadCSV reads rows in the CSV format of WriteCSV (hand-made files
// welcome; lines starting with # are comments). name is used in messages.
// Any bad line is an error naming name:line; a CSV file has no header, so
// pair the rows with one to make a Table.
func ReadCSV(r io.Reader, name string) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	columns := CSVColumns()
	cols, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("tablefmt: %s: empty CSV: want a line of column names (%s)", name, strings.Join(columns, ","))
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	index := map[string]int{}
	for i, c := range cols {
		c = strings.TrimSpace(c)
		if !slices.Contains(columns, c) {
			return nil, fmt.Errorf("tablefmt: %s:1: unknown column %q (columns: %s)", name, c, strings.Join(columns, ","))
		}
		if _, dup := index[c]; dup {
			return nil, fmt.Errorf("tablefmt: %s:1: column %q appears twice", name, c)
		}
		index[c] = i
	}
	for _, c := range []string{"kind", "median_ms"} {
		if _, ok := index[c]; !ok {
			return nil, fmt.Errorf("tablefmt: %s:1: missing column %q", name, c)
		}
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		row, err := csvRow(rec, index)
		if err != nil {
			return nil, &SyntaxError{File: name, Line: line, Err: err}
		}
		rows = append(rows, row)
	}
}

func csvRow(rec []string, index map[string]int) (Row, error) {
	var r Row
	var errs []error
	cell := func(col string) string {
		if i, ok := index[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	intCell := func(col string, dst *int) {
		if s := cell(col); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("column %s: %q is not an integer", col, s))
			}
			*dst = v
		}
	}
	int64Cell := func(col string, dst *int64) {
		if s := cell(col); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("column %s: %q is not an integer", col, s))
			}
			*dst = v
		}
	}
	floatCell := func(col string, dst *float64) {
		if s := cell(col); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("column %s: %q is not a number", col, s))
			}
			*dst = v
		}
	}
	r.Kind = Kind(cell("kind"))
	if i, ok := index["name"]; ok {
		r.Name = rec[i]
	}
	if i, ok := index["note"]; ok {
		r.Note = rec[i]
	}
	intCell("emb", &r.EMB)
	intCell("heads", &r.Heads)
	intCell("qk", &r.QK)
	intCell("v", &r.V)
	intCell("mlp", &r.MLP)
	if s := cell("dim"); s != "" {
		var d arch.Dim
		if err := jsonstrict.Decode([]byte(s), &d); err != nil {
			errs = append(errs, fmt.Errorf("column dim: %w", err))
		}
		r.Dim = &d
		if r.EMB == 0 {
			r.EMB = d.EMB
		}
	}
	floatCell("median_ms", &r.MedianMS)
	floatCell("spread_ms", &r.SpreadMS)
	intCell("samples", &r.Samples)
	if s := cell("noisy"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("column noisy: %q is not true or false", s))
		}
		r.Noisy = v
	}
	int64Cell("macs", &r.MACs)
	int64Cell("bytes", &r.Bytes)
	if len(errs) > 0 {
		return Row{}, errs[0]
	}
	if err := r.Validate(); err != nil {
		return Row{}, err
	}
	return r, nil
}

// csvError names the file and line of a CSV parse error.
func csvError(name string, err error) error {
	if pe, ok := err.(*csv.ParseError); ok {
		return &SyntaxError{File: name, Line: pe.Line, Err: pe.Err}
	}
	return fmt.Errorf("tablefmt: read %s: %w", name, err)
}

func itoa(v int) string { return strconv.Itoa(v) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
