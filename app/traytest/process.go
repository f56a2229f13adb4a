package traytest

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Process is a program under test started by StartProcess.
type Process struct {
	Cmd *exec.Cmd

	stdout, stderr lockedBuffer
	done           chan struct{}
	err            error // from Wait, valid once done is closed
}

// StartProcess starts cmd in the session and stops it (SIGTERM, then SIGKILL)
// at cleanup. If cmd.Env is nil it runs with s.Env. Stdout and stderr are
// captured (unless cmd already has writers) and logged if the test failed.
func (s *Session) StartProcess(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	if cmd.Env == nil {
		cmd.Env = s.Env
	}
	if cmd.Stdout == nil {
		cmd.Stdout = &p.stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &p.stderr
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = childAttr()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("traytest: start %s: %v", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		stop(cmd, p.done)
		if t.Failed() {
			t.Logf("traytest: %s stdout:\n%s", cmd.Path, tail(p.Stdout(), 4000))
			t.Logf("traytest: %s stderr:\n%s", cmd.Path, tail(p.Stderr(), 4000))
		}
	})
	return p
}

// Stdout returns what the process wrote to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitOutput waits until the process's stdout contains substr and returns the
// first line containing it. It fails the test on timeout or if the process
// exits without printing it.
func (p *Process) WaitOutput(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	var line string
	found := func() bool {
		out := p.Stdout()
		i := strings.Index(out, substr)
		if i < 0 {
			return false
		}
		start := strings.LastIndexByte(out[:i], '\n') + 1
		end := strings.IndexByte(out[i:], '\n')
		if end < 0 {
			line = out[start:]
		} else {
			line = out[start : i+end]
		}
		return true
	}
	ok := poll(timeout, func() bool { return found() || p.Exited() })
	if ok && found() {
		return line
	}
	what := "within " + timeout.String()
	if p.Exited() {
		what = fmt.Sprintf("before it exited (%v)", p.err)
	}
	t.Fatalf("traytest: %s did not print %q %s; stdout:\n%s\nstderr:\n%s",
		p.Cmd.Path, substr, what, tail(p.Stdout(), 4000), tail(p.Stderr(), 4000))
	return ""
}

// WaitExit waits for the process to exit and returns its exit error (nil for
// status 0). It fails the test if the process is still running after timeout.
func (p *Process) WaitExit(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("traytest: %s still running after %v", p.Cmd.Path, timeout)
		return errors.New("still running")
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
