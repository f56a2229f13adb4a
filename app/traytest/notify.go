package traytest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

// D-Bus names of the desktop notification protocol.
const (
	NotificationsName  = "org.freedesktop.Notifications"
	NotificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	NotificationsIface = "org.freedesktop.Notifications"
)

// Reasons for NotificationClosed.
const (
	ClosedExpired   uint32 = 1
	ClosedDismissed uint32 = 2 // by the user
	ClosedByCall    uint32 = 3 // CloseNotification
	ClosedUndefined uint32 = 4
)

// Notified is one recorded Notify call.
type Notified struct {
	ID         uint32
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	Actions    []string // key, label, key, label, ...
	Hints      map[string]dbus.Variant
	Timeout    int32
	Sender     string // unique bus name of the caller
	At         time.Time
}

// HasAction reports whether the notification offers the action key.
func (n Notified) HasAction(key string) bool {
	for i := 0; i+1 < len(n.Actions); i += 2 {
		if n.Actions[i] == key {
			return true
		}
	}
	return false
}

// NotificationServer is the test's stand-in notification daemon: it owns
// org.freedesktop.Notifications on the session bus, records Notify calls and
// can emit ActionInvoked / NotificationClosed.
type NotificationServer struct {
	conn *dbus.Conn

	mu     sync.Mutex
	all    []Notified
	nextID uint32
	closed []uint32 // ids closed by CloseNotification
}

// StartNotificationServer owns org.freedesktop.Notifications on the session bus
// until the test ends. Start it before the app sends its first notification.
func (s *Session) StartNotificationServer(t testing.TB) *NotificationServer {
	t.Helper()
	conn := s.Connect(t)
	n := &NotificationServer{conn: conn, nextID: 1}
	if err := conn.Export(notifyObject{n}, NotificationsPath, NotificationsIface); err != nil {
		t.Fatalf("traytest: notifications: export: %v", err)
	}
	in := func(name, typ string) introspect.Arg { return introspect.Arg{Name: name, Type: typ, Direction: "in"} }
	out := func(name, typ string) introspect.Arg { return introspect.Arg{Name: name, Type: typ, Direction: "out"} }
	node := &introspect.Node{
		Name: string(NotificationsPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			{
				Name: NotificationsIface,
				Methods: []introspect.Method{
					{Name: "Notify", Args: []introspect.Arg{
						in("app_name", "s"), in("replaces_id", "u"), in("app_icon", "s"), in("summary", "s"),
						in("body", "s"), in("actions", "as"), in("hints", "a{sv}"), in("expire_timeout", "i"),
						out("id", "u"),
					}},
					{Name: "CloseNotification", Args: []introspect.Arg{in("id", "u")}},
					{Name: "GetCapabilities", Args: []introspect.Arg{out("capabilities", "as")}},
					{Name: "GetServerInformation", Args: []introspect.Arg{
						out("name", "s"), out("vendor", "s"), out("version", "s"), out("spec_version", "s"),
					}},
				},
				Signals: []introspect.Signal{
					{Name: "NotificationClosed", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "reason", Type: "u"}}},
					{Name: "ActionInvoked", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "action_key", Type: "s"}}},
				},
			},
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), NotificationsPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		t.Fatalf("traytest: notifications: export introspection: %v", err)
	}
	requestName(t, conn, NotificationsName)
	return n
}

// notifyObject holds the exported D-Bus methods only.
type notifyObject struct{ n *NotificationServer }

func (o notifyObject) Notify(sender dbus.Sender, appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n := o.n
	n.mu.Lock()
	defer n.mu.Unlock()
	id := replacesID
	if id == 0 {
		id = n.nextID
		n.nextID++
	}
	n.all = append(n.all, Notified{
		ID: id, AppName: appName, ReplacesID: replacesID, AppIcon: appIcon,
		Summary: summary, Body: body, Actions: actions, Hints: hints,
		Timeout: timeout, Sender: string(sender), At: time.Now(),
	})
	return id, nil
}

func (o notifyObject) CloseNotification(id uint32) *dbus.Error {
	o.n.mu.Lock()
	o.n.closed = append(o.n.closed, id)
	o.n.mu.Unlock()
	_ = o.n.conn.Emit(NotificationsPath, NotificationsIface+".NotificationClosed", id, ClosedByCall)
	return nil
}

func (o notifyObject) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body", "icon-static", "persistence"}, nil
}

func (o notifyObject) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "traytest", "lockwatch", "1.0", "1.2", nil
}

// All returns every notification received so far, oldest first. A notification
// that replaced another appears again with the same ID.
func (n *NotificationServer) All() []Notified {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notified(nil), n.all...)
}

// ClosedByApp returns the ids the app closed with CloseNotification.
func (n *NotificationServer) ClosedByApp() []uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]uint32(nil), n.closed...)
}

// Wait returns the first notification (received before or during the wait)
// that match accepts (nil accepts any), failing the test after timeout.
func (n *NotificationServer) Wait(t testing.TB, match func(Notified) bool, timeout time.Duration) Notified {
	t.Helper()
	var found Notified
	if poll(timeout, func() bool {
		for _, nt := range n.All() {
			if match == nil || match(nt) {
				found = nt
				return true
			}
		}
		return false
	}) {
		return found
	}
	var got []string
	for _, nt := range n.All() {
		got = append(got, fmt.Sprintf("#%d %q: %q", nt.ID, nt.Summary, nt.Body))
	}
	t.Fatalf("traytest: no matching notification within %v; received %d: %s", timeout, len(got), strings.Join(got, "; "))
	return Notified{}
}

func (n *NotificationServer) find(id uint32) (Notified, bool) {
	all := n.All()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].ID == id {
			return all[i], true
		}
	}
	return Notified{}, false
}

// Invoke acts like a user picking an action of notification id (use "default"
// for a click on the notification itself): it emits ActionInvoked(id, action)
// and then, as real daemons do, NotificationClosed(id, 2) unless the
// notification has the "resident" hint. It fails the test if the notification
// is unknown or does not offer the action.
func (n *NotificationServer) Invoke(t testing.TB, id uint32, action string) {
	t.Helper()
	nt, ok := n.find(id)
	if !ok {
		t.Fatalf("traytest: Invoke: no notification with id %d", id)
	}
	if !nt.HasAction(action) {
		t.Fatalf("traytest: Invoke: notification %d (%q) does not offer action %q; actions %q", id, nt.Summary, action, nt.Actions)
	}
	if err := n.conn.Emit(NotificationsPath, NotificationsIface+".ActionInvoked", id, action); err != nil {
		t.Fatalf("traytest: emit ActionInvoked: %v", err)
	}
	if resident, _ := nt.Hints["resident"].Value().(bool); !resident {
		n.Close(t, id, ClosedDismissed)
	}
}

// Close emits NotificationClosed(id, reason).
func (n *NotificationServer) Close(t testing.TB, id uint32, reason uint32) {
	t.Helper()
	if err := n.conn.Emit(NotificationsPath, NotificationsIface+".NotificationClosed", id, reason); err != nil {
		t.Fatalf("traytest: emit NotificationClosed: %v", err)
	}
}
