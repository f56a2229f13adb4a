package traytest_test

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/lockwatch/lockwatch/app/traytest"
)

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// buildSNIApp compiles testdata/sniapp (fyne.io/systray only, no cgo).
func buildSNIApp(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("go command not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "sniapp")
	start := time.Now()
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/sniapp").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/sniapp: %v\n%s", err, out)
	}
	t.Logf("built sniapp in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// The real xfce4-panel hosts a fyne.io/systray item: its watcher lists the
// item, the systray plugin draws the icon and a click opens the item's menu,
// whose entries reach the app.
func TestPanelHostsItem(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tray test skipped in -short mode")
	}
	s := traytest.Start(t)
	p := s.StartPanel(t)
	panel := p.Window(t)
	t.Logf("panel window %s", panel)
	if panel.X != 0 || panel.Y != 0 || panel.W != 1280 || panel.H < 16 || panel.H > 64 {
		t.Errorf("panel at %v, want a full-width bar along the top of the 1280x800 screen", panel.Rect())
	}
	// No first-run dialog or other window: the panel is all there is.
	for _, w := range s.TopWindows(t) {
		if w.Viewable && w.OnScreen() && w.ID != panel.ID {
			t.Errorf("unexpected window on screen: %s", w)
		}
	}

	bin := buildSNIApp(t)
	app := s.StartProcess(t, exec.Command(bin))
	app.WaitOutput(t, "ready", 30*time.Second)

	// The panel's watcher lists the app's item.
	conn := s.Connect(t)
	watcher := conn.Object(traytest.WatcherName, traytest.WatcherPath)
	var items []string
	var itemOwner string
	waitFor(t, 15*time.Second, "the app's item in RegisteredStatusNotifierItems", func() bool {
		v, err := watcher.GetProperty(traytest.WatcherIface + ".RegisteredStatusNotifierItems")
		if err != nil || v.Store(&items) != nil {
			return false
		}
		for _, it := range items {
			name, path, _ := strings.Cut(it, "/")
			var pid uint32
			if path == "StatusNotifierItem" &&
				conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, name).Store(&pid) == nil &&
				int(pid) == app.Cmd.Process.Pid {
				itemOwner = name
				return true
			}
		}
		return false
	})
	t.Logf("RegisteredStatusNotifierItems %q (the app is %s)", items, itemOwner)

	// The systray plugin draws the icon: an orange square.
	box := p.WaitIcon(t, 15*time.Second)
	img := p.Image(t)
	orange := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if near(r>>8, 0xf0) && near(g>>8, 0x80) && near(b>>8, 0x10) {
				orange++
			}
		}
	}
	t.Logf("icon drawn at %v, %d orange pixels", box, orange)
	if box.Dx() < 8 || box.Dx() > 48 || box.Dy()-box.Dx() > 2 || box.Dx()-box.Dy() > 2 || !box.In(panel.Rect()) {
		t.Errorf("icon box %v, want a square icon inside the panel %v", box, panel.Rect())
	}
	if orange < box.Dx()*box.Dy()/2 {
		t.Errorf("only %d of the %d pixels of the icon box are the icon's orange", orange, box.Dx()*box.Dy())
	}
	savePNG(t, "panel.png", img)

	// A click on the icon opens the item's menu: a popup below the panel.
	before := s.TopWindows(t)
	p.ClickIcon(t, 1)
	menu := s.WaitPopup(t, before, 10*time.Second)
	t.Logf("menu popup %s", menu)
	if menu.Y < panel.Y+panel.H/2 || menu.H < 20 {
		t.Errorf("menu at %v, want it below the panel %v", menu.Rect(), panel.Rect())
	}
	// Its first entry ("Hello") is in the upper half of its two entries.
	s.Click(t, menu.X+menu.W/2, menu.Y+menu.H/4, 1)
	app.WaitOutput(t, "clicked Hello", 10*time.Second)
	waitFor(t, 10*time.Second, "menu closed after the click", func() bool {
		for _, w := range s.TopWindows(t) {
			if w.ID == menu.ID {
				return !w.Viewable
			}
		}
		return true
	})
}

func near(v uint32, want uint32) bool { return v+12 >= want && v <= want+12 }

func savePNG(t *testing.T, name string, img image.Image) {
	t.Helper()
	dir := os.Getenv("TRAYTEST_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Errorf("save %s: %v", name, err)
		return
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Errorf("save %s: %v", name, err)
	}
}

// notifySignals subscribes conn to the notification signals dunst sends it.
func notifySignals(t *testing.T, conn *dbus.Conn) chan *dbus.Signal {
	t.Helper()
	if err := conn.AddMatchSignal(
		dbus.WithMatchObjectPath(traytest.NotificationsPath),
		dbus.WithMatchInterface(traytest.NotificationsIface),
	); err != nil {
		t.Fatalf("add match: %v", err)
	}
	ch := make(chan *dbus.Signal, 64)
	conn.Signal(ch)
	return ch
}

// waitSignal waits for the signal member (e.g. "ActionInvoked") about
// notification id and returns its second argument.
func waitSignal(t *testing.T, ch <-chan *dbus.Signal, member string, id uint32, timeout time.Duration) interface{} {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case sig := <-ch:
			if sig.Name != traytest.NotificationsIface+"."+member || len(sig.Body) < 2 {
				continue
			}
			if got, _ := sig.Body[0].(uint32); got == id {
				return sig.Body[1]
			}
		case <-timer.C:
			t.Fatalf("no %s for notification %d within %v", member, id, timeout)
			return nil
		}
	}
}

// The real dunst shows a notification sent with godbus and, driven with
// dunstctl, invokes its default and named actions and closes it.
func TestDunstActions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end notification test skipped in -short mode")
	}
	s := traytest.Start(t)
	d := s.StartDunst(t)
	conn := s.Connect(t)
	sigs := notifySignals(t, conn)

	obj := conn.Object(traytest.NotificationsName, traytest.NotificationsPath)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var id uint32
	err := obj.CallWithContext(ctx, traytest.NotificationsIface+".Notify", 0,
		"lockwatch", uint32(0), "", "Repo locked", "nas is locked since 10:00",
		[]string{"default", "Open", "unlock", "Unlock"},
		map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(2)), "category": dbus.MakeVariant("lockwatch.lock")},
		int32(-1)).Store(&id)
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	t.Logf("notification id %d", id)

	d.WaitDisplayed(t, 1, 10*time.Second)
	shown := d.WaitShown(t, func(n traytest.DunstNotification) bool { return n.ID == id }, 10*time.Second)
	t.Logf("shown %+v", shown)
	if shown.Summary != "Repo locked" || shown.Body != "nas is locked since 10:00" || shown.AppName != "lockwatch" ||
		shown.Urgency != "CRITICAL" || shown.Category != "lockwatch.lock" {
		t.Errorf("shown %+v", shown)
	}
	for _, h := range d.History(t) {
		if h.ID == id {
			t.Errorf("notification %d in the history while displayed: %+v", id, h)
		}
	}

	acts := d.Actions(t)
	t.Logf("context menu: %+v", acts)
	want := map[string]string{"default": "Open", "unlock": "Unlock"}
	if len(acts) != len(want) {
		t.Errorf("actions %+v, want %v", acts, want)
	}
	for _, a := range acts {
		if a.ID != id || want[a.Key] != a.Label || a.Summary != "Repo locked" {
			t.Errorf("action %+v", a)
		}
	}

	d.ActionDefault(t)
	if got := waitSignal(t, sigs, "ActionInvoked", id, 10*time.Second); got != "default" {
		t.Errorf("ActionDefault: ActionInvoked %v, want default", got)
	}
	if n := d.CountDisplayed(t); n != 1 {
		t.Errorf("displayed after the default action: %d, want 1", n)
	}

	chosen := d.InvokeAction(t, "unlock")
	t.Logf("chose %q", chosen.Line)
	if got := waitSignal(t, sigs, "ActionInvoked", id, 10*time.Second); got != "unlock" {
		t.Errorf("InvokeAction(unlock): ActionInvoked %v, want unlock", got)
	}
	if chosen.ID != id || chosen.Key != "unlock" || chosen.Label != "Unlock" {
		t.Errorf("chosen %+v", chosen)
	}

	if call := obj.CallWithContext(ctx, traytest.NotificationsIface+".CloseNotification", 0, id); call.Err != nil {
		t.Fatalf("CloseNotification: %v", call.Err)
	}
	if got := waitSignal(t, sigs, "NotificationClosed", id, 10*time.Second); got != traytest.ClosedByCall {
		t.Errorf("NotificationClosed reason %v, want %d", got, traytest.ClosedByCall)
	}
	d.WaitDisplayed(t, 0, 10*time.Second)

	hist := d.History(t)
	t.Logf("history %+v", hist)
	if len(hist) != 1 {
		t.Fatalf("history has %d notifications, want 1", len(hist))
	}
	h := hist[0]
	if h.ID != id || h.Summary != "Repo locked" || h.Body != "nas is locked since 10:00" || h.AppName != "lockwatch" ||
		h.Category != "lockwatch.lock" || h.Urgency != "CRITICAL" || h.DefaultActionName != "default" {
		t.Errorf("history entry %+v", h)
	}
	if n := d.CountHistory(t); n != 1 {
		t.Errorf("count history %d, want 1", n)
	}
}
