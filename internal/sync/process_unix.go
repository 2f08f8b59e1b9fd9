//go:build unix

package sync

import (
	"errors"
	"syscall"
)

// processExists reports whether a process of this machine with that id exists.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
