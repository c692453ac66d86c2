// Package atomicfile writes output files so that a reader, or a later run,
// sees either the old contents or the complete new ones, never a part: a
// file is written to a temporary file in its own directory, synced to disk,
// and renamed over its path (a rename within one directory is atomic on
// POSIX file systems). A failure, or a process killed half-way, leaves the
// path untouched; at worst a dot-named temporary file remains beside it
// (IsTemp recognises one).
//
// WriteFile is the one-call form, WriteNew the same for a path that must
// not exist (it never replaces a file, even one created while it writes),
// Create the form for callers that need the *os.File, and Dir stages
// several files of one output directory and moves them into place together
// when all of them are written. Files get Mode (0644): nothing written
// through this package is secret.
//
// Errors from the file system name the file ("write PATH: ..."); an error
// returned by the caller's write function is returned unchanged.
package atomicfile
