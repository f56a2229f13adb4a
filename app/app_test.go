package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/service"
	"github.com/lockwatch/lockwatch/service/lock"
)

func sampleStatus() service.Status {
	return service.Status{
		CheckedAt: time.Date(2026, 11, 22, 9, 30, 0, 0, time.Local),
		Repos: []service.RepoStatus{
			{Name: "nas", State: service.StateStale, Locks: []service.LockStatus{
				{ID: strings.Repeat("9", 64), AgeSeconds: 3 * 3600, Exclusive: true, Hostname: "mbp", Username: "alice", PID: 69387, Verdict: lock.Expired, Reason: "not refreshed for 3h"},
			}},
			{Name: "usb", State: service.StateOK, Locks: []service.LockStatus{}},
			{Name: "cloud", State: service.StateError, Error: "restic list locks: wrong password or no key found"},
		},
	}
}

func texts(o fyne.CanvasObject) []string {
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
		case *widget.Button:
			out = append(out, "["+w.Text+"]")
		case fyne.Widget:
			if r := test.WidgetRenderer(w); r != nil {
				for _, c := range r.Objects() {
					walk(c)
				}
			}
		}
	}
	walk(o)
	return out
}

func TestStatusViewShowsEachRepoAndLock(t *testing.T) {
	test.NewTempApp(t)
	v := NewStatusView()
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(800, 400))
	v.Show(sampleStatus())
	got := strings.Join(texts(v.Content()), "\n")
	for _, want := range []string{
		"nas — stale lock (3h, PID 69387 on mbp)",
		"exclusive  PID 69387 on mbp (alice), 3h old — expired: not refreshed for 3h",
		"usb — ok, no locks",
		"cloud — cannot check: restic list locks: wrong password or no key found",
		"2 of 3 repositories need attention",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("view lacks %q; it shows:\n%s", want, got)
		}
	}
}

func TestCheckNowButton(t *testing.T) {
	test.NewTempApp(t)
	v := NewStatusView()
	clicked := 0
	v.OnCheck = func() { clicked++ }
	test.Tap(v.button)
	v.SetBusy(true)
	test.Tap(v.button) // disabled while a check runs
	if clicked != 1 {
		t.Errorf("Check now ran %d times, want 1", clicked)
	}
}
