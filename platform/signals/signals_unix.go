//go:build unix

package signals

import (
	"os"
	"os/exec"
	"syscall"
)

var relayed = []os.Signal{os.Interrupt, syscall.SIGTERM}

// prepare leaves the child in our process group on purpose: it must stay
// in the terminal's foreground group to read a password prompt or stdin
// from the terminal. A Ctrl-C then reaches it twice (from the terminal and
// from us); restic, like most programs, acts on the first and ignores the
// rest.
func prepare(*exec.Cmd) {}

func forward(p *os.Process, sig os.Signal) error { return p.Signal(sig) }

func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
