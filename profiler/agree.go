package profiler

import (
	"slices"
	"sync"
	"time"

	"github.com/nvitprof/nvitprof/costmodel/tablefmt"
)

// A busy machine's passes disagree: one caught a slow spell another did not.
// The last pass of a multi-pass sweep therefore measures a configuration
// again while its passes disagree, within a time budget for the whole pass,
// and the sweep ends by saying how many configurations are confirmed: the
// two fastest of their passes agree within the noise threshold, so the
// floor the row keeps was seen twice.

// maxRemeasures is how often one configuration is measured again at most.
const maxRemeasures = 3

// FitShare is the share of a multi-pass sweep's configurations that must be
// confirmed (their two fastest passes within the noise threshold) for the
// table to be called fit for use.
const FitShare = 0.90

// confirmed reports whether the two fastest of rows' latencies agree within
// threshold (a single row cannot confirm itself).
func confirmed(rows []tablefmt.Row, threshold float64) bool {
	if len(rows) < 2 {
		return false
	}
	ms := make([]float64, len(rows))
	for i, r := range rows {
		ms[i] = r.MedianMS
	}
	slices.Sort(ms)
	if ms[0] <= 0 {
		return ms[1] <= 0
	}
	return ms[1]/ms[0]-1 <= threshold
}

// remeasureBudget is the time a pass may spend measuring configurations
// again, shared by its measurers.
type remeasureBudget struct {
	mu        sync.Mutex
	left      time.Duration
	spent     time.Duration
	remeasure int // measurements taken again
}

// take reports whether time is left, to be spent measuring once more.
func (b *remeasureBudget) take() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left > 0
}

// spend records one measurement taken again, which took d.
func (b *remeasureBudget) spend(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left -= d
	b.spent += d
	b.remeasure++
}

// Agreement is how far a multi-pass sweep's configurations are confirmed:
// the two fastest of their passes (and measurements taken again) within the
// noise threshold.
type Agreement struct {
	Configs   int           // configurations combined in the last pass
	Confirmed int           // of which confirmed
	Again     int           // measurements taken again because passes disagreed
	Spent     time.Duration // the time those took
	Budget    time.Duration // the time they were allowed
	Threshold float64       // the noise threshold
}

// Share is the confirmed share of the configurations (0 with none).
func (a Agreement) Share() float64 {
	if a.Configs == 0 {
		return 0
	}
	return float64(a.Confirmed) / float64(a.Configs)
}

// Fit reports whether the table is fit for use: at least FitShare of its
// configurations confirmed.
func (a Agreement) Fit() bool { return a.Configs > 0 && a.Share() >= FitShare }

// agreementCounter counts confirmations during a pass; safe for concurrent
// use.
type agreementCounter struct {
	mu                sync.Mutex
	configs, confirms int
}

func (c *agreementCounter) add(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.configs++
	if ok {
		c.confirms++
	}
}
