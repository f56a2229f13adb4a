//go:build !windows && !darwin

package notify

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The freedesktop Desktop Notifications interface
// (https://specifications.freedesktop.org/notification-spec/).
const (
	busName    = "org.freedesktop.Notifications"
	objectPath = dbus.ObjectPath("/org/freedesktop/Notifications")
	iface      = "org.freedesktop.Notifications"

	// desktopEntry lets the server show lockwatch's name and icon and group
	// its notifications.
	desktopEntry = "io.github.lockwatch"

	// maxTracked bounds the id → Target map: servers that keep notifications
	// until the user acts never send NotificationClosed for ones the user
	// ignores, and the tray runs for weeks.
	maxTracked = 64

	callTimeout = 5 * time.Second
)

// busNotifier posts through the notification server on the session bus and
// turns its ActionInvoked signals into onClick calls.
type busNotifier struct {
	conn     *dbus.Conn
	appName  string
	onAction func(target, action string)
	match    []dbus.MatchOption
	done     chan struct{} // closed when watch returns

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	targets map[uint32]string // notification id → Target
	tags    map[string]uint32 // Tag → the id of the notification shown with it
	order   []uint32          // ids in posting order, oldest first
}

func newNotifier(appName string, onAction func(target, action string)) (Notifier, error) {
	// A private connection rather than dbus.SessionBus's shared one: Close
	// must be able to close it without pulling the bus from under Fyne, which
	// uses the shared connection.
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("notifications: connect to the D-Bus session bus (is DBUS_SESSION_BUS_ADDRESS set?): %w", err)
	}
	n := &busNotifier{
		conn:     conn,
		appName:  appName,
		onAction: onAction,
		done:     make(chan struct{}),
		targets:  make(map[uint32]string),
		tags:     make(map[string]uint32),
		// Sender is the well-known name, so the bus delivers only signals
		// from whoever runs the notification server, not look-alikes from
		// other clients.
		match: []dbus.MatchOption{
			dbus.WithMatchSender(busName),
			dbus.WithMatchObjectPath(objectPath),
			dbus.WithMatchInterface(iface),
		},
	}
	if err := conn.AddMatchSignal(n.match...); err != nil {
		conn.Close()
		return nil, fmt.Errorf("notifications: subscribe to %s signals: %w", iface, err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go n.watch(signals)
	return n, nil
}

func (n *busNotifier) Post(msg Notification) error {
	var actions []string
	if msg.Target != "" {
		// "default" is the action the server invokes when the body of the
		// notification is clicked; servers that show buttons label it "Open".
		actions = []string{DefaultAction, "Open"}
		for _, a := range msg.Actions {
			actions = append(actions, a.ID, a.Label)
		}
	}
	icon := ""
	if msg.Icon != "" {
		// The spec takes a file:// URI or a theme icon name for app_icon.
		icon = (&url.URL{Scheme: "file", Path: msg.Icon}).String()
	}
	urgency := byte(1) // normal
	if msg.Critical {
		urgency = 2
	}
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant(desktopEntry), "urgency": dbus.MakeVariant(urgency)}

	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	// Held across the call so that watch, should a click arrive before the
	// reply has been read, waits for the id to be recorded instead of
	// dropping the click. The reply does not go through watch, so this
	// cannot deadlock.
	n.mu.Lock()
	defer n.mu.Unlock()
	// The same tag replaces the notification shown with it (replaces_id).
	replaces := n.tags[msg.Tag]
	if msg.Tag == "" {
		replaces = 0
	}
	var id uint32
	err := n.conn.Object(busName, objectPath).CallWithContext(ctx, iface+".Notify", 0,
		n.appName, replaces, icon, msg.Title, msg.Body, actions, hints, int32(-1)).Store(&id)
	if err != nil {
		return fmt.Errorf("notifications: %s.Notify %q: %w", busName, msg.Title, err)
	}
	if replaces != 0 && replaces != id {
		n.forget(replaces) // a server may give the replacement a new id
	}
	n.track(id, msg.Target)
	if msg.Tag != "" {
		n.tags[msg.Tag] = id
	}
	return nil
}

// Withdraw closes the notification shown with tag (CloseNotification).
func (n *busNotifier) Withdraw(tag string) error {
	n.mu.Lock()
	id, ok := n.tags[tag]
	n.mu.Unlock()
	if !ok || tag == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := n.conn.Object(busName, objectPath).CallWithContext(ctx, iface+".CloseNotification", 0, id).Err; err != nil {
		return fmt.Errorf("notifications: %s.CloseNotification %d: %w", busName, id, err)
	}
	n.mu.Lock()
	n.forget(id)
	n.mu.Unlock()
	return nil
}

// track remembers id's target, forgetting the oldest when full. n.mu is held.
func (n *busNotifier) track(id uint32, target string) {
	if _, ok := n.targets[id]; !ok {
		n.order = append(n.order, id)
	}
	n.targets[id] = target
	for len(n.order) > maxTracked {
		n.forget(n.order[0])
	}
}

// forget drops id, and its tag. n.mu is held.
func (n *busNotifier) forget(id uint32) {
	for tag, tagged := range n.tags {
		if tagged == id {
			delete(n.tags, tag)
		}
	}
	if _, ok := n.targets[id]; !ok {
		return
	}
	delete(n.targets, id)
	for i, o := range n.order {
		if o == id {
			n.order = append(n.order[:i], n.order[i+1:]...)
			break
		}
	}
}

// watch handles the server's signals until the connection closes, which
// closes signals.
func (n *busNotifier) watch(signals <-chan *dbus.Signal) {
	defer close(n.done)
	for sig := range signals {
		if sig.Path != objectPath || len(sig.Body) < 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case iface + ".ActionInvoked":
			// The key is "default" (a click on the body; servers that draw
			// buttons label it "Open") or the ID of one of msg.Actions.
			action, _ := sig.Body[1].(string)
			n.mu.Lock()
			target, known := n.targets[id]
			n.mu.Unlock()
			if known && target != "" && action != "" {
				n.onAction(target, action)
			}
		case iface + ".NotificationClosed":
			n.mu.Lock()
			n.forget(id)
			n.mu.Unlock()
		}
	}
}

// Close unsubscribes and closes the connection; notifications already shown
// stay, but clicking them no longer reaches the app. Later calls do nothing.
func (n *busNotifier) Close() error {
	n.closeOnce.Do(func() {
		err := n.conn.RemoveMatchSignal(n.match...)
		if cerr := n.conn.Close(); err == nil {
			err = cerr
		}
		<-n.done
		n.closeErr = err
	})
	return n.closeErr
}

func registerURLScheme(string) error { return nil }
