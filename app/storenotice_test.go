package app

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// storeNotice is what the service says (check.Status.Notice) when its
// state.db could not be read and was moved aside.
const storeNotice = "/var/lib/lockwatch/state.db: not a lockwatch state file (invalid database); " +
	"it was moved to /var/lib/lockwatch/state.db.unreadable-20261206T043900 and the history starts anew"

// shownLabels is the text of every visible label under o.
func shownLabels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// The main window shows the service's notice on a line of its own, whole,
// and drops it once the service has none.
func TestMainViewShowsTheServiceNotice(t *testing.T) {
	test.NewTempApp(t)
	v := NewMainView()
	w := test.NewTempWindow(t, v.Content())
	st := sampleStatus()
	st.Notice = storeNotice
	v.Show(st)

	want := "Note: " + storeNotice
	if !slices.Contains(shownLabels(w.Canvas().Content()), want) {
		t.Errorf("the window does not show %q; it shows: %q", want, shownLabels(w.Canvas().Content()))
	}
	if v.Selected() != "nas" {
		t.Errorf("the repositories are not shown beside the notice: selected %q", v.Selected())
	}

	st.Notice = ""
	v.Show(st)
	if slices.Contains(shownLabels(w.Canvas().Content()), want) {
		t.Error("the notice stays after the service stopped sending it")
	}
}

// The tray has the start of the notice at the top of its menu (a click
// opens the window, which shows it whole) and on its tooltip's second line.
func TestTrayShowsTheServiceNotice(t *testing.T) {
	st := sampleStatus()
	st.Notice = storeNotice
	var rec recorder
	items := TrayMenu(st, false, "", rec.actions())
	first := items[0].Label
	if !strings.HasPrefix(first, "Note: /var/lib/lockwatch/state.db: not a lockwatch state file") || !strings.HasSuffix(first, "…") ||
		utf8.RuneCountInString(first) != 100 || !items[1].IsSeparator {
		t.Errorf("the menu starts %q, want the notice's start", menuLabels(items[:2]))
	}
	if items[0].Disabled || items[0].Action == nil {
		t.Fatal("the notice's item does nothing")
	}
	items[0].Action()
	if len(rec.calls) != 1 || rec.calls[0] != "open" {
		t.Errorf("a click on the notice did %q, want open", rec.calls)
	}
	if !strings.HasPrefix(menuLabels(items[2:]), "nas — ") {
		t.Errorf("the repositories do not follow the notice: %q", menuLabels(items))
	}

	tip := Tooltip(st)
	summary, note, ok := strings.Cut(tip, "\n")
	if !ok || summary != Tooltip(sampleStatus()) || note != first {
		t.Errorf("tooltip %q, want the summary, then %q", tip, first)
	}

	st.Notice = ""
	if items := TrayMenu(st, false, "", rec.actions()); strings.HasPrefix(items[0].Label, "Note:") {
		t.Error("the menu keeps a notice the service no longer sends")
	}
}
