// Package process tells whether a process ID exists, when it started and what it is called, without ever signalling the process.
package process

import (
	"fmt"
	"time"
)

// Info is what the OS says about one process ID.
type Info struct {
	PID    int
	Exists bool
	// StartTime is when the process started, zero when the OS would not say
	// (e.g. another user's process on some systems).
	StartTime time.Time
	// Name is the executable's short name ("restic", "sleep"), "" when unknown.
	Name string
	// start is the OS's own exact record of the start (clock ticks since
	// boot, a timeval, a FILETIME), zero when unknown. StartTime is derived
	// from it and may move by a few milliseconds from one Lookup to the
	// next; start does not, so it tells two processes with one PID apart.
	start uint64
}

// Same reports whether i and o describe one process: the same PID and the
// same exact start. A process whose start is unknown is never the same.
func (i Info) Same(o Info) bool {
	return i.Exists && o.Exists && i.PID == o.PID && i.start != 0 && i.start == o.start
}

// Lookup reports on pid. An error means the OS could not tell whether the
// process exists; callers must then treat it as possibly alive.
//
// With an error, the returned Info still has Exists set, so that a caller
// that forgets the error errs towards "alive" too.
func Lookup(pid int) (Info, error) {
	if pid <= 0 {
		// 0 and negative numbers name process groups or "everyone" in
		// the kill(2) family, never one process.
		return Info{PID: pid, Exists: true}, fmt.Errorf("process: invalid PID %d", pid)
	}
	return lookup(pid)
}
