// Package signals passes the signals that ask a program to stop on to a
// child process, so that a wrapper such as `lockwatch run` can let restic
// end cleanly (and remove its own lock) instead of dying under it.
package signals

import (
	"os"
	"os/exec"
)

// Relayed lists the signals a wrapper catches and passes on: Ctrl-C and
// the polite stop request of service managers (systemd, launchd, Windows'
// console close and shutdown, which Go reports as SIGTERM).
func Relayed() []os.Signal { return relayed }

// Prepare readies cmd, before Start, so that Forward can reach it.
func Prepare(cmd *exec.Cmd) { prepare(cmd) }

// Forward asks p to stop the way sig asked us.
func Forward(p *os.Process, sig os.Signal) error { return forward(p, sig) }

// ExitCode is the status a shell would report for a finished process:
// its exit code, or 128 plus the signal that ended it.
func ExitCode(ps *os.ProcessState) int { return exitCode(ps) }
