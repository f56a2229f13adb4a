//go:build !linux

package tray

import (
	"syscall"

	"fyne.io/systray"
)

// runLoop shows the tray until quit closes; stop runs before it goes.
// systray.Run must own the main thread on macOS; on Windows it runs the
// message loop.
func runLoop(ready func(), quit <-chan struct{}, stop func()) {
	go func() {
		<-quit
		stop()
		systray.Quit()
	}()
	systray.Run(func() { becomeAgent(); ready() }, nil)
}

// windowProcAttr: the tray asks the window process to quit when it does.
func windowProcAttr() *syscall.SysProcAttr { return nil }
