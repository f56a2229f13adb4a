//go:build !nogui

package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/app/traytest"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

var (
	windowsGUIOnce sync.Once
	windowsGUI     string
	windowsGUIErr  error
)

// windowsGUIBinary cross-builds the Windows GUI as make windows does
// (cgo with Debian's mingw-w64, -H=windowsgui), once per test binary.
func windowsGUIBinary(t *testing.T) string {
	t.Helper()
	windowsGUIOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lockwatch-windows-gui-")
		if err != nil {
			windowsGUIErr = err
			return
		}
		windowsGUI = filepath.Join(dir, "lockwatch.exe")
		cmd := exec.Command("go", "build", "-ldflags", "-H=windowsgui", "-o", windowsGUI, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=windows", "GOARCH=amd64", "CC=x86_64-w64-mingw32-gcc")
		if out, err := cmd.CombinedOutput(); err != nil {
			windowsGUIErr = &buildError{err, out}
		}
	})
	if windowsGUIErr != nil {
		t.Fatalf("building the Windows GUI (make windows): %v", windowsGUIErr)
	}
	return windowsGUI
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// The Windows GUI build starts under Wine on Xvfb and draws its main window
// on a real repository with an orphaned lock: Fyne's GLFW driver through
// Wine's OpenGL (Mesa underneath). make screenshots keeps the picture.
func TestWindowsGUIUnderWine(t *testing.T) {
	exe := windowsGUIBinary(t)
	repo := demotest.LocalRepo(t)
	demotest.Orphan(t, repo)
	cli := newWindowsCLI(t, repo, "")
	s := traytest.Start(t)
	cmd := cli.wine.Command(exe, "--config", cli.config, "window", "repo/r")
	cmd.Env = append(cmd.Env, "DISPLAY="+s.Display, "DBUS_SESSION_BUS_ADDRESS="+s.BusAddress)
	s.StartProcess(t, cmd)

	title := "lockwatch — r"
	waitFor(t, 90*time.Second, "the main window is mapped", func() bool {
		out, err := exec.Command("xwininfo", "-display", s.Display, "-name", title).CombinedOutput()
		return err == nil && strings.Contains(string(out), "Map State: IsViewable")
	})
	s.WaitWindowStill(t, title, 30*time.Second)
	path := filepath.Join(t.TempDir(), "windows-main-window.png")
	if dir := os.Getenv("LOCKWATCH_SCREENSHOTS"); dir != "" {
		path = filepath.Join(dir, "windows-main-window.png")
	}
	s.ScreenshotWindow(t, title, path)
	if colours := distinctColours(t, path); colours < 50 {
		t.Errorf("the window drawn under Wine has %d colours: blank, not lockwatch's window (%s)", colours, path)
	}
}

// distinctColours counts the colours of a PNG: a window that drew its
// widgets and text has hundreds (antialiased text), a blank one a few.
func distinctColours(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// The Windows tray under Wine: Wine docks the icon in xfce4-panel's tray
// (XEmbed) and draws the Win32 menu itself; "Unlock stale locks", chosen
// from that menu with the keyboard, removes the real orphaned lock.
func TestWindowsTrayUnderWine(t *testing.T) {
	exe := windowsGUIBinary(t)
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	cli := newWindowsCLI(t, repo, "")
	s := traytest.Start(t)
	panel := s.StartPanel(t)
	startTray := func() {
		cmd := cli.wine.Command(exe, "--config", cli.config)
		cmd.Env = append(cmd.Env, "DISPLAY="+s.Display, "DBUS_SESSION_BUS_ADDRESS="+s.BusAddress)
		s.StartProcess(t, cmd)
		panel.WaitIcon(t, 90*time.Second)
		// The menu's first entry says the lock is stale once the first check
		// is done: the CLI, through the tray's pipe, says when that is.
		waitFor(t, 60*time.Second, "the tray's first check is done", func() bool {
			out, code := cli.run("status")
			return code == 1 && strings.Contains(out, "orphaned")
		})
	}
	startTray()
	menu, windows, ok := panel.TryOpenIconMenu(t, 1, 3, 20*time.Second)
	if !ok {
		// Seen only in full test runs on a loaded 2-core machine: Wine's
		// icon took no click for a minute. Said loudly, then the tray is
		// started again, as a person would, and must work then.
		t.Logf("the Windows tray opened no menu for 3 clicks; starting it again. Top-level windows:\n%s", traytest.FormatWindows(windows))
		cli.wine.KillAll(t)
		startTray()
		menu = panel.OpenIconMenu(t, 1, 3, 20*time.Second)
	}
	if menu.H < 100 {
		t.Errorf("the menu Wine drew is %dx%d: too small for lockwatch's whole menu", menu.W, menu.H)
	}
	if dir := os.Getenv("LOCKWATCH_SCREENSHOTS"); dir != "" {
		s.ScreenshotArea(t, menu.Rect().Union(image.Rect(0, 0, 40, 30)).Inset(-8).Intersect(image.Rect(0, 0, 1280, 800)), filepath.Join(dir, "windows-tray-menu.png"))
	}
	// Win32 menus highlight disabled entries too: the in-app note, the
	// repository's entry, then its Unlock.
	s.Keys(t, "Down", "Down", "Down", "Return")
	waitFor(t, 30*time.Second, "the orphaned lock is removed", func() bool {
		_, err := os.Stat(filepath.Join(repo.LocksDir, dead.LockID))
		return os.IsNotExist(err)
	})

	// A lockwatch:// link (a notification's click) is handed over to the
	// running tray through its pipe, which opens the repository's window.
	// The link's own process ends once it handed over; had it not, it
	// would be the window process itself and stay until its window closed.
	link := cli.wine.Command(exe, "--config", cli.config, "lockwatch://repo/r")
	link.Env = append(link.Env, "DISPLAY="+s.Display, "DBUS_SESSION_BUS_ADDRESS="+s.BusAddress)
	if out, err := link.CombinedOutput(); err != nil {
		t.Fatalf("lockwatch.exe lockwatch://repo/r: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "the window the link asked for is mapped", func() bool {
		out, err := exec.Command("xwininfo", "-display", s.Display, "-name", "lockwatch — r").CombinedOutput()
		return err == nil && strings.Contains(string(out), "Map State: IsViewable")
	})
}
