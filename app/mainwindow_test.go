package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/service/api"
)

// labels collects the text of every label under o, dialogs included when o is a canvas overlay.
func labels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
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

func TestMainViewShowsLocksAndConfirmsForcedRemoval(t *testing.T) {
	test.NewTempApp(t)
	v := NewMainView()
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1100, 600))
	v.Window = w
	var asked []api.UnlockRequest
	v.OnUnlock = func(repo string, req api.UnlockRequest) { asked = append(asked, req) }
	v.Show(sampleStatus())

	if v.Selected() != "nas" || w.Title() != "lockwatch — nas" {
		t.Fatalf("selected %q, title %q", v.Selected(), w.Title())
	}
	for _, cell := range [][2]int{{1, 0}, {1, 1}, {1, 6}, {2, 6}} {
		if got := v.cell(cell[0], cell[1]); got == "" {
			t.Errorf("empty cell %v", cell)
		}
	}
	if v.cell(1, 6) != "expired" || v.cell(2, 6) != "live" || v.cell(1, 1) != "exclusive" || v.cell(0, 7) != "Reason" {
		t.Errorf("table: %q %q %q", v.cell(1, 6), v.cell(2, 6), v.cell(1, 1))
	}
	if v.unlockBtn.Disabled() || v.oneBtn.Disabled() == false || v.allBtn.Disabled() {
		t.Errorf("buttons: unlock %v one %v all %v", v.unlockBtn.Disabled(), v.oneBtn.Disabled(), v.allBtn.Disabled())
	}

	// Unlock stale goes straight through; Remove all asks first and lists the live lock.
	test.Tap(v.unlockBtn)
	test.Tap(v.allBtn)
	overlay := w.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("Remove all locks… did not ask")
	}
	text := strings.Join(labels(overlay), "\n")
	if !strings.Contains(text, "11111111 (shared): PID 4242 on vm, live") || !strings.Contains(text, "1 lock may still be in use") {
		t.Errorf("confirmation shows:\n%s", text)
	}
	if len(asked) != 1 || asked[0].All || asked[0].By != "tray" {
		t.Fatalf("before confirming: %+v", asked)
	}
	var remove *widget.Button
	for _, o := range allObjects(overlay) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Remove" {
			remove = b
		}
	}
	if remove == nil {
		t.Fatal("no Remove button in the confirmation")
	}
	test.Tap(remove)
	if len(asked) != 2 || !asked[1].All || !asked[1].Confirm {
		t.Errorf("after confirming: %+v", asked)
	}

	// Selecting another repository retitles the window and clears the lock selection.
	v.Select("usb")
	if w.Title() != "lockwatch — usb" || !v.unlockBtn.Disabled() || !v.allBtn.Disabled() {
		t.Errorf("after selecting usb: title %q", w.Title())
	}
}

func allObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch w := o.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			out = append(out, allObjects(c)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(w).Objects() {
			out = append(out, allObjects(c)...)
		}
	}
	return out
}

func TestBanner(t *testing.T) {
	test.NewTempApp(t)
	v := NewMainView()
	v.SetBanner("this desktop shows no tray icons")
	if !v.banner.Visible() || v.banner.Text != "this desktop shows no tray icons" {
		t.Error("banner not shown")
	}
	v.SetBanner("")
	if v.banner.Visible() {
		t.Error("empty banner still visible")
	}
}

// Without a tray host the window is all the user sees, so it says why.
func TestStartBannerSaysWhyThereIsNoTray(t *testing.T) {
	why := "this desktop shows no tray icons (nothing provides org.kde.StatusNotifierWatcher)"
	inApp := "Checks run inside this app: no lockwatch service is running."
	if got := startBanner(false, why, inApp); got != why+"\n"+inApp {
		t.Errorf("no tray: banner %q", got)
	}
	if got := startBanner(false, why, ""); got != why {
		t.Errorf("no tray, service running: banner %q", got)
	}
	if got := startBanner(true, "", inApp); got != inApp {
		t.Errorf("tray: banner %q", got)
	}
	if got := startBanner(true, "", ""); got != "" {
		t.Errorf("tray and service: banner %q", got)
	}
}
