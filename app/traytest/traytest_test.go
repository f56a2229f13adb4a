package traytest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/lockwatch/lockwatch/app/traytest"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildTrayApp compiles testdata/trayapp (Fyne, cgo) once per test binary.
func buildTrayApp(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go command not found: %v", err)
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "traytest-build-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "trayapp")
		start := time.Now()
		out, err := exec.Command("go", "build", "-o", buildBin, "./testdata/trayapp").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./testdata/trayapp: %v\n%s", err, out)
			return
		}
		t.Logf("built trayapp in %v", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

func TestTrayAppEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tray test skipped in -short mode")
	}
	s := traytest.Start(t)
	w := s.StartWatcher(t)
	notes := s.StartNotificationServer(t)
	bin := buildTrayApp(t)

	cmd := exec.Command(bin)
	cmd.Env = append(append([]string(nil), s.Env...), "LANG=en_US.UTF-8")
	p := s.StartProcess(t, cmd)

	item := w.WaitItem(t, 30*time.Second)
	t.Logf("item %s registered as %q", item, item.Service)

	menu := item.Menu(t)
	t.Logf("menu at %s", menu.Path)
	menu.WaitLabel(t, "Hello — 1", 15*time.Second)
	layout := menu.Layout(t)
	t.Logf("layout:\n%s", layout)
	if got, want := strings.Join(layout.Labels(), " | "), "Hello — 1 | Count | --- | Quit"; got != want {
		t.Errorf("top-level labels = %q, want %q", got, want)
	}
	hello, ok := menu.Find(t, "Hello — 1")
	if !ok || hello.Label != "Hello — 1" || !hello.Enabled || !hello.Visible {
		t.Fatalf("Find(Hello — 1) = %+v, %v", hello, ok)
	}
	if _, ok := menu.Find(t, "Hell"); !ok {
		t.Errorf("prefix Find(Hell) failed")
	}
	if _, ok := menu.Find(t, "Nope"); ok {
		t.Errorf("Find(Nope) found something")
	}
	count, ok := layout.Find("Count")
	if !ok {
		t.Fatalf("no Count entry in\n%s", layout)
	}
	menu.Click(t, count.ID)
	after := menu.WaitLabel(t, "Hello — 2", 10*time.Second)
	if after.Label != "Hello — 2" {
		t.Errorf("after Count: label %q", after.Label)
	}
	p.WaitOutput(t, "count 2", 5*time.Second)

	// Fyne rebuilds the whole systray menu on Refresh, with new ids: the old
	// Count id is gone and clicking it does nothing.
	if c2, _ := menu.Find(t, "Count"); c2.ID == count.ID {
		t.Errorf("Count kept id %d across a refresh", c2.ID)
	}
	menu.Click(t, count.ID)
	// Proving that nothing happens: there is no event to wait for. The
	// Event call above has returned, so the app has already looked the id
	// up; the wait gives a count it wrongly set off time to show.
	time.Sleep(300 * time.Millisecond)
	if _, ok := menu.Find(t, "Hello — 3"); ok || strings.Contains(p.Stdout(), "count 3") {
		t.Errorf("a click on the stale id %d still counted", count.ID)
	}

	// The icon: the trayapp draws a 32x32 opaque orange square.
	iconV := item.WaitProperty(t, "IconPixmap", func(v dbus.Variant) bool {
		var px []struct {
			W, H int32
			B    []byte
		}
		return v.Store(&px) == nil && len(px) > 0 && len(px[0].B) > 0
	}, 10*time.Second)
	t.Logf("IconPixmap signature %s", iconV.Signature())
	icons := item.IconPixmap(t)
	if len(icons) == 0 || !icons[0].Valid() {
		t.Fatalf("IconPixmap = %d pixmaps, first %+v", len(icons), icons)
	}
	if icons[0].W != 32 || icons[0].H != 32 {
		t.Errorf("icon size %dx%d, want 32x32", icons[0].W, icons[0].H)
	}
	center := icons[0].ARGB[(16*32+16)*4:][:4]
	if !bytes.Equal(center, []byte{0xff, 0xf0, 0x80, 0x10}) {
		t.Errorf("icon centre ARGB = % x, want ff f0 80 10", center)
	}
	// The title is "traytest" or, when Fyne's own late write wins, the app ID;
	// never empty.
	title := item.WaitProperty(t, "Title", func(v dbus.Variant) bool { s, _ := v.Value().(string); return s != "" }, 10*time.Second)
	t.Logf("Title %v, Status %q, ToolTip %q", title, item.Status(t), item.ToolTip(t))
	if got := item.Title(t); got != "traytest" && got != "io.github.lockwatch.traytest" {
		t.Errorf("Title %q, want traytest", got)
	}

	// The notification, and a click on it delivered back to the app.
	n := notes.Wait(t, func(n traytest.Notified) bool { return n.Summary == "traytest" }, 15*time.Second)
	if !n.HasAction("default") || n.AppName != "traytest" {
		t.Errorf("notification %+v", n)
	}
	p.WaitOutput(t, "notified", 5*time.Second)
	notes.Invoke(t, n.ID, "default")
	line := p.WaitOutput(t, "clicked", 5*time.Second)
	if !strings.Contains(line, "default") {
		t.Errorf("click line %q", line)
	}
	p.WaitOutput(t, "closed", 5*time.Second)

	shot := filepath.Join(t.TempDir(), "screen.png")
	s.Screenshot(t, shot)
	data, err := os.ReadFile(shot)
	if err != nil || len(data) == 0 || !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot: %d bytes, err %v", len(data), err)
	}
	if dir := os.Getenv("TRAYTEST_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "traytest.png"), data, 0o644)
	}

	menu.ClickLabel(t, "Quit")
	if err := p.WaitExit(t, 5*time.Second); err != nil {
		t.Errorf("trayapp exit: %v", err)
	}
	if e := p.Stderr(); e != "" {
		t.Logf("trayapp stderr:\n%s", e)
	}
	item.WaitGone(t, 5*time.Second)
	if len(w.Items()) != 0 {
		t.Errorf("items after quit: %v", w.Items())
	}
}

// fyne.io/systray re-registers when org.kde.StatusNotifierWatcher gets a new
// owner, so a panel that starts after the app still gets the item.
func TestWatcherStartedAfterApp(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tray test skipped in -short mode")
	}
	s := traytest.Start(t)
	bin := buildTrayApp(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string(nil), s.Env...), "LANG=en_US.UTF-8")
	p := s.StartProcess(t, cmd)
	p.WaitOutput(t, "started", 30*time.Second)

	w := s.StartWatcher(t)
	item := w.WaitItem(t, 10*time.Second)
	menu := item.Menu(t)
	menu.WaitLabel(t, "Hello — 1", 10*time.Second)
	menu.ClickLabel(t, "Quit")
	if err := p.WaitExit(t, 5*time.Second); err != nil {
		t.Errorf("trayapp exit: %v", err)
	}
}

func TestStripMnemonic(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"_Quit":     "Quit",
		"Save _As":  "Save As",
		"a__b":      "a_b",
		"nas — _1h": "nas — 1h",
		"x_":        "x",
	} {
		if got := traytest.StripMnemonic(in); got != want {
			t.Errorf("StripMnemonic(%q) = %q, want %q", in, got, want)
		}
	}
}
