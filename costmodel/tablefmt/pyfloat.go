package tablefmt

import (
	"strconv"
	"strings"
)

// pyFloat formats f as Python's repr(float) does, which is what json.dump
// writes: the shortest digits that read back as f, in fixed notation with at
// least one decimal ("1.0") when the decimal exponent is in [-4, 16), else in
// scientific notation with a signed two-digit-minimum exponent ("1e-05",
// "1.5e+16"). f must be finite.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64) // "-d.ddde±xx"
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case exp >= 16 || exp < -4:
		b.WriteString(digits[:1])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	case exp >= 0:
		if len(digits) <= exp+1 {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
			b.WriteString(".0")
		} else {
			b.WriteString(digits[:exp+1])
			b.WriteByte('.')
			b.WriteString(digits[exp+1:])
		}
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
	}
	return b.String()
}
