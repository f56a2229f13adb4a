//go:build windows

package signals

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// Go reports CTRL_C and CTRL_BREAK as os.Interrupt, and console close,
// logoff and shutdown as SIGTERM.
var relayed = []os.Signal{os.Interrupt, syscall.SIGTERM}

// prepare starts the child in a process group of its own: Windows can send
// a console control event only to a whole group, and only CTRL_BREAK (not
// CTRL_C) to a group other than the console's. Go programs such as restic
// treat CTRL_BREAK like Ctrl-C.
func prepare(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP
}

// forward fails when we have no console (a hidden scheduled task); the
// caller then kills the child after its grace period.
func forward(p *os.Process, _ os.Signal) error {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid))
}

func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }
