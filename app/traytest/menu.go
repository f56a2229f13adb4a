package traytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// MenuIface is the D-Bus interface of a tray item's menu.
const MenuIface = "com.canonical.dbusmenu"

// Menu is an item's com.canonical.dbusmenu object.
type Menu struct {
	BusName string
	Path    dbus.ObjectPath
	conn    *dbus.Conn
}

// MenuItem is one node of a dbusmenu layout. The root (ID 0) holds the
// top-level entries as Children.
type MenuItem struct {
	ID          int32
	Label       string // label as a panel shows it: mnemonic underscores removed
	RawLabel    string // label as sent, with mnemonic underscores
	Enabled     bool
	Visible     bool
	ToggleType  string // "", "checkmark" or "radio"
	ToggleState int32  // 0 off, 1 on, -1 (the default) indeterminate
	Type        string // "standard" or "separator"
	Children    []MenuItem
	Props       map[string]dbus.Variant // all properties as sent
}

// Menu reads the item's Menu property and returns the dbusmenu at that path.
func (it *Item) Menu(t testing.TB) *Menu {
	t.Helper()
	v := it.Property(t, "Menu")
	p, ok := v.Value().(dbus.ObjectPath)
	if !ok || p == "" || p == "/" {
		t.Fatalf("traytest: item %s has no menu: Menu property is %v (%s)", it, v, v.Signature())
	}
	return &Menu{BusName: it.BusName, Path: p, conn: it.conn}
}

type rawLayout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// layout calls GetLayout(0, -1, []) and parses the tree.
func (m *Menu) layout() (MenuItem, uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var rev uint32
	var raw rawLayout
	err := m.conn.Object(m.BusName, m.Path).CallWithContext(ctx, MenuIface+".GetLayout", 0,
		int32(0), int32(-1), []string{}).Store(&rev, &raw)
	if err != nil {
		return MenuItem{}, 0, err
	}
	root, err := parseLayout(raw, 0)
	return root, rev, err
}

func parseLayout(raw rawLayout, depth int) (MenuItem, error) {
	if depth > 32 {
		return MenuItem{}, fmt.Errorf("menu nested deeper than 32 levels")
	}
	it := MenuItem{
		ID:          raw.ID,
		Enabled:     true,
		Visible:     true,
		Type:        "standard",
		ToggleState: -1,
		Props:       raw.Props,
	}
	for k, v := range raw.Props {
		var ok bool
		switch k {
		case "label":
			it.RawLabel, ok = v.Value().(string)
			it.Label = StripMnemonic(it.RawLabel)
		case "enabled":
			it.Enabled, ok = v.Value().(bool)
		case "visible":
			it.Visible, ok = v.Value().(bool)
		case "type":
			it.Type, ok = v.Value().(string)
		case "toggle-type":
			it.ToggleType, ok = v.Value().(string)
		case "toggle-state":
			it.ToggleState, ok = toInt32(v.Value())
		default:
			ok = true
		}
		if !ok {
			return it, fmt.Errorf("menu item %d: property %q has type %s", raw.ID, k, v.Signature())
		}
	}
	for _, cv := range raw.Children {
		fields, ok := cv.Value().([]interface{})
		if !ok {
			return it, fmt.Errorf("menu item %d: child is %s, not (ia{sv}av)", raw.ID, cv.Signature())
		}
		var child rawLayout
		if err := dbus.Store(fields, &child.ID, &child.Props, &child.Children); err != nil {
			return it, fmt.Errorf("menu item %d: child %s: %v", raw.ID, cv.Signature(), err)
		}
		c, err := parseLayout(child, depth+1)
		if err != nil {
			return it, err
		}
		it.Children = append(it.Children, c)
	}
	return it, nil
}

func toInt32(v interface{}) (int32, bool) {
	switch n := v.(type) {
	case int32:
		return n, true
	case int16:
		return int32(n), true
	case int64:
		return int32(n), true
	case uint32:
		return int32(n), true
	case byte:
		return int32(n), true
	}
	return 0, false
}

// StripMnemonic turns a dbusmenu label into the text a panel shows: "_" marks
// the access key and is dropped, "__" is a literal "_".
func StripMnemonic(label string) string {
	if !strings.Contains(label, "_") {
		return label
	}
	var b strings.Builder
	for i := 0; i < len(label); i++ {
		if label[i] == '_' {
			if i+1 < len(label) && label[i+1] == '_' {
				b.WriteByte('_')
				i++
			}
			continue
		}
		b.WriteByte(label[i])
	}
	return b.String()
}

// Layout reads the whole menu: GetLayout(0, -1, []) parsed into a tree whose
// root has the top-level entries as Children.
func (m *Menu) Layout(t testing.TB) MenuItem {
	t.Helper()
	root, _, err := m.layout()
	if err != nil {
		t.Fatalf("traytest: menu %s%s: GetLayout: %v", m.BusName, m.Path, err)
	}
	return root
}

// Find looks an entry up by its label path from the top level, e.g.
// Find(t, "Quit") or Find(t, "Repositories", "nas"). Labels match by prefix
// ("nas — stale" finds "nas — stale lock (3h…)"); an exact match wins over a
// prefix match at each level. Separators never match.
func (m *Menu) Find(t testing.TB, path ...string) (MenuItem, bool) {
	t.Helper()
	return m.Layout(t).Find(path...)
}

// Find looks an entry up below it by label path (see Menu.Find).
func (mi MenuItem) Find(path ...string) (MenuItem, bool) {
	cur := mi
	for _, want := range path {
		next, ok := pick(cur.Children, want)
		if !ok {
			return MenuItem{}, false
		}
		cur = next
	}
	return cur, len(path) > 0
}

func pick(items []MenuItem, want string) (MenuItem, bool) {
	for _, c := range items {
		if c.Type != "separator" && c.Label == want {
			return c, true
		}
	}
	for _, c := range items {
		if c.Type != "separator" && strings.HasPrefix(c.Label, want) {
			return c, true
		}
	}
	return MenuItem{}, false
}

// FindAny returns the first entry, at any depth, whose label starts with prefix.
func (mi MenuItem) FindAny(prefix string) (MenuItem, bool) {
	for _, c := range mi.Children {
		if c.Type != "separator" && strings.HasPrefix(c.Label, prefix) {
			return c, true
		}
		if found, ok := c.FindAny(prefix); ok {
			return found, true
		}
	}
	return MenuItem{}, false
}

// Labels returns the labels of the direct children ("---" for separators).
func (mi MenuItem) Labels() []string {
	var out []string
	for _, c := range mi.Children {
		if c.Type == "separator" {
			out = append(out, "---")
		} else {
			out = append(out, c.Label)
		}
	}
	return out
}

// String renders the tree, one entry a line, for failure messages.
func (mi MenuItem) String() string {
	var b strings.Builder
	var walk func(MenuItem, int)
	walk = func(it MenuItem, depth int) {
		for _, c := range it.Children {
			b.WriteString(strings.Repeat("  ", depth))
			switch {
			case c.Type == "separator":
				b.WriteString("----")
			default:
				fmt.Fprintf(&b, "%q", c.Label)
			}
			fmt.Fprintf(&b, " [id %d", c.ID)
			if !c.Enabled {
				b.WriteString(", disabled")
			}
			if !c.Visible {
				b.WriteString(", hidden")
			}
			if c.ToggleType != "" {
				fmt.Fprintf(&b, ", %s=%d", c.ToggleType, c.ToggleState)
			}
			b.WriteString("]\n")
			walk(c, depth+1)
		}
	}
	walk(mi, 0)
	return b.String()
}

// Click sends Event(id, "clicked", "", time), what a panel sends when the user
// picks the entry. Ids change whenever the app rebuilds its menu (every Fyne
// Menu.Refresh), so use an id from a layout read after the last change, or
// ClickLabel.
func (m *Menu) Click(t testing.TB, id int32) {
	t.Helper()
	m.event(t, id, "clicked")
}

// Open sends what a panel sends when it shows the menu: AboutToShow(0) and
// Event(0, "opened").
func (m *Menu) Open(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var needUpdate bool
	if err := m.conn.Object(m.BusName, m.Path).CallWithContext(ctx, MenuIface+".AboutToShow", 0, int32(0)).Store(&needUpdate); err != nil {
		t.Fatalf("traytest: menu %s%s: AboutToShow: %v", m.BusName, m.Path, err)
	}
	m.event(t, 0, "opened")
}

func (m *Menu) event(t testing.TB, id int32, event string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	call := m.conn.Object(m.BusName, m.Path).CallWithContext(ctx, MenuIface+".Event", 0,
		id, event, dbus.MakeVariant(""), uint32(time.Now().Unix()))
	// A click that makes the app quit can end it before it answers: the
	// bus then says NoReply. Panels ignore the answer; what the click did
	// is for the test to check (e.g. that the process exited).
	var noReply dbus.Error
	if errors.As(call.Err, &noReply) && noReply.Name == "org.freedesktop.DBus.Error.NoReply" && event == "clicked" {
		t.Logf("traytest: menu %s%s: Event(%d, %q): the app left the bus before it answered", m.BusName, m.Path, id, event)
		return
	}
	if call.Err != nil {
		t.Fatalf("traytest: menu %s%s: Event(%d, %q): %v", m.BusName, m.Path, id, event, call.Err)
	}
}

// WaitLabel polls the layout until an entry (at any depth) whose label starts
// with prefix exists, and returns it.
func (m *Menu) WaitLabel(t testing.TB, prefix string, timeout time.Duration) MenuItem {
	t.Helper()
	return m.wait(t, timeout, fmt.Sprintf("an entry labelled %q…", prefix), func(root MenuItem) (MenuItem, bool) {
		return root.FindAny(prefix)
	})
}

// WaitFind polls the layout until Find(path...) succeeds and returns the entry.
func (m *Menu) WaitFind(t testing.TB, timeout time.Duration, path ...string) MenuItem {
	t.Helper()
	return m.wait(t, timeout, fmt.Sprintf("entry %q", path), func(root MenuItem) (MenuItem, bool) {
		return root.Find(path...)
	})
}

// WaitGoneLabel polls the layout until no entry's label starts with prefix.
func (m *Menu) WaitGoneLabel(t testing.TB, prefix string, timeout time.Duration) {
	t.Helper()
	m.wait(t, timeout, fmt.Sprintf("no entry labelled %q…", prefix), func(root MenuItem) (MenuItem, bool) {
		_, found := root.FindAny(prefix)
		return root, !found
	})
}

// ClickLabel waits (up to 5s) for the entry at the label path, then clicks it
// and returns it. Reading the id right before the click avoids stale ids.
func (m *Menu) ClickLabel(t testing.TB, path ...string) MenuItem {
	t.Helper()
	it := m.WaitFind(t, 5*time.Second, path...)
	if !it.Enabled {
		t.Fatalf("traytest: menu entry %q is disabled", path)
	}
	m.Click(t, it.ID)
	return it
}

func (m *Menu) wait(t testing.TB, timeout time.Duration, what string, match func(MenuItem) (MenuItem, bool)) MenuItem {
	t.Helper()
	var (
		root, found MenuItem
		err         error
	)
	if poll(timeout, func() bool {
		var ok bool
		root, _, err = m.layout()
		if err != nil {
			return false
		}
		found, ok = match(root)
		return ok
	}) {
		return found
	}
	t.Fatalf("traytest: menu %s%s: no %s within %v (last error: %v); last layout:\n%s",
		m.BusName, m.Path, what, timeout, err, root)
	return MenuItem{}
}
