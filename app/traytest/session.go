package traytest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// InstallHint is the command that installs what Start needs (Debian/Ubuntu).
const InstallHint = "apt-get install -y xvfb dbus"

// Screen is the geometry Start gives the Xvfb screen.
const Screen = "1280x800x24"

// Default timeouts for starting the helpers and for single D-Bus calls.
const (
	startTimeout = 15 * time.Second
	callTimeout  = 10 * time.Second
	stopTimeout  = 3 * time.Second
)

// Session is a private desktop session for one test: Xvfb and a dbus-daemon,
// both stopped at cleanup.
type Session struct {
	Display    string   // e.g. ":99"
	BusAddress string   // DBUS_SESSION_BUS_ADDRESS
	Env        []string // os.Environ() with DISPLAY, DBUS_SESSION_BUS_ADDRESS set (and XDG_* untouched)

	xvfb, bus *exec.Cmd
}

// Start starts Xvfb on a free display and a private dbus-daemon session bus.
// It skips the test if Xvfb or dbus-daemon is not installed. Both are stopped
// when the test ends.
func Start(t testing.TB) *Session {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("traytest: needs Linux (Xvfb and a D-Bus session bus), not %s", runtime.GOOS)
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skipf("traytest: Xvfb not found (%v); install it with: %s", err, InstallHint)
	}
	dbusDaemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skipf("traytest: dbus-daemon not found (%v); install it with: %s", err, InstallHint)
	}
	s := &Session{}
	s.startX(t, xvfb)
	s.startBus(t, dbusDaemon)
	s.Env = sessionEnv(os.Environ(), s.Display, s.BusAddress)
	t.Logf("traytest: session DISPLAY=%s DBUS_SESSION_BUS_ADDRESS=%s", s.Display, s.BusAddress)
	return s
}

// sessionEnv returns env with DISPLAY and DBUS_SESSION_BUS_ADDRESS replaced.
// WAYLAND_DISPLAY is dropped so that nothing prefers a Wayland compositor of the
// machine running the tests over the private X server.
func sessionEnv(env []string, display, bus string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "DISPLAY="),
			strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="),
			strings.HasPrefix(kv, "WAYLAND_DISPLAY="):
			continue
		}
		out = append(out, kv)
	}
	return append(out, "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+bus)
}

// startX starts Xvfb on the first free display number from a per-process base,
// retrying on the next number if another Xvfb wins the race for the display.
func (s *Session) startX(t testing.TB, xvfb string) {
	t.Helper()
	base := 99 + os.Getpid()%300 // spread concurrently running test binaries
	var lastErr string
	for n := base; n < base+30; n++ {
		lock := fmt.Sprintf("/tmp/.X%d-lock", n)
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if exists(lock) || exists(sock) {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		stderr := &lockedBuffer{}
		cmd := exec.Command(xvfb, display, "-screen", "0", Screen, "-nolisten", "tcp")
		cmd.Stdout = stderr
		cmd.Stderr = stderr
		cmd.SysProcAttr = childAttr()
		if err := cmd.Start(); err != nil {
			t.Fatalf("traytest: start Xvfb: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()

		ok := false
		deadline := time.Now().Add(startTimeout)
	wait:
		for time.Now().Before(deadline) {
			select {
			case <-done:
				break wait
			case <-time.After(20 * time.Millisecond):
			}
			// The socket alone could be another Xvfb's that won the display:
			// the lock file holds the pid of the server that owns it.
			if exists(sock) && lockPID(lock) == cmd.Process.Pid {
				ok = true
				break
			}
		}
		if ok {
			s.Display = display
			s.xvfb = cmd
			t.Cleanup(func() { stop(cmd, done) })
			return
		}
		stop(cmd, done)
		lastErr = fmt.Sprintf("display %s: %s", display, strings.TrimSpace(stderr.String()))
	}
	t.Fatalf("traytest: could not start Xvfb on a free display: %s", lastErr)
}

func lockPID(lock string) int {
	b, err := os.ReadFile(lock)
	if err != nil {
		return -1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return pid
}

func (s *Session) startBus(t testing.TB, dbusDaemon string) {
	t.Helper()
	cmd := exec.Command(dbusDaemon, "--session", "--nofork", "--print-address=1")
	// Services the bus activates run on the private display.
	cmd.Env = sessionEnv(os.Environ(), s.Display, "")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = childAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("traytest: dbus-daemon stdout: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("traytest: start dbus-daemon: %v", err)
	}
	addrCh := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		addrCh <- strings.TrimSpace(line)
		_, _ = r.WriteTo(discard{}) // keep the pipe drained
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() { stop(cmd, done) })
	select {
	case addr := <-addrCh:
		if addr == "" {
			t.Fatalf("traytest: dbus-daemon printed no address; stderr: %s", stderr.String())
		}
		s.BusAddress = addr
		s.bus = cmd
	case <-time.After(startTimeout):
		t.Fatalf("traytest: dbus-daemon printed no address within %v; stderr: %s", startTimeout, stderr.String())
	}
	// Make sure the bus answers before anyone relies on it.
	conn := s.Connect(t)
	_ = conn.Close()
}

// Connect opens a new private connection to the session bus, closed at cleanup.
func (s *Session) Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	// No dbus.WithContext here: its context bounds the connection's lifetime,
	// not just the handshake.
	conn, err := dbus.Connect(s.BusAddress)
	if err != nil {
		t.Fatalf("traytest: connect to session bus %s: %v", s.BusAddress, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Screenshot saves the whole X screen as a PNG file at path, using
// `import -window root` (ImageMagick) or `xwd -root | convert`. It skips the
// test if neither is installed.
func (s *Session) Screenshot(t testing.TB, path string) {
	t.Helper()
	s.screenshot(t, "root", path)
}

// ScreenshotWindow saves the top-level window with this title as a PNG
// file at path, as Screenshot does the screen.
func (s *Session) ScreenshotWindow(t testing.TB, title, path string) {
	t.Helper()
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Skip("traytest: no xwininfo to find the window; install with: apt-get install -y x11-utils")
	}
	cmd := exec.Command("xwininfo", "-display", s.Display, "-name", title)
	cmd.Env = s.Env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("traytest: no window titled %q (xwininfo: %v)", title, err)
	}
	// "xwininfo: Window id: 0x600007 "title""
	_, rest, ok := strings.Cut(string(out), "Window id: ")
	id, _, _ := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(id, "0x") {
		t.Fatalf("traytest: xwininfo said %q", out)
	}
	s.screenshot(t, id, path)
}

// WaitWindowStill waits until the window with this title has stopped
// changing: until stillFrames captures in a row, taken one after another,
// are the same picture. A screenshot taken then shows what the window
// finished drawing rather than a frame of it half built. It fails the test
// if the window still changes after timeout.
func (s *Session) WaitWindowStill(t testing.TB, title string, timeout time.Duration) {
	t.Helper()
	const stillFrames = 5
	dir := t.TempDir()
	var prev []byte
	same := 0
	for i, deadline := 0, time.Now().Add(timeout); ; i++ {
		path := filepath.Join(dir, fmt.Sprintf("frame%d.png", i))
		s.ScreenshotWindow(t, title, path)
		frame, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("traytest: %v", err)
		}
		os.Remove(path)
		if bytes.Equal(frame, prev) {
			same++
		} else {
			same = 1
		}
		if same >= stillFrames {
			return
		}
		prev = frame
		if time.Now().After(deadline) {
			t.Fatalf("traytest: window %q still changing after %v", title, timeout)
		}
	}
}

func (s *Session) screenshot(t testing.TB, window, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("traytest: screenshot: %v", err)
	}
	var cmd *exec.Cmd
	if imp, err := exec.LookPath("import"); err == nil {
		cmd = exec.CommandContext(ctx, imp, "-display", s.Display, "-window", window, "png:"+path)
	} else if _, err := exec.LookPath("xwd"); err == nil {
		if _, err := exec.LookPath("convert"); err == nil {
			target := "-root"
			if window != "root" {
				target = "-id " + window
			}
			cmd = exec.CommandContext(ctx, "sh", "-c", `xwd $3 -silent -display "$1" | convert xwd:- "png:$2"`, "sh", s.Display, path, target)
		}
	}
	if cmd == nil {
		t.Skip("traytest: no screenshot tool (import or xwd+convert); install with: apt-get install -y imagemagick x11-apps")
	}
	cmd.Env = s.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("traytest: screenshot %s: %v: %s", path, err, out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("traytest: screenshot %s was not written (%v): %s", path, err, out)
	}
}

// stop ends a helper process: SIGTERM to its process group, SIGKILL if it is
// still there after stopTimeout. done is closed once the process was reaped.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	if cmd.Process == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	terminate(cmd)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		kill(cmd)
		select {
		case <-done:
		case <-time.After(stopTimeout):
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// poll calls f every interval until it returns true or timeout passes.
func poll(timeout time.Duration, f func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes and reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
