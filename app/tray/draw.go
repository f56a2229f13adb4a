package tray

import (
	"strings"
	"sync/atomic"

	"fyne.io/systray"
)

// drawnMenu is the menu as fyne.io/systray shows it. A new status usually
// changes only words (a lock's age, a state): those are changed in place,
// so items keep their IDs — a tray host that is showing the menu, or a
// click on its way, never meets an item that was just replaced — and the
// host is told of one change instead of a whole new menu.
type drawnMenu struct {
	shape string
	items []*drawnItem
}

type drawnItem struct {
	shown    Item
	mi       *systray.MenuItem
	action   atomic.Pointer[func()]
	children []*drawnItem
}

// update shows items, in place when the menu has the same shape, and
// returns what is drawn now.
func (m *drawnMenu) update(items []*Item) *drawnMenu {
	shape := shapeOf(items)
	if m != nil && m.shape == shape {
		for i, it := range items {
			m.items[i].set(it)
		}
		return m
	}
	systray.ResetMenu()
	return &drawnMenu{shape: shape, items: add(items, nil)}
}

// shapeOf describes what cannot change in place: where the separators and
// submenus are, and which items are checkboxes.
func shapeOf(items []*Item) string {
	var b strings.Builder
	for _, it := range items {
		switch {
		case it.IsSeparator:
			b.WriteString("-")
		case it.Checked:
			b.WriteString("x")
		default:
			b.WriteString("o")
		}
		if it.Children != nil {
			b.WriteString("(" + shapeOf(it.Children) + ")")
		}
	}
	return b.String()
}

// add draws items under parent (nil: the top level). Each item serves its
// clicks until the menu is drawn anew: ResetMenu closes the channels of
// the items it removes.
func add(items []*Item, parent *systray.MenuItem) []*drawnItem {
	var drawn []*drawnItem
	for _, it := range items {
		d := &drawnItem{}
		drawn = append(drawn, d)
		if it.IsSeparator {
			if parent != nil {
				parent.AddSeparator()
			} else {
				systray.AddSeparator()
			}
			continue
		}
		// Only a checked item is a checkbox: Linux draws an empty box
		// beside an unchecked one, which reads as a setting for every item.
		switch {
		case parent != nil && it.Checked:
			d.mi = parent.AddSubMenuItemCheckbox(it.Label, "", true)
		case parent != nil:
			d.mi = parent.AddSubMenuItem(it.Label, "")
		case it.Checked:
			d.mi = systray.AddMenuItemCheckbox(it.Label, "", true)
		default:
			d.mi = systray.AddMenuItem(it.Label, "")
		}
		d.shown = Item{Label: it.Label}
		d.children = add(it.Children, d.mi)
		d.set(it)
		go func() {
			for range d.mi.ClickedCh {
				if action := d.action.Load(); action != nil {
					(*action)()
				}
			}
		}()
	}
	return drawn
}

// set makes a drawn item show it, which has the same shape.
func (d *drawnItem) set(it *Item) {
	if d.mi == nil {
		return // a separator
	}
	if it.Label != d.shown.Label {
		d.mi.SetTitle(it.Label)
	}
	if disabled := it.Disabled || (it.Action == nil && it.Children == nil); disabled != d.mi.Disabled() {
		if disabled {
			d.mi.Disable()
		} else {
			d.mi.Enable()
		}
	}
	if it.Action != nil {
		action := it.Action
		d.action.Store(&action)
	} else {
		d.action.Store(nil)
	}
	for i, child := range it.Children {
		d.children[i].set(child)
	}
	d.shown = Item{Label: it.Label}
}
