package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports a long job: a bar with rate and ETA on a terminal, plain
// log lines (about one every few seconds, and the last) otherwise.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	total int
	start time.Time
	last  time.Time
}

// newProgress reports to w (usually stderr); quiet reports nothing.
func newProgress(w io.Writer, what string, total int, quiet bool) *progress {
	p := &progress{w: w, what: what, total: total, start: time.Now()}
	if quiet {
		p.w = io.Discard
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("cfg"), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish())
	}
	return p
}

// step records that done of total are finished; detail describes the last one.
func (p *progress) step(done int, detail string) {
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.last) < 3*time.Second {
		return
	}
	p.last = now
	el := now.Sub(p.start)
	if el < time.Second { // a rate over less than a second is noise
		fmt.Fprintf(p.w, "%s: %d/%d %s\n", p.what, done, p.total, detail)
		return
	}
	rate := float64(done) / el.Minutes()
	eta := "?"
	if done > 0 {
		eta = (time.Duration(float64(el) / float64(done) * float64(p.total-done))).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "%s: %d/%d (%.1f/min, ETA %s) %s\n", p.what, done, p.total, rate, eta, detail)
}

// logf writes a line without breaking the bar.
func (p *progress) logf(format string, args ...any) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
