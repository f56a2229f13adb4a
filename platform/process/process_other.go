//go:build !linux && !darwin && !windows

package process

import (
	"errors"
	"fmt"
)

// lookup cannot tell here, and claiming a process is gone when it may be
// running is the dangerous mistake for a lock checker, so say "alive".
func lookup(pid int) (Info, error) {
	return Info{PID: pid, Exists: true}, fmt.Errorf("process: lookup of PID %d: %w", pid, errors.ErrUnsupported)
}
