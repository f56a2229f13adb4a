package tray

import (
	"fyne.io/fyne/v2/lang"

	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/lockwatch/lockwatch/app/client"
)

// Windows starts and reaches the window process (`lockwatch window
// [TARGET]`): Fyne draws the main and settings windows there, and the
// process exits when its last window closes, taking Fyne's 60 Hz loop with
// it. There is at most one: a request while it runs is handed to it.
type Windows struct {
	opts Options

	mu     sync.Mutex
	exited chan struct{} // of the process this tray started; nil when none runs
}

// NewWindows returns the window-process launcher for opts.
func NewWindows(opts Options) *Windows { return &Windows{opts: opts} }

// startupWait is how long a window process that was just started may take
// to listen for hand-overs.
const startupWait = 15 * time.Second

// Open shows target ("", "repo/NAME" or "settings") in the window process,
// starting one if none runs.
func (w *Windows) Open(target string) error {
	_, err := w.open(target)
	return err
}

// Run is Open, then waits until the window process ends.
func (w *Windows) Run(target string) error {
	exited, err := w.open(target)
	if err != nil || exited == nil {
		return err
	}
	<-exited
	return nil
}

// open returns exited for the process it started, nil when it handed the
// target to a window process running already.
func (w *Windows) open(target string) (exited <-chan struct{}, err error) {
	if client.HandOver(client.Window, client.Open, target) {
		return nil, nil
	}
	w.mu.Lock()
	if w.exited == nil {
		done, err := w.start(target)
		w.mu.Unlock()
		return done, err
	}
	starting := w.exited
	w.mu.Unlock()
	// One is starting: hand over once it listens.
	for deadline := time.Now().Add(startupWait); time.Now().Before(deadline); {
		select {
		case <-starting:
			return w.open(target) // it ended instead: start another
		case <-time.After(100 * time.Millisecond):
		}
		if client.HandOver(client.Window, client.Open, target) {
			return nil, nil
		}
	}
	return nil, errors.New(lang.L("the window process does not answer"))
}

// start runs the window process on target. w.mu is held.
func (w *Windows) start(target string) (<-chan struct{}, error) {
	args := []string{"--config", w.opts.ConfigPath, "window"}
	if target != "" {
		args = append(args, target)
	}
	cmd := exec.Command(w.opts.Executable, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = windowProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", lang.L("starting the window process"), err)
	}
	done := make(chan struct{})
	w.exited = done
	go func() {
		_ = cmd.Wait()
		w.mu.Lock()
		w.exited = nil
		w.mu.Unlock()
		close(done)
	}()
	return done, nil
}

// Quit closes the window process, if one runs.
func (w *Windows) Quit() { client.HandOver(client.Window, client.Quit, "") }
