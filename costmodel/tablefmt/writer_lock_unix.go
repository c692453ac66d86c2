//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package tablefmt

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f without waiting, held until
// f is closed. flock locks belong to the open file, so a second open of the
// same table conflicts even within one process.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return ErrLocked
	case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOLCK):
		// A file system without locks: the lock only guards against a
		// second sweep, so write unguarded rather than not at all.
		return nil
	}
	return err
}
