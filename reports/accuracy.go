package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/nvitprof/nvitprof/arch"
)

// Accuracy is the top-1 accuracy of one architecture, as an accuracy file
// names it.
type Accuracy struct {
	Name   string    // the architecture as written in the file
	Spec   arch.Spec // what Name resolved to
	Top1   float64   // %
	Source string    // the file it was read from, for messages
}

// ReadAccuracy reads "architecture,top1" lines from r: top-1 in percent, an
// optional header line, # starting a comment. Each architecture is resolved
// by resolve (see ResolveArch). name is r's file name, for messages
// ("acc.csv:3: ...").
func ReadAccuracy(r io.Reader, name string, resolve func(string) (arch.Spec, error)) ([]Accuracy, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []Accuracy
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ln, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: want 2 fields (architecture,top1), got %d", name, ln, len(rec))
		}
		v, perr := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if perr != nil {
			if len(out) == 0 && ln == 1 {
				continue // a header line
			}
			return nil, fmt.Errorf("%s:%d: top-1 %q is not a number", name, ln, rec[1])
		}
		if v < 0 || v > 100 || math.IsNaN(v) {
			return nil, fmt.Errorf("%s:%d: top-1 %v is not a percentage", name, ln, v)
		}
		s, err := resolve(strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, ln, err)
		}
		out = append(out, Accuracy{Name: rec[0], Spec: s, Top1: v, Source: name})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no accuracy lines", name)
	}
	return out, nil
}
