package app

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/apptest"
	"github.com/lockwatch/lockwatch/platform/trayhost"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/store"
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

// newTestMainView shows sampleStatus in a test window; asked collects the
// unlock requests the view makes.
func newTestMainView(t *testing.T) (*MainView, fyne.Window, *[]api.UnlockRequest) {
	t.Helper()
	test.NewTempApp(t)
	v := NewMainView()
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1100, 600))
	v.Window = w
	asked := &[]api.UnlockRequest{}
	v.OnUnlock = func(repo string, req api.UnlockRequest) { *asked = append(*asked, req) }
	v.Show(apptest.Status())
	return v, w, asked
}

func TestMainViewShowsLocksAndConfirmsForcedRemoval(t *testing.T) {
	v, w, asked := newTestMainView(t)

	if v.Selected() != "nas" || w.Title() != "lockwatch — nas" {
		t.Fatalf("selected %q, title %q", v.Selected(), w.Title())
	}
	for _, cell := range [][2]int{{0, 0}, {0, 1}, {0, 6}, {1, 6}} {
		if got := v.cell(cell[0], cell[1]); got == "" {
			t.Errorf("empty cell %v", cell)
		}
	}
	if v.cell(0, 6) != "expired" || v.cell(1, 6) != "live" || v.cell(0, 1) != "exclusive" || v.cell(0, 2) != "mbp" || v.cell(2, 0) != "" {
		t.Errorf("table: %q %q %q", v.cell(0, 6), v.cell(1, 6), v.cell(0, 1))
	}
	if v.title.Text != "nas" || !strings.HasPrefix(v.state.Text, "stale lock (3h, PID 69387 on mbp") {
		t.Errorf("details: %q / %q", v.title.Text, v.state.Text)
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
	if len(*asked) != 1 || (*asked)[0].All || (*asked)[0].By != "tray" {
		t.Fatalf("before confirming: %+v", *asked)
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
	if len(*asked) != 2 || !(*asked)[1].All || !(*asked)[1].Confirm {
		t.Errorf("after confirming: %+v", *asked)
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
	noHost := &trayhost.Missing{What: trayhost.NoHost}
	why := noHost.Error() // in English, what stderr says
	inApp := "Checks run inside this app: no lockwatch service is running."
	if got := startBanner(noHost, inApp); got != why+"\n"+inApp {
		t.Errorf("no tray: banner %q", got)
	}
	if got := startBanner(noHost, ""); got != why {
		t.Errorf("no tray, service running: banner %q", got)
	}
	noBus := &trayhost.Missing{What: trayhost.NoBus, Err: errors.New("dial unix /run/user/1000/bus: connect: no such file or directory")}
	if got := startBanner(noBus, ""); got != noBus.Error() || !strings.Contains(got, noBus.Err.Error()) {
		t.Errorf("no bus: banner %q", got)
	}
	if got := startBanner(nil, inApp); got != inApp {
		t.Errorf("tray: banner %q", got)
	}
	if got := startBanner(nil, ""); got != "" {
		t.Errorf("tray and service: banner %q", got)
	}
}

func TestRemoveThisLockAsksAndNamesIt(t *testing.T) {
	v, w, asked := newTestMainView(t)

	header := v.locks.CreateHeader()
	v.locks.UpdateHeader(widget.TableCellID{Row: -1, Col: 7}, header)
	if header.(*widget.Label).Text != "Reason" {
		t.Errorf("header of column 7: %q", header.(*widget.Label).Text)
	}
	if !v.oneBtn.Disabled() {
		t.Fatal("Remove this lock… is enabled with no lock selected")
	}
	v.locks.Select(widget.TableCellID{Row: 1, Col: 0}) // the live lock
	if v.oneBtn.Disabled() {
		t.Fatal("Remove this lock… stays disabled with a lock selected")
	}
	if v.lockInfo.Text != "11111111 is live: process 4242 ('restic') is running" {
		t.Errorf("selected lock shown as %q", v.lockInfo.Text)
	}
	test.Tap(v.oneBtn)
	overlay := w.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("Remove this lock… did not ask")
	}
	text := strings.Join(labels(overlay), "\n")
	if !strings.Contains(text, "11111111 (shared): PID 4242 on vm, live") || strings.Contains(text, "99999999") {
		t.Errorf("confirmation shows:\n%s", text)
	}
	if len(*asked) != 0 {
		t.Fatalf("removed before confirming: %+v", *asked)
	}
	for _, o := range allObjects(overlay) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Remove" {
			test.Tap(b)
		}
	}
	if len(*asked) != 1 || len((*asked)[0].Locks) != 1 || (*asked)[0].Locks[0] != strings.Repeat("1", 64) || !(*asked)[0].Force || (*asked)[0].All {
		t.Errorf("after confirming: %+v", *asked)
	}
}

func TestHistoryLines(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.Local)
	run, _ := json.Marshal(check.RunSummary{StartedAt: at, Result: "failed", ExitCode: 1, Summary: "Fatal: wrong password"})
	for _, c := range []struct {
		e    store.Event
		want string
	}{
		{store.Event{Time: at, Kind: store.KindState, To: "stale", Detail: "1 orphaned"}, "2026-11-22 02:00  new → stale: 1 orphaned"},
		{store.Event{Time: at, Kind: store.KindRemoval, By: "auto", Verdict: "orphaned", Reason: "process 7 is gone",
			Lock: &store.LockRecord{ID: strings.Repeat("a", 64), PID: 7, Hostname: "mbp"}},
			"2026-11-22 02:00  removed aaaaaaaa (PID 7 on mbp), orphaned — by auto-unlock: process 7 is gone"},
		{store.Event{Time: at, Kind: store.KindRun, Run: run}, "2026-11-22 02:00  run failed (exit 1): Fatal: wrong password"},
	} {
		if got := HistoryLine(c.e); got != c.want {
			t.Errorf("HistoryLine = %q\nwant          %q", got, c.want)
		}
	}
}
