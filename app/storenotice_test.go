package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/apptest"
)

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
	st := apptest.Status()
	st.Notice = apptest.StoreNotice
	v.Show(st)

	want := "Note: " + apptest.StoreNotice
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
