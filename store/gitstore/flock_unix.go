//go:build unix

package gitstore

import (
	"errors"
	"os"
	"syscall"
)

// flock marks f as held by this process until it is closed or the process
// dies (see takeLock).
func flock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// flocked reports whether a process holds an flock on the file name.
func flocked(name string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}
