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
	rows, _, err := readCSV(r, name)
	return rows, err
}

// readCSV is ReadCSV that also returns the line of each row.
func readCSV(r io.Reader, name string) ([]Row, []int, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	columns := CSVColumns()
	cols, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("tablefmt: %s: empty CSV: want a line of column names (%s)", name, strings.Join(columns, ","))
	}
	if err != nil {
		return nil, nil, csvError(name, err, 0)
	}
	colLine, _ := cr.FieldPos(0)
	index := map[string]int{}
	for i, c := range cols {
		c = strings.TrimSpace(c)
		if !slices.Contains(columns, c) {
			return nil, nil, fmt.Errorf("tablefmt: %s:%d: unknown column %s (field %d; columns: %s)", name, colLine, excerptString(c), i+1, strings.Join(columns, ","))
		}
		if _, dup := index[c]; dup {
			return nil, nil, fmt.Errorf("tablefmt: %s:%d: column %q appears twice", name, colLine, c)
		}
		index[c] = i
	}
	for _, c := range []string{"kind", "median_ms"} {
		if _, ok := index[c]; !ok {
			return nil, nil, fmt.Errorf("tablefmt: %s:%d: missing column %q", name, colLine, c)
		}
	}
	var rows []Row
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, lines, nil
		}
		if err != nil {
			return nil, nil, csvError(name, err, len(cols))
		}
		line, _ := cr.FieldPos(0)
		row, err := csvRow(rec, index)
		if err != nil {
			return nil, nil, &SyntaxError{File: name, Line: line, Err: err}
		}
		rows = append(rows, row)
		lines = append(lines, line)
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
				errs = append(errs, fmt.Errorf("column %s: %s is not an integer", col, excerptString(s)))
			}
			*dst = v
		}
	}
	int64Cell := func(col string, dst *int64) {
		if s := cell(col); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("column %s: %s is not an integer", col, excerptString(s)))
			}
			*dst = v
		}
	}
	floatCell := func(col string, dst *float64) {
		if s := cell(col); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("column %s: %s is not a number", col, excerptString(s)))
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
			errs = append(errs, fmt.Errorf("column noisy: %s is not true or false", excerptString(s)))
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
	if err := r.CheckLatency(); err != nil {
		return Row{}, err
	}
	return r, nil
}

// csvError names the file and line of a CSV parse error; a line with
// another number of fields than the ncols columns says so.
func csvError(name string, err error, ncols int) error {
	pe, ok := err.(*csv.ParseError)
	if !ok {
		return fmt.Errorf("tablefmt: read %s: %w", name, err)
	}
	if pe.Err == csv.ErrFieldCount {
		return &SyntaxError{File: name, Line: pe.StartLine, Err: fmt.Errorf("%w: want %d, one per column", pe.Err, ncols)}
	}
	return &SyntaxError{File: name, Line: pe.Line, Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
}

func itoa(v int) string { return strconv.Itoa(v) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
