//go:build !windows && !darwin

package notify

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startSessionBus runs a private dbus-daemon for the test and returns its
// address; the daemon is stopped when the test ends.
func startSessionBus(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not found (Debian/Ubuntu package \"dbus\"); the notifier test needs a real session bus")
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatalf("dbus-daemon printed no address; stderr: %s", stderr.String())
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon printed no address in 10s; stderr: %s", stderr.String())
		return ""
	}
}

// notifyCall is one Notify call as the stand-in daemon received it.
type notifyCall struct {
	ID                     uint32
	AppName                string
	ReplacesID             uint32
	AppIcon, Summary, Body string
	Actions                []string
	Hints                  map[string]dbus.Variant
	Timeout                int32
}

// standInDaemon is the test's stand-in notification daemon: it owns
// org.freedesktop.Notifications on the test's bus like a desktop's
// notification server does, records what it is asked to show, and sends
// the signals a real one sends when the user clicks or dismisses. Its
// exported methods are exactly the ones it serves over D-Bus.
type standInDaemon struct {
	conn   *dbus.Conn
	mu     sync.Mutex
	lastID uint32
	calls  []notifyCall
	closes []uint32 // the ids CloseNotification was called with
}

func startStandInDaemon(t *testing.T, addr string) *standInDaemon {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("stand-in daemon: connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &standInDaemon{conn: conn}
	if err := conn.Export(d, objectPath, iface); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName(busName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("stand-in daemon: own %s: %v (reply %v)", busName, err, reply)
	}
	return d
}

func (d *standInDaemon) Notify(appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := replacesID // a replacement keeps its id, as the spec says
	if id == 0 {
		d.lastID++
		id = d.lastID
	}
	d.calls = append(d.calls, notifyCall{id, appName, replacesID, appIcon, summary, body, actions, hints, timeout})
	return id, nil
}

func (d *standInDaemon) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}

func (d *standInDaemon) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "stand-in", "lockwatch tests", "1", "1.2", nil
}

func (d *standInDaemon) CloseNotification(id uint32) *dbus.Error {
	d.mu.Lock()
	d.closes = append(d.closes, id)
	d.mu.Unlock()
	d.closed(id, 3)
	return nil
}

// lastCall is the most recent Notify call.
func (d *standInDaemon) lastCall(t *testing.T) notifyCall {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.calls) == 0 {
		t.Fatal("the stand-in daemon got no Notify call")
	}
	return d.calls[len(d.calls)-1]
}

// click sends ActionInvoked, as a server does when the user clicks.
func (d *standInDaemon) click(t *testing.T, id uint32, action string) {
	t.Helper()
	if err := d.conn.Emit(objectPath, iface+".ActionInvoked", id, action); err != nil {
		t.Fatal(err)
	}
}

// closed sends NotificationClosed (reason 2: dismissed by the user, 3: by
// CloseNotification).
func (d *standInDaemon) closed(id, reason uint32) {
	d.conn.Emit(objectPath, iface+".NotificationClosed", id, reason)
}

// expectClick waits (up to 10s) for onAction: want is "TARGET#ACTION".
func expectClick(t *testing.T, clicks <-chan string, want string) {
	t.Helper()
	select {
	case got := <-clicks:
		if got != want {
			t.Fatalf("onAction %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no onAction %q within 10s", want)
	}
}

// newTestNotifier starts a bus, the stand-in daemon and a notifier that
// reports clicks on the returned channel.
func newTestNotifier(t *testing.T) (*busNotifier, *standInDaemon, <-chan string) {
	t.Helper()
	addr := startSessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr) // New must find the bus there
	d := startStandInDaemon(t, addr)
	clicks := make(chan string, 100)
	n, err := New("lockwatch", func(target, action string) { clicks <- target + "#" + action })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n.(*busNotifier), d, clicks
}

// post posts n and returns the id the daemon gave it.
func post(t *testing.T, n Notifier, d *standInDaemon, msg Notification) uint32 {
	t.Helper()
	if err := n.Post(msg); err != nil {
		t.Fatal(err)
	}
	return d.lastCall(t).ID
}

func TestNotifierReportsClicks(t *testing.T) {
	n, d, clicks := newTestNotifier(t)

	id := post(t, n, d, Notification{Title: "Stale lock", Body: "nas: locked for 3 h", Target: "repo/nas", Icon: "/usr/share/lock watch/icon.png"})
	call := d.lastCall(t)
	if call.AppName != "lockwatch" || call.Summary != "Stale lock" || call.Body != "nas: locked for 3 h" {
		t.Errorf("daemon got app %q summary %q body %q", call.AppName, call.Summary, call.Body)
	}
	if !slices.Contains(call.Actions, "default") {
		t.Errorf("actions %q lack \"default\", so a click on the body would not be reported", call.Actions)
	}
	if call.AppIcon != "file:///usr/share/lock%20watch/icon.png" {
		t.Errorf("app_icon = %q", call.AppIcon)
	}
	if v, ok := call.Hints["desktop-entry"]; !ok || v.Value() != "io.github.lockwatch" {
		t.Errorf("desktop-entry hint = %v", call.Hints["desktop-entry"])
	}
	if call.Timeout != -1 || call.ReplacesID != 0 {
		t.Errorf("expire_timeout %d replaces_id %d, want -1 and 0", call.Timeout, call.ReplacesID)
	}

	d.click(t, id, "default")
	expectClick(t, clicks, "repo/nas#default")

	// Signals from one sender arrive in order, so a click on another
	// notification right after shows that the ones before it were ignored.
	other := post(t, n, d, Notification{Title: "Stale lock", Body: "usb", Target: "repo/usb"})
	d.click(t, 999, "default") // not ours
	d.click(t, other, "default")
	expectClick(t, clicks, "repo/usb#default")

	d.closed(id, 2)
	d.click(t, id, "default") // closed: forgotten
	d.click(t, other, "default")
	expectClick(t, clicks, "repo/usb#default")
	n.mu.Lock()
	_, known := n.targets[id]
	n.mu.Unlock()
	if known {
		t.Errorf("id %d still tracked after NotificationClosed", id)
	}

	plain := post(t, n, d, Notification{Title: "Check finished", Body: "all fine"})
	if acts := d.lastCall(t).Actions; len(acts) != 0 {
		t.Errorf("a notification without Target has actions %q", acts)
	}
	d.click(t, plain, "default")
	d.click(t, other, "default")
	expectClick(t, clicks, "repo/usb#default")

	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	d.click(t, other, "default")
	// Proving that no click arrives: a closed notifier hears nothing more,
	// so there is no later click to wait for as above.
	select {
	case got := <-clicks:
		t.Errorf("onClick(%q) after Close", got)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestNotifierForgetsOldestWhenFull(t *testing.T) {
	n, d, clicks := newTestNotifier(t)
	first := post(t, n, d, Notification{Title: "t", Target: "repo/first"})
	var last uint32
	for range maxTracked {
		last = post(t, n, d, Notification{Title: "t", Target: "repo/later"})
	}
	n.mu.Lock()
	tracked, ordered := len(n.targets), len(n.order)
	n.mu.Unlock()
	if tracked != maxTracked || ordered != maxTracked {
		t.Errorf("tracking %d ids (%d in order), want %d", tracked, ordered, maxTracked)
	}
	d.click(t, first, "default")
	d.click(t, last, "default")
	expectClick(t, clicks, "repo/later#default")
}

func TestNewWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	n, err := New("lockwatch", nil)
	if err == nil {
		n.Close()
		t.Fatal("New succeeded without a bus")
	}
	if !strings.Contains(err.Error(), "session bus") {
		t.Errorf("error %q does not say what is missing", err)
	}
}

// A notification with a tag replaces the one shown with that tag, and
// Withdraw closes it; Unlock comes back as its own action; Critical is
// the urgency hint.
func TestNotifierTagsActionsAndUrgency(t *testing.T) {
	n, d, clicks := newTestNotifier(t)
	stale := Notification{Title: "nas has a stale lock", Target: "repo/nas", Tag: "repo/nas", Actions: []Action{{"unlock", "Unlock"}}}
	first := post(t, n, d, stale)
	call := d.lastCall(t)
	if want := []string{"default", "Open", "unlock", "Unlock"}; !slices.Equal(call.Actions, want) {
		t.Errorf("actions %q, want %q", call.Actions, want)
	}
	if v := call.Hints["urgency"].Value(); v != byte(1) {
		t.Errorf("urgency hint %v, want 1 (normal)", v)
	}
	d.click(t, first, "unlock")
	expectClick(t, clicks, "repo/nas#unlock")

	failed := post(t, n, d, Notification{Title: "A backup of nas failed", Target: "repo/nas", Tag: "repo/nas", Critical: true})
	if call := d.lastCall(t); call.ReplacesID != first || failed != first {
		t.Errorf("the second notification of nas replaces %d (got id %d), want %d", call.ReplacesID, failed, first)
	}
	if v := d.lastCall(t).Hints["urgency"].Value(); v != byte(2) {
		t.Errorf("urgency hint %v, want 2 (critical)", v)
	}
	other := post(t, n, d, Notification{Title: "usb has a stale lock", Target: "repo/usb", Tag: "repo/usb"})
	if d.lastCall(t).ReplacesID != 0 {
		t.Error("another tag replaced a notification")
	}

	if err := n.Withdraw("repo/nas"); err != nil {
		t.Fatal(err)
	}
	if err := n.Withdraw("repo/nas"); err != nil { // shown no more: nothing to do
		t.Fatal(err)
	}
	if err := n.Withdraw("repo/never"); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	closes := slices.Clone(d.closes)
	d.mu.Unlock()
	if !slices.Equal(closes, []uint32{first}) {
		t.Errorf("CloseNotification calls %v, want one for %d", closes, first)
	}
	// A new notification of nas is new again, not a replacement.
	post(t, n, d, stale)
	if d.lastCall(t).ReplacesID != 0 {
		t.Error("a notification after Withdraw replaced the withdrawn one")
	}
	d.click(t, other, "default")
	expectClick(t, clicks, "repo/usb#default")
}
