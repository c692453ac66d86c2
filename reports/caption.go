package reports

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// DeviceCaption is the one line under a figure that says what its
// latencies belong to: the device, the runtime and backend, the element
// type, the batch and the tokens of the table with header h; "" for an
// empty header. Vendor marks, parenthesised remarks and an OS/arch prefix
// are left out of names so that the line fits a column.
func DeviceCaption(h tablefmt.Header) string {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	dev := h.DeviceName
	if dev == "" {
		dev = h.Device
	}
	add(tidyName(osArch.ReplaceAllString(dev, "")))
	rt := h.Runtime
	if b := tidyName(h.Backend); b != "" && !strings.EqualFold(b, rt) {
		rt = strings.TrimPrefix(rt+"/"+b, "/")
	}
	add(rt)
	add(h.DType)
	if h.Batch > 0 {
		add(fmt.Sprintf("batch %d", h.Batch))
	}
	if h.Tokens > 0 {
		add(fmt.Sprintf("%d tokens", h.Tokens))
	}
	return strings.Join(parts, " · ")
}

var (
	osArch  = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+, `)
	remarks = regexp.MustCompile(`\s*(\((R|TM|C)\)|\([^()]*\))`)
)

// tidyName drops ®/™ marks and parenthesised remarks from a name.
func tidyName(s string) string {
	return strings.Join(strings.Fields(remarks.ReplaceAllString(s, "")), " ")
}
