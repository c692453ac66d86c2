package reports

import (
	"image/color"
	"strings"
	"testing"
)

// A note as long as a CPU device name makes it must fit a column-wide
// figure: every line within the width, every word kept, in order.
func TestWrapToFitsTheWidth(t *testing.T) {
	sty := textStyle(noteSize, color.Black)
	note := "linux/amd64, AMD EPYC 7B13 64-Core Processor, 2 cores (GoMLX pure-Go backend), gomlx/SimpleGo (go), " +
		"float32, batch 8, 65 tokens, differential; filled: measured, open: predicted latency\nsecond paragraph"
	width := ColumnWidth * 0.96
	got := wrapTo(note, sty, width)
	lines := strings.Split(got, "\n")
	if len(lines) < 4 {
		t.Errorf("%d lines, want the first paragraph broken over at least 3 and the second kept: %q", len(lines), got)
	}
	for _, l := range lines {
		if w := sty.Width(l); w > width {
			t.Errorf("line %q is %v wide, more than %v", l, w, width)
		}
	}
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(note), " ") || lines[len(lines)-1] != "second paragraph" {
		t.Errorf("wrapping changed the words or the paragraphs: %q", got)
	}
}
