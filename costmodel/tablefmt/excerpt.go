package tablefmt

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxExcerpt is the most bytes of escaped text an error quotes from a file.
const maxExcerpt = 40

// excerpt quotes the start of b, up to its first line end, escaped as a Go
// string, in at most maxExcerpt bytes between the quotes ("..." marks a
// cut): an error about a file that is not what it should be shows what it
// is without printing the file.
func excerpt(b []byte) string {
	line, _, cut := bytes.Cut(b, []byte("\n"))
	var out []byte
	for len(line) > 0 {
		_, size := utf8.DecodeRune(line)
		q := strconv.QuoteToASCII(string(line[:size]))
		q = q[1 : len(q)-1]
		if len(out)+len(q) > maxExcerpt {
			cut = true
			break
		}
		out = append(out, q...)
		line = line[size:]
	}
	if cut {
		return `"` + string(out) + `..."`
	}
	return `"` + string(out) + `"`
}

// excerptString is excerpt of a string.
func excerptString(s string) string { return excerpt([]byte(s)) }

// shortError is an error whose message quotes long strings as excerpts.
type shortError struct {
	err error
	msg string
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }

// shorten returns err with every Go-quoted string of its message longer
// than maxExcerpt replaced by its excerpt: the decoders quote what they
// refuse (an unknown field, a kind, a key), which a corrupt file can make
// any length. errors.Is and errors.As see err.
func shorten(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var b strings.Builder
	changed := false
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, qerr := strconv.QuotedPrefix(msg[i:]); qerr == nil {
				if s, _ := strconv.Unquote(q); len(s) > maxExcerpt {
					b.WriteString(excerptString(s))
					changed = true
				} else {
					b.WriteString(q)
				}
				i += len(q)
				continue
			}
		}
		b.WriteByte(msg[i])
		i++
	}
	if !changed {
		return err
	}
	return &shortError{err: err, msg: b.String()}
}
