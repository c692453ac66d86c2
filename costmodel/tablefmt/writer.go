package tablefmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WriterOptions tune a Writer.
type WriterOptions struct {
	// Sync calls the destination's Sync method (an *os.File's fsync) after
	// every row, so that rows survive a power loss as well as a kill.
	Sync bool
}

// Writer appends rows to a JSON Lines table. Every row is written with one
// Write call to the destination and flushed (and synced with
// WriterOptions.Sync) before Write returns: a killed sweep loses nothing
// already written. A Writer from Create or Resume holds an exclusive lock on
// its file until Close (on Unix; see ErrLocked).
type Writer struct {
	w      io.Writer
	name   string
	opt    WriterOptions
	closer io.Closer
	err    error
}

// NewWriter writes h as the header line to w and returns a Writer for the
// rows. A zero h.Version is set to FormatVersion. If w has a Flush() error
// method (a *bufio.Writer) it is called after every line.
func NewWriter(w io.Writer, h Header, opt WriterOptions) (*Writer, error) {
	tw := &Writer{w: w, name: "table", opt: opt}
	if err := tw.writeHeader(h); err != nil {
		return nil, err
	}
	return tw, nil
}

func (w *Writer) writeHeader(h Header) error {
	if h.Version == 0 {
		h.Version = FormatVersion
	}
	if err := h.Validate(); err != nil {
		return fmt.Errorf("tablefmt: write %s: header: %w", w.name, err)
	}
	line, err := encodeLine(h)
	if err != nil {
		return fmt.Errorf("tablefmt: write %s: header: %w", w.name, err)
	}
	return w.writeLine(line)
}

// ErrLocked is the error (wrapped, with the file's name) of Create and Resume
// when another Writer holds the table: two sweeps resuming one table would
// each write at the offset where they found its end, over each other's rows.
var ErrLocked = errors.New("another sweep is writing this table (it is locked)")

// Create creates a new table file at path with header h. It refuses to
// overwrite an existing file: continue one with Resume.
func Create(path string, h Header, opt WriterOptions) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tablefmt: create table: %w", err)
	}
	// A Resume may open the new file before the header is written: the lock
	// makes it wait for this Writer's Close instead.
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("tablefmt: create %s: %w", path, err)
	}
	w := &Writer{w: f, name: path, opt: opt, closer: f}
	if err := w.writeHeader(h); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Write validates r (Validate) and appends it as one line. It does not
// judge the latency's size (CheckLatency, which readers apply): a sweep
// keeps what it measured, and a reader names the line it refuses.
func (w *Writer) Write(r Row) error {
	if w.err != nil {
		return w.err
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("tablefmt: write %s: row %s: %w", w.name, r.Key(), err)
	}
	line, err := encodeLine(r)
	if err != nil {
		return fmt.Errorf("tablefmt: write %s: row %s: %w", w.name, r.Key(), err)
	}
	return w.writeLine(line)
}

func (w *Writer) writeLine(line []byte) error {
	if _, err := w.w.Write(line); err != nil {
		w.err = fmt.Errorf("tablefmt: write %s: %w", w.name, err)
		return w.err
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			w.err = fmt.Errorf("tablefmt: write %s: flush: %w", w.name, err)
			return w.err
		}
	}
	if s, ok := w.w.(interface{ Sync() error }); ok && w.opt.Sync {
		if err := s.Sync(); err != nil {
			w.err = fmt.Errorf("tablefmt: write %s: sync: %w", w.name, err)
			return w.err
		}
	}
	return nil
}

// Close closes the file of a Writer from Create or Resume, which releases its
// lock; for one from NewWriter it does nothing (the caller owns the
// destination).
func (w *Writer) Close() error {
	if w.closer == nil {
		return nil
	}
	err := w.closer.Close()
	w.closer = nil
	if err != nil {
		return fmt.Errorf("tablefmt: close %s: %w", w.name, err)
	}
	return nil
}

// Resumed describes the table a Resume found.
type Resumed struct {
	Table   Table          // the header and rows already in the file
	Skipped []*SyntaxError // malformed complete lines, left in place
	// Truncated is the number of bytes of a torn last line (one cut by a
	// kill mid-write: not a JSON value, no newline) that Resume removed.
	Truncated int
}

// Resume opens the table at path for appending, creating it with header h
// when it does not exist or holds no complete header. An existing header must
// be compatible with h (Header.Compatible) and stays as it is. A torn last
// line is cut off; a last complete line that lacks only its newline gets one.
// No complete row is ever removed. The file stays locked until the Writer is
// closed; a table another Writer holds is refused untouched (ErrLocked).
func Resume(path string, h Header, opt WriterOptions) (*Writer, Resumed, error) {
	fail := func(err error) (*Writer, Resumed, error) {
		return nil, Resumed{}, fmt.Errorf("tablefmt: resume %s: %w", path, err)
	}
	if h.Version == 0 {
		h.Version = FormatVersion
	}
	if err := h.Validate(); err != nil {
		return fail(fmt.Errorf("header: %w", err))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrNotExist) { // a new table, in a directory that is not there
		return nil, Resumed{}, fmt.Errorf("tablefmt: create %s: no directory %s", path, filepath.Dir(path))
	}
	if err != nil {
		return fail(err)
	}
	// Locked before reading: the end found below must stay the end.
	if err := lockFile(f); err != nil {
		f.Close()
		return fail(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return fail(err)
	}
	keep, addNewline := repairTail(data)
	w := &Writer{w: f, name: path, opt: opt, closer: f}
	var res Resumed
	if len(bytes.TrimSpace(data[:keep])) > 0 {
		t, bad, err := Read(bytes.NewReader(data[:keep]), path)
		if err != nil {
			f.Close()
			return nil, Resumed{}, err
		}
		if d := headerDiffs(t.Header, h); len(d) > 0 {
			f.Close()
			return fail(errors.New("the file's header disagrees with this run's: " + strings.Join(d, "; ")))
		}
		res = Resumed{Table: t, Skipped: bad}
	}
	res.Truncated = len(data) - keep
	if err := f.Truncate(int64(keep)); err != nil {
		f.Close()
		return fail(err)
	}
	if _, err := f.Seek(int64(keep), io.SeekStart); err != nil {
		f.Close()
		return fail(err)
	}
	if res.Table.Header.Version == 0 { // no header yet
		if err := w.writeHeader(h); err != nil {
			f.Close()
			return nil, Resumed{}, err
		}
		res.Table.Header = h
		return w, res, nil
	}
	if addNewline {
		if err := w.writeLine([]byte("\n")); err != nil {
			f.Close()
			return nil, Resumed{}, err
		}
	}
	return w, res, nil
}

// repairTail decides how much of a table file to keep: everything up to the
// last newline, plus the text after it when that is a complete JSON value
// (which then needs a newline). A torn header (no complete line at all, not a
// JSON value) leaves nothing.
func repairTail(data []byte) (keep int, addNewline bool) {
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return len(data), false
	}
	start := bytes.LastIndexByte(data, '\n') + 1
	tail := bytes.TrimSpace(data[start:])
	if len(tail) == 0 {
		return start, false
	}
	if json.Valid(tail) {
		return len(data), true
	}
	return start, false
}
