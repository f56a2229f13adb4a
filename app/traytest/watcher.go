package traytest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// D-Bus names of the StatusNotifierItem protocol.
const (
	WatcherName     = "org.kde.StatusNotifierWatcher"
	WatcherPath     = dbus.ObjectPath("/StatusNotifierWatcher")
	WatcherIface    = "org.kde.StatusNotifierWatcher"
	ItemIface       = "org.kde.StatusNotifierItem"
	defaultItemPath = dbus.ObjectPath("/StatusNotifierItem")
)

// Watcher is a StatusNotifierWatcher that the test runs on the session bus:
// the test's stand-in for a desktop panel. Items register with it and the test
// reads and drives them through it.
type Watcher struct {
	conn  *dbus.Conn
	props *prop.Properties

	mu       sync.Mutex
	items    []*Item // registered and not gone, in registration order
	returned map[*Item]bool
	hosts    []string
}

// Item is a registered StatusNotifierItem.
type Item struct {
	BusName string          // bus name to call (the registering connection's unique name, or the name it registered)
	Path    dbus.ObjectPath // object path of the item
	Service string          // what the item passed to RegisterStatusNotifierItem

	owner string // unique name of the owning connection
	conn  *dbus.Conn
	gone  chan struct{}
	once  sync.Once
}

// String is the item as listed in RegisteredStatusNotifierItems.
func (it *Item) String() string { return it.BusName + string(it.Path) }

// StartWatcher owns org.kde.StatusNotifierWatcher on the session bus (the role
// of a desktop panel) until the test ends. It fails the test if the name is
// taken already.
func (s *Session) StartWatcher(t testing.TB) *Watcher {
	t.Helper()
	conn := s.Connect(t)
	w := &Watcher{conn: conn, returned: map[*Item]bool{}}

	// Notice items (and hosts) that leave the bus.
	if err := conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
	); err != nil {
		t.Fatalf("traytest: watcher: add match: %v", err)
	}
	sigs := make(chan *dbus.Signal, 256)
	conn.Signal(sigs)
	go w.watchNames(sigs)

	if err := conn.Export(watcherObject{w}, WatcherPath, WatcherIface); err != nil {
		t.Fatalf("traytest: watcher: export: %v", err)
	}
	props, err := prop.Export(conn, WatcherPath, map[string]map[string]*prop.Prop{
		WatcherIface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		t.Fatalf("traytest: watcher: export properties: %v", err)
	}
	w.props = props
	node := &introspect.Node{
		Name: string(WatcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			{
				Name: WatcherIface,
				Methods: []introspect.Method{
					{Name: "RegisterStatusNotifierItem", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
					{Name: "RegisterStatusNotifierHost", Args: []introspect.Arg{{Name: "service", Type: "s", Direction: "in"}}},
				},
				Signals: []introspect.Signal{
					{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Name: "service", Type: "s"}}},
					{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Name: "service", Type: "s"}}},
					{Name: "StatusNotifierHostRegistered"},
					{Name: "StatusNotifierHostUnregistered"},
				},
				Properties: props.Introspection(WatcherIface),
			},
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), WatcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		t.Fatalf("traytest: watcher: export introspection: %v", err)
	}

	// Own the name last, once everything it promises is exported.
	requestName(t, conn, WatcherName)
	_ = conn.Emit(WatcherPath, WatcherIface+".StatusNotifierHostRegistered")
	return w
}

// requestName takes a well-known name or fails the test.
func requestName(t testing.TB, conn *dbus.Conn, name string) {
	t.Helper()
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatalf("traytest: request name %s: %v", name, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		owner := ""
		_ = conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&owner)
		t.Fatalf("traytest: bus name %s is owned already (by %s, reply %v); was a real service activated on the private bus?", name, owner, reply)
	}
}

// watcherObject holds the exported D-Bus methods only.
type watcherObject struct{ w *Watcher }

// RegisterStatusNotifierItem accepts a bus name ("org.kde.StatusNotifierItem-1-1"
// or ":1.5"), an object path (the bus name is then the caller, as
// fyne.io/systray and libappindicator do), or "busname/path".
func (o watcherObject) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w := o.w
	busName, path := string(sender), defaultItemPath
	switch {
	case strings.HasPrefix(service, "/"):
		path = dbus.ObjectPath(service)
	case strings.Contains(service, "/"):
		i := strings.Index(service, "/")
		busName, path = service[:i], dbus.ObjectPath(service[i:])
	case service != "":
		busName = service
	}
	if !path.IsValid() {
		return dbus.MakeFailedError(fmt.Errorf("invalid object path %q", path))
	}
	owner := busName
	if !strings.HasPrefix(owner, ":") {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if err := w.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, busName).Store(&owner); err != nil {
			return dbus.MakeFailedError(fmt.Errorf("service %q is not on the bus: %v", busName, err))
		}
	}

	w.mu.Lock()
	for _, it := range w.items {
		if it.BusName == busName && it.Path == path {
			w.mu.Unlock()
			return nil // registered again (systray does so when the watcher changes)
		}
	}
	it := &Item{BusName: busName, Path: path, Service: service, owner: owner, conn: w.conn, gone: make(chan struct{})}
	w.items = append(w.items, it)
	list := w.listLocked()
	w.mu.Unlock()

	w.setItems(list)
	_ = w.conn.Emit(WatcherPath, WatcherIface+".StatusNotifierItemRegistered", it.String())
	return nil
}

// RegisterStatusNotifierHost records a host; the watcher itself always claims
// a host is registered.
func (o watcherObject) RegisterStatusNotifierHost(sender dbus.Sender, service string) *dbus.Error {
	o.w.mu.Lock()
	o.w.hosts = append(o.w.hosts, service)
	o.w.mu.Unlock()
	return nil
}

func (w *Watcher) listLocked() []string {
	list := make([]string, 0, len(w.items))
	for _, it := range w.items {
		list = append(list, it.String())
	}
	return list
}

func (w *Watcher) watchNames(sigs <-chan *dbus.Signal) {
	for sig := range sigs {
		if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) < 3 {
			continue
		}
		name, _ := sig.Body[0].(string)
		newOwner, _ := sig.Body[2].(string)
		if newOwner != "" {
			continue
		}
		var gone []*Item
		w.mu.Lock()
		kept := w.items[:0]
		for _, it := range w.items {
			if it.owner == name || it.BusName == name {
				gone = append(gone, it)
			} else {
				kept = append(kept, it)
			}
		}
		w.items = kept
		list := w.listLocked()
		w.mu.Unlock()
		if len(gone) == 0 {
			continue
		}
		w.setItems(list)
		for _, it := range gone {
			it.once.Do(func() { close(it.gone) })
			_ = w.conn.Emit(WatcherPath, WatcherIface+".StatusNotifierItemUnregistered", it.String())
		}
	}
}

// Items returns the items registered now.
func (w *Watcher) Items() []*Item {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*Item(nil), w.items...)
}

// WaitItem waits until an item registers and returns it. Each call returns a
// different item: the first one registered that no earlier WaitItem returned.
func (w *Watcher) WaitItem(t testing.TB, timeout time.Duration) *Item {
	t.Helper()
	var found *Item
	poll(timeout, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, it := range w.items {
			if !w.returned[it] {
				w.returned[it] = true
				found = it
				return true
			}
		}
		return false
	})
	if found == nil {
		t.Fatalf("traytest: no StatusNotifierItem registered with the watcher within %v (is the app running with the session's DBUS_SESSION_BUS_ADDRESS?)", timeout)
	}
	return found
}

// WaitGone waits until the item's connection left the bus (the app quit).
func (it *Item) WaitGone(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-it.gone:
	case <-time.After(timeout):
		t.Fatalf("traytest: item %s still on the bus after %v", it, timeout)
	}
}

func (it *Item) obj() dbus.BusObject { return it.conn.Object(it.BusName, it.Path) }

// getProperty reads an org.kde.StatusNotifierItem property.
func (it *Item) getProperty(name string) (dbus.Variant, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var v dbus.Variant
	err := it.obj().CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ItemIface, name).Store(&v)
	return v, err
}

// Property returns an org.kde.StatusNotifierItem property (Id, Title, Status,
// ToolTip, IconPixmap, IconName, Menu, ItemIsMenu, ...).
func (it *Item) Property(t testing.TB, name string) dbus.Variant {
	t.Helper()
	v, err := it.getProperty(name)
	if err != nil {
		t.Fatalf("traytest: item %s: get property %s: %v", it, name, err)
	}
	return v
}

// WaitProperty polls a property until ok accepts it and returns it.
func (it *Item) WaitProperty(t testing.TB, name string, ok func(dbus.Variant) bool, timeout time.Duration) dbus.Variant {
	t.Helper()
	var v dbus.Variant
	var err error
	if poll(timeout, func() bool {
		v, err = it.getProperty(name)
		return err == nil && ok(v)
	}) {
		return v
	}
	t.Fatalf("traytest: item %s: property %s not as expected within %v: last value %v, error %v", it, name, timeout, v, err)
	return v
}

// Title returns the Title property.
func (it *Item) Title(t testing.TB) string {
	t.Helper()
	return variantString(t, "Title", it.Property(t, "Title"))
}

// Status returns the Status property (Passive, Active or NeedsAttention).
func (it *Item) Status(t testing.TB) string {
	t.Helper()
	return variantString(t, "Status", it.Property(t, "Status"))
}

// ToolTip returns the tooltip's text: its title and description joined by a
// space and trimmed. (The ToolTip property is (sa(iiay)ss): icon name, pixmaps,
// title, description.)
func (it *Item) ToolTip(t testing.TB) string {
	t.Helper()
	v := it.Property(t, "ToolTip")
	var tip struct {
		IconName    string
		Pixmaps     []rawPixmap
		Title, Body string
	}
	if err := v.Store(&tip); err != nil {
		t.Fatalf("traytest: item %s: ToolTip %v (%s): %v", it, v, v.Signature(), err)
	}
	return strings.TrimSpace(tip.Title + " " + tip.Body)
}

// Pixmap is one icon image: width, height and ARGB32 pixels in network
// (big-endian) byte order, row by row.
type Pixmap struct {
	W, H int
	ARGB []byte
}

type rawPixmap struct {
	W, H int32
	ARGB []byte
}

// IconPixmap returns the IconPixmap property (a(iiay)).
func (it *Item) IconPixmap(t testing.TB) []Pixmap {
	t.Helper()
	v := it.Property(t, "IconPixmap")
	pms, err := pixmaps(v)
	if err != nil {
		t.Fatalf("traytest: item %s: IconPixmap %s: %v", it, v.Signature(), err)
	}
	return pms
}

func pixmaps(v dbus.Variant) ([]Pixmap, error) {
	var raw []rawPixmap
	if err := v.Store(&raw); err != nil {
		return nil, err
	}
	out := make([]Pixmap, 0, len(raw))
	for _, r := range raw {
		out = append(out, Pixmap{W: int(r.W), H: int(r.H), ARGB: r.ARGB})
	}
	return out, nil
}

// Valid reports whether the pixmap is non-empty and its data matches W*H*4.
func (p Pixmap) Valid() bool {
	return p.W > 0 && p.H > 0 && len(p.ARGB) == p.W*p.H*4
}

// Activate calls the item's Activate(x, y), what a panel does on a left click.
func (it *Item) Activate(t testing.TB, x, y int32) {
	t.Helper()
	it.callItem(t, "Activate", x, y)
}

// SecondaryActivate calls the item's SecondaryActivate(x, y) (middle click).
func (it *Item) SecondaryActivate(t testing.TB, x, y int32) {
	t.Helper()
	it.callItem(t, "SecondaryActivate", x, y)
}

func (it *Item) callItem(t testing.TB, method string, args ...interface{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if call := it.obj().CallWithContext(ctx, ItemIface+"."+method, 0, args...); call.Err != nil {
		t.Fatalf("traytest: item %s: %s: %v", it, method, call.Err)
	}
}

func variantString(t testing.TB, name string, v dbus.Variant) string {
	t.Helper()
	s, ok := v.Value().(string)
	if !ok {
		t.Fatalf("traytest: property %s is %s, not a string", name, v.Signature())
	}
	return s
}

// setItems publishes the registered items. It cannot fail but for a
// closed connection, when the session is ending: SetMust panicked then (a
// name lost while the test closed the bus), which took the test binary down.
func (w *Watcher) setItems(list []string) {
	_ = w.props.Set(WatcherIface, "RegisteredStatusNotifierItems", dbus.MakeVariant(list))
}
