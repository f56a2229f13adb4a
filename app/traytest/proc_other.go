//go:build !linux

package traytest

import (
	"os"
	"os/exec"
	"syscall"
)

// The harness needs Xvfb and dbus-daemon, so it only runs on Linux; elsewhere
// Start skips. These keep the package compiling on other systems.

func childAttr() *syscall.SysProcAttr { return nil }

func terminate(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Signal(os.Interrupt)
	}
}

func kill(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
