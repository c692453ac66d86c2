package pruner

import (
	"errors"
	"fmt"
)

// Errors a caller may want to tell apart (errors.Is). They state what is
// wrong; which flag or option to change is the caller's to say.
var (
	// ErrRunExists: the run directory already holds a run, and the options
	// did not ask to resume it.
	ErrRunExists = errors.New("pruner: the run directory already holds a run")
	// ErrNoArch: a weights file that does not record its architecture was
	// loaded without one.
	ErrNoArch = errors.New("the file does not record its architecture")
	// ErrArchMismatch: weights that do not fit an architecture (a missing,
	// extra or misshapen tensor, or a file recording another architecture).
	ErrArchMismatch = errors.New("weights do not match the architecture")
	// ErrUnfinished is returned by ReadRun for a run without a final log line.
	ErrUnfinished = errors.New("pruner: the run has not finished (no final line in log.jsonl)")
)

// DataSpecError is a data name LoadData cannot read.
type DataSpecError struct {
	Spec  string // as given
	Kind  string // the part before the colon
	Needs string // what a known kind lacks, e.g. "the image folder"; "" for an unknown kind
}

// Error says what the spec lacks, or which specs there are.
func (e *DataSpecError) Error() string {
	if e.Needs != "" {
		return fmt.Sprintf("pruner: data %s:DIR needs %s", e.Kind, e.Needs)
	}
	return fmt.Sprintf("pruner: unknown data %q: want mnist, folder:DIR or cifar10:DIR", e.Spec)
}

// GroupSizesError is a text ParseGroupSizes cannot read.
type GroupSizesError struct {
	Text   string // as given
	Reason string // what is wrong with it
}

// Error quotes the text and says what is wrong.
func (e *GroupSizesError) Error() string {
	return fmt.Sprintf("pruner: group sizes %q: %s", e.Text, e.Reason)
}
