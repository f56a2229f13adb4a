package traytest

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// PanelInstallHint is the command that installs what StartPanel and the X
// helpers (ClickIcon, TopWindows, Click) need (Debian/Ubuntu).
const PanelInstallHint = "apt-get install -y xfce4-panel xfconf xdotool x11-utils imagemagick"

// Bus names the real Xfce panel owns (besides WatcherName, owned by its
// systray plugin).
const (
	XfconfName = "org.xfce.Xfconf"
	PanelName  = "org.xfce.Panel"
)

// panelXML is the xfconf channel xfce4-panel reads: one horizontal panel
// along the top edge of the screen (position "p=6", the snap position of
// the top panel of Xfce's own default.xml) holding only the systray plugin
// ("Status Tray Plugin": a StatusNotifierHost that also owns
// org.kde.StatusNotifierWatcher, plus an XEmbed tray). With "configver" and
// "panels" set the panel skips its first-run "Use default config / One empty
// panel" dialog.
const panelXML = `<?xml version="1.0" encoding="UTF-8"?>

<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="dark-mode" type="bool" value="false"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="16"/>
      <property name="size" type="uint" value="26"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray"/>
  </property>
</channel>
`

// Panel is a real xfce4-panel (Debian's 4.18 in the tests) running in the
// session: the StatusNotifierHost and StatusNotifierWatcher a user's desktop
// would have, as opposed to the stand-in StartWatcher starts.
type Panel struct {
	Home    string   // private HOME; XDG_CONFIG_HOME is Home/.config
	Proc    *Process // xfce4-panel (its systray plugin runs as a child process, panel-1-systray)
	Xfconfd *Process // the xfconfd serving the panel's settings

	s *Session
}

// StartPanel runs xfce4-panel on the session's display and bus with a private
// HOME and XDG_CONFIG_HOME holding a panel config (see panelXML): one panel
// along the top of the screen containing only the systray plugin. It first
// starts xfconfd itself, with the same private environment: the bus would
// D-Bus-activate one with the bus daemon's environment, that is the real
// HOME and its ~/.config/xfce4. StartPanel returns once the systray plugin
// owns org.kde.StatusNotifierWatcher, so do not call StartWatcher in the same
// session. Both processes are stopped at cleanup. It skips the test if
// xfce4-panel or xfconfd is not installed.
func (s *Session) StartPanel(t testing.TB) *Panel {
	t.Helper()
	panelBin, err := exec.LookPath("xfce4-panel")
	if err != nil {
		t.Skipf("traytest: xfce4-panel not found (%v); install it with: %s", err, PanelInstallHint)
	}
	xfconfd := findXfconfd()
	if xfconfd == "" {
		t.Skipf("traytest: xfconfd not found; install it with: %s", PanelInstallHint)
	}
	conn := s.Connect(t)
	for _, name := range []string{XfconfName, PanelName, WatcherName} {
		if owned, err := nameHasOwner(conn, name); err != nil {
			t.Fatalf("traytest: panel: %v", err)
		} else if owned {
			t.Fatalf("traytest: panel: %s is owned already on the session bus (StartWatcher or an earlier StartPanel?)", name)
		}
	}

	home := t.TempDir()
	config := filepath.Join(home, ".config")
	channelDir := filepath.Join(config, "xfce4", "xfconf", "xfce-perchannel-xml")
	if err := os.MkdirAll(channelDir, 0o755); err != nil {
		t.Fatalf("traytest: panel: %v", err)
	}
	if err := os.WriteFile(filepath.Join(channelDir, "xfce4-panel.xml"), []byte(panelXML), 0o644); err != nil {
		t.Fatalf("traytest: panel: %v", err)
	}
	xdgDirs := filepath.Join(home, "xdg") // empty: no system-wide panel or GTK config
	if err := os.MkdirAll(xdgDirs, 0o755); err != nil {
		t.Fatalf("traytest: panel: %v", err)
	}
	env := replaceEnv(s.Env, map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": config,
		"XDG_CONFIG_DIRS": xdgDirs,
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"GDK_BACKEND":     "x11",
		// Keep GTK from D-Bus-activating the accessibility bus and dconf on
		// the private bus: those would run with the bus daemon's environment.
		"NO_AT_BRIDGE":      "1",
		"GSETTINGS_BACKEND": "memory",
		"SESSION_MANAGER":   "",
	})

	p := &Panel{Home: home, s: s}
	xcmd := exec.Command(xfconfd)
	xcmd.Env = env
	p.Xfconfd = s.StartProcess(t, xcmd)
	waitOwned(t, conn, XfconfName, p.Xfconfd, startTimeout)

	pcmd := exec.Command(panelBin, "--disable-wm-check", "--sm-client-disable")
	pcmd.Env = env
	p.Proc = s.StartProcess(t, pcmd)
	waitOwned(t, conn, PanelName, p.Proc, startTimeout)
	waitOwned(t, conn, WatcherName, p.Proc, startTimeout)
	return p
}

// findXfconfd returns the xfconfd binary named by the D-Bus service file
// that would activate it, or "" if there is none.
func findXfconfd() string {
	dirs := []string{"/usr/local/share", "/usr/share"}
	if v := os.Getenv("XDG_DATA_DIRS"); v != "" {
		dirs = append(filepath.SplitList(v), dirs...)
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "dbus-1", "services", XfconfName+".service"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if exe, ok := strings.CutPrefix(strings.TrimSpace(line), "Exec="); ok {
				exe = strings.Fields(exe + " ")[0]
				if fi, err := os.Stat(exe); err == nil && !fi.IsDir() {
					return exe
				}
			}
		}
	}
	for _, pattern := range []string{"/usr/lib/*/xfce4/xfconf/xfconfd", "/usr/lib/xfce4/xfconf/xfconfd", "/usr/libexec/xfconfd"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// replaceEnv returns env with the keys of set replaced; an empty value drops
// the variable.
func replaceEnv(env []string, set map[string]string) []string {
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func nameHasOwner(conn *dbus.Conn, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var owned bool
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
	if err != nil {
		return false, fmt.Errorf("NameHasOwner(%s): %v", name, err)
	}
	return owned, nil
}

// waitOwned waits until name has an owner on the bus, failing the test if p
// exits first or timeout passes.
func waitOwned(t testing.TB, conn *dbus.Conn, name string, p *Process, timeout time.Duration) {
	t.Helper()
	var err error
	owned := false
	poll(timeout, func() bool {
		owned, err = nameHasOwner(conn, name)
		return owned || p.Exited()
	})
	if owned {
		return
	}
	what := "within " + timeout.String()
	if p.Exited() {
		what = fmt.Sprintf("before %s exited (%v)", filepath.Base(p.Cmd.Path), p.err)
	}
	t.Fatalf("traytest: %s was not owned on the session bus %s (last error %v); %s stderr:\n%s",
		name, what, err, filepath.Base(p.Cmd.Path), tail(p.Stderr(), 4000))
}

// Window returns the panel's top-level X window (mapped, class Xfce4-panel),
// waiting for it to appear.
func (p *Panel) Window(t testing.TB) XWindow {
	t.Helper()
	var found XWindow
	var last []XWindow
	if poll(startTimeout, func() bool {
		last = p.s.TopWindows(t)
		best := -1
		for i, w := range last {
			if w.Viewable && w.HasClass("Xfce4-panel") && (best < 0 || w.W*w.H > last[best].W*last[best].H) {
				best = i
			}
		}
		if best >= 0 && last[best].W > 1 && last[best].H > 1 {
			found = last[best]
			return true
		}
		return false
	}) {
		return found
	}
	t.Fatalf("traytest: no mapped xfce4-panel window within %v; top-level windows:\n%s", startTimeout, FormatWindows(last))
	return XWindow{}
}

// TrayArea returns where on the screen the systray plugin sits: the window
// of the plugin's external process (class Wrapper-2.0) inside the panel, or
// the panel less 2 pixels along its edges (where the theme draws a border
// line) if there is no such window.
func (p *Panel) TrayArea(t testing.TB) image.Rectangle {
	t.Helper()
	return p.trayArea(t, p.Window(t))
}

func (p *Panel) trayArea(t testing.TB, panel XWindow) image.Rectangle {
	t.Helper()
	tree := p.s.WindowTree(t)
	inside := false
	for _, w := range tree {
		if w.ID == panel.ID {
			inside = true
			continue
		}
		if !inside {
			continue
		}
		if w.Depth <= panel.Depth {
			break // left the panel's subtree
		}
		if w.HasClass("Wrapper-2.0") && w.W > 1 && w.H > 1 {
			return w.Rect()
		}
	}
	return panel.Rect().Inset(2)
}

// Image returns the panel's area of the screen as it is drawn now.
func (p *Panel) Image(t testing.TB) image.Image {
	t.Helper()
	r := p.Window(t).Rect()
	return subImage(p.s.screenImage(t), r)
}

// WaitIcon waits until the systray plugin shows something (an item's icon)
// and returns the bounding box, in screen coordinates, of the pixels in the
// tray area (see TrayArea) that differ from the panel's background (the most
// common colour of the whole panel). With one StatusNotifierItem that is the
// item's icon.
func (p *Panel) WaitIcon(t testing.TB, timeout time.Duration) image.Rectangle {
	t.Helper()
	var box, area image.Rectangle
	if poll(timeout, func() bool {
		panel := p.Window(t)
		area = p.trayArea(t, panel)
		screen := p.s.screenImage(t)
		bg := dominant(subImage(screen, panel.Rect()))
		box = foreground(subImage(screen, area), bg)
		return !box.Empty()
	}) {
		return box
	}
	t.Fatalf("traytest: the panel's tray area %v showed no icon within %v", area, timeout)
	return image.Rectangle{}
}

// ClickIcon clicks mouse button (1 left, 2 middle, 3 right) on the middle
// of what the systray plugin draws (see WaitIcon), with xdotool. With one
// StatusNotifierItem that is its icon. For fyne.io/systray items without a
// tap handler, button 1 and 3 both make xfce4-panel open the item's menu:
// a new override-redirect window (see WaitPopup).
func (p *Panel) ClickIcon(t testing.TB, button int) {
	t.Helper()
	box := p.WaitIcon(t, startTimeout)
	c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
	p.s.Click(t, c.X, c.Y, button)
}

// Click moves the pointer to (x, y) on the screen and clicks button there,
// with xdotool. It skips the test if xdotool is not installed.
// The move waits (--sync) until the pointer is there; a pointer already
// there is not moved, as xdotool would then wait for a motion that never
// comes (a second click on the same icon).
func (s *Session) Click(t testing.TB, x, y, button int) {
	t.Helper()
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skipf("traytest: xdotool not found (%v); install it with: apt-get install -y xdotool", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	args := []string{"click", strconv.Itoa(button)}
	if px, py, ok := s.pointer(ctx); !ok || px != x || py != y {
		args = append([]string{"mousemove", "--sync", strconv.Itoa(x), strconv.Itoa(y)}, args...)
	}
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = s.Env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("traytest: xdotool click %d at %d,%d: %v: %s", button, x, y, err, out)
	}
}

// pointer is where the pointer is on the screen.
func (s *Session) pointer(ctx context.Context) (x, y int, ok bool) {
	cmd := exec.CommandContext(ctx, "xdotool", "getmouselocation", "--shell")
	cmd.Env = s.Env
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, false
	}
	var gotX, gotY bool
	for _, line := range strings.Split(string(out), "\n") {
		if v, found := strings.CutPrefix(line, "X="); found {
			x, err = strconv.Atoi(strings.TrimSpace(v))
			gotX = err == nil
		}
		if v, found := strings.CutPrefix(line, "Y="); found {
			y, err = strconv.Atoi(strings.TrimSpace(v))
			gotY = err == nil
		}
	}
	return x, y, gotX && gotY
}

// XWindow is one X window as `xwininfo -root -tree` lists it.
type XWindow struct {
	ID     string   // e.g. "0x400003"
	Name   string   // WM_NAME, "" if it has none
	Class  []string // WM_CLASS: instance and class, e.g. ["xfce4-panel" "Xfce4-panel"]
	Depth  int      // 1 for children of the root window
	X, Y   int      // absolute position on the screen
	W, H   int
	Parent string // ID of the parent, "" for children of the root

	// Filled in by TopWindows only (from `xwininfo -id`).
	Viewable         bool // mapped, and all its ancestors too
	OverrideRedirect bool // a popup (menu, tooltip, notification) rather than a managed window
}

// Rect is the window's area on the screen.
func (w XWindow) Rect() image.Rectangle { return image.Rect(w.X, w.Y, w.X+w.W, w.Y+w.H) }

// HasClass reports whether the window's WM_CLASS instance or class is c.
func (w XWindow) HasClass(c string) bool {
	for _, v := range w.Class {
		if v == c {
			return true
		}
	}
	return false
}

// OnScreen reports whether the window is bigger than 1x1 and overlaps the
// screen (toolkits park helper windows at -100,-100 or make them 1x1).
func (w XWindow) OnScreen() bool {
	return w.W > 1 && w.H > 1 && w.X+w.W > 0 && w.Y+w.H > 0
}

func (w XWindow) String() string {
	s := fmt.Sprintf("%s %q %q %dx%d%+d%+d", w.ID, w.Name, w.Class, w.W, w.H, w.X, w.Y)
	if w.Viewable {
		s += " viewable"
	}
	if w.OverrideRedirect {
		s += " override-redirect"
	}
	return s
}

// FormatWindows lists windows one a line, for a failure message.
func FormatWindows(ws []XWindow) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", w.Depth), w)
	}
	return b.String()
}

// "     0x400003 "xfce4-panel": ("xfce4-panel" "Xfce4-panel")  1280x27+0+0  +0+0"
// "     0x60000b (has no name): ()  1x1+-1+-1  +-1+-1"
var treeLine = regexp.MustCompile(`^(\s*)(0x[0-9a-fA-F]+) (?:"(.*)"|\(has no name\)): \((.*)\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$`)

var quoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// WindowTree lists every window below the root with `xwininfo -root -tree`,
// parents before their children. It skips the test if xwininfo is missing.
func (s *Session) WindowTree(t testing.TB) []XWindow {
	t.Helper()
	out := s.xwininfo(t, "-root", "-tree")
	var ws []XWindow
	var indents []int // indent of the current ancestors
	var parents []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		m := treeLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		indent := len(m[1])
		for len(indents) > 0 && indents[len(indents)-1] >= indent {
			indents, parents = indents[:len(indents)-1], parents[:len(parents)-1]
		}
		w := XWindow{ID: m[2], Name: m[3], Depth: len(indents) + 1}
		if len(parents) > 0 {
			w.Parent = parents[len(parents)-1]
		}
		for _, q := range quoted.FindAllStringSubmatch(m[4], -1) {
			w.Class = append(w.Class, q[1])
		}
		w.W, _ = strconv.Atoi(m[5])
		w.H, _ = strconv.Atoi(m[6])
		w.X, _ = strconv.Atoi(m[7])
		w.Y, _ = strconv.Atoi(m[8])
		ws = append(ws, w)
		indents, parents = append(indents, indent), append(parents, w.ID)
	}
	return ws
}

// TopWindows lists the children of the root window (the top-level windows,
// managed or override-redirect) with their map state.
func (s *Session) TopWindows(t testing.TB) []XWindow {
	t.Helper()
	var top []XWindow
	for _, w := range s.WindowTree(t) {
		if w.Depth != 1 {
			continue
		}
		out, err := s.runXwininfo("-id", w.ID)
		if err != nil {
			continue // destroyed in the meantime
		}
		w.Viewable = strings.Contains(out, "Map State: IsViewable")
		w.OverrideRedirect = strings.Contains(out, "Override Redirect State: yes")
		top = append(top, w)
	}
	return top
}

// WaitPopup waits for a popup that was not showing in before (a TopWindows
// result): a viewable, on-screen, override-redirect top-level window, such as
// the menu a panel opens for a tray icon. A window that existed but was
// unmapped in before counts as new once it is mapped (GTK reuses its menu
// windows).
func (s *Session) WaitPopup(t testing.TB, before []XWindow, timeout time.Duration) XWindow {
	t.Helper()
	found, last, ok := s.waitPopup(t, before, timeout)
	if !ok {
		t.Fatalf("traytest: no new popup window within %v; top-level windows:\n%s", timeout, FormatWindows(last))
	}
	return found
}

// OpenIconMenu clicks button on the icon (see ClickIcon) and waits for the
// popup it opens (see WaitPopup). A click that opened nothing within each is
// made again, up to tries clicks in all: under Wine on a loaded machine the
// first click on a freshly docked icon was once lost (the icon drawn, the
// Win32 menu never shown), and a person would simply click again. Each
// repeated click is logged, so a tray that needs one shows in the output.
// A popup counts whenever it comes: every wait compares with the windows
// from before the first click, and a popup that came late, just before a
// repeated click would be made, is taken instead of that click (which
// would close it).
func (p *Panel) OpenIconMenu(t testing.TB, button, tries int, each time.Duration) XWindow {
	t.Helper()
	found, last, ok := p.TryOpenIconMenu(t, button, tries, each)
	if !ok {
		t.Fatalf("traytest: %d clicks on the icon opened no popup; top-level windows:\n%s", tries, FormatWindows(last))
	}
	return found
}

// TryOpenIconMenu is OpenIconMenu that reports failure instead of failing
// the test, with the top-level windows it last saw.
func (p *Panel) TryOpenIconMenu(t testing.TB, button, tries int, each time.Duration) (XWindow, []XWindow, bool) {
	t.Helper()
	before := p.s.TopWindows(t)
	var last []XWindow
	for try := 1; try <= tries; try++ {
		if try > 1 {
			found, windows, ok := p.s.waitPopup(t, before, 0)
			if ok {
				return found, windows, true
			}
			last = windows
		}
		box := p.WaitIcon(t, startTimeout)
		p.ClickIcon(t, button)
		found, windows, ok := p.s.waitPopup(t, before, each)
		if ok {
			return found, windows, true
		}
		last = windows
		t.Logf("traytest: click %d of %d on the icon (%dx%d at %v) opened no popup within %v", try, tries, box.Dx(), box.Dy(), box.Min, each)
	}
	return XWindow{}, last, false
}

func (s *Session) waitPopup(t testing.TB, before []XWindow, timeout time.Duration) (found XWindow, last []XWindow, ok bool) {
	t.Helper()
	shown := map[string]bool{}
	for _, w := range before {
		if w.Viewable {
			shown[w.ID] = true
		}
	}
	ok = poll(timeout, func() bool {
		last = s.TopWindows(t)
		for _, w := range last {
			if w.Viewable && w.OverrideRedirect && w.OnScreen() && !shown[w.ID] {
				found = w
				return true
			}
		}
		return false
	})
	return found, last, ok
}

func (s *Session) xwininfo(t testing.TB, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("xwininfo"); err != nil {
		t.Skipf("traytest: xwininfo not found (%v); install it with: apt-get install -y x11-utils", err)
	}
	out, err := s.runXwininfo(args...)
	if err != nil {
		t.Fatalf("traytest: xwininfo %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *Session) runXwininfo(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xwininfo", append([]string{"-display", s.Display}, args...)...)
	cmd.Env = s.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// screenImage captures the whole screen (see Screenshot) and decodes it.
func (s *Session) screenImage(t testing.TB) image.Image {
	t.Helper()
	dir, err := os.MkdirTemp("", "traytest-shot-")
	if err != nil {
		t.Fatalf("traytest: %v", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "screen.png")
	s.Screenshot(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("traytest: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("traytest: decode screenshot: %v", err)
	}
	return img
}

// subImage returns the part of img inside r (clipped to img).
func subImage(img image.Image, r image.Rectangle) image.Image {
	r = r.Intersect(img.Bounds())
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return si.SubImage(r)
	}
	out := image.NewRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// dominant returns the most common colour of img.
func dominant(img image.Image) color.RGBA {
	b := img.Bounds()
	count := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[rgba(img.At(x, y))]++
		}
	}
	var bg color.RGBA
	most := -1
	for c, n := range count {
		if n > most || n == most && sum(c) < sum(bg) { // ties: deterministic
			bg, most = c, n
		}
	}
	return bg
}

// foreground returns the bounding box of the pixels of img that differ
// noticeably from bg, or an empty rectangle.
func foreground(img image.Image, bg color.RGBA) image.Rectangle {
	b := img.Bounds()
	var box image.Rectangle
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if colorDistance(rgba(img.At(x, y)), bg) > 16 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func sum(c color.RGBA) int { return int(c.R) + int(c.G) + int(c.B) }

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}

// colorDistance is the largest difference of the red, green and blue values.
func colorDistance(a, b color.RGBA) int {
	d := 0
	for _, v := range [][2]uint8{{a.R, b.R}, {a.G, b.G}, {a.B, b.B}} {
		diff := int(v[0]) - int(v[1])
		if diff < 0 {
			diff = -diff
		}
		if diff > d {
			d = diff
		}
	}
	return d
}

// WaitItem waits until the panel's watcher lists an item of the process
// pid and returns it, to read its properties and menu over the bus as the
// panel does.
func (p *Panel) WaitItem(t testing.TB, pid int, timeout time.Duration) *Item {
	t.Helper()
	conn := p.s.Connect(t)
	watcher := conn.Object(WatcherName, WatcherPath)
	var found *Item
	ok := poll(timeout, func() bool {
		var items []string
		v, err := watcher.GetProperty(WatcherIface + ".RegisteredStatusNotifierItems")
		if err != nil || v.Store(&items) != nil {
			return false
		}
		for _, entry := range items {
			name, path, _ := strings.Cut(entry, "/")
			var owner uint32
			if conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&owner) == nil && int(owner) == pid {
				found = &Item{BusName: name, Path: dbus.ObjectPath("/" + path), Service: entry, owner: name, conn: conn, gone: make(chan struct{})}
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("traytest: the panel lists no item of PID %d within %s", pid, timeout)
	}
	return found
}

// Keys types keys (xdotool key names, e.g. "Down", "Return") into whatever
// has the keyboard: a menu the panel opened grabs it.
func (s *Session) Keys(t testing.TB, keys ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", append([]string{"key", "--delay", "100"}, keys...)...)
	cmd.Env = s.Env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("traytest: xdotool key %v: %v\n%s", keys, err, out)
	}
}

// ScreenshotArea saves the part r of the screen as a PNG at path.
func (s *Session) ScreenshotArea(t testing.TB, r image.Rectangle, path string) {
	t.Helper()
	img := subImage(s.screenImage(t), r)
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("traytest: %v", err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatalf("traytest: write %s: %v", path, err)
	}
}
