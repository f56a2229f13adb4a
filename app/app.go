// Package app is lockwatch's desktop face, built with Fyne: for now one
// window with each repository's state and locks; the tray comes next.
package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/service"
	"github.com/lockwatch/lockwatch/service/config"
)

// ID is the application ID, as in FyneApp.toml.
const ID = "io.github.lockwatch"

// Run opens the main window on cfg's repositories and checks them.
func Run(cfg *config.Config) error {
	a := fyneapp.NewWithID(ID)
	w := a.NewWindow("lockwatch")
	view := NewStatusView()
	checker := service.NewChecker(cfg)
	check := func() {
		view.SetBusy(true)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			st, err := checker.CheckAll(ctx)
			fyne.Do(func() {
				view.SetBusy(false)
				if err != nil {
					view.ShowError(err)
					return
				}
				view.Show(st)
			})
		}()
	}
	view.OnCheck = check
	w.SetContent(view.Content())
	w.Resize(fyne.NewSize(820, 420))
	check()
	w.ShowAndRun()
	return nil
}

// StatusView shows the outcome of a check: a section per repository with
// its state and a row per lock. It is a plain function of the Status it is
// given, so tests can drive it without a display.
type StatusView struct {
	OnCheck func()

	header *widget.Label
	button *widget.Button
	repos  *fyne.Container
	root   fyne.CanvasObject
}

// NewStatusView builds an empty view.
func NewStatusView() *StatusView {
	v := &StatusView{header: widget.NewLabel("Checking…"), repos: container.NewVBox()}
	v.button = widget.NewButton("Check now", func() {
		if v.OnCheck != nil {
			v.OnCheck()
		}
	})
	top := container.NewBorder(nil, nil, nil, v.button, v.header)
	v.root = container.NewBorder(top, nil, nil, nil, container.NewVScroll(v.repos))
	return v
}

// Content is the view's widget tree.
func (v *StatusView) Content() fyne.CanvasObject { return v.root }

// SetBusy shows that a check is running.
func (v *StatusView) SetBusy(busy bool) {
	if busy {
		v.button.Disable()
		v.header.SetText("Checking…")
	} else {
		v.button.Enable()
	}
}

// ShowError replaces the view with an error that stopped the whole check.
func (v *StatusView) ShowError(err error) {
	v.header.SetText("Could not check: " + err.Error())
	v.repos.RemoveAll()
}

// Show displays st.
func (v *StatusView) Show(st service.Status) {
	v.header.SetText("Checked " + st.CheckedAt.Format("15:04:05") + " — " + Summary(st))
	v.repos.RemoveAll()
	for _, r := range st.Repos {
		title := widget.NewLabelWithStyle(RepoLabel(r), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		v.repos.Add(title)
		for _, l := range r.Locks {
			v.repos.Add(widget.NewLabel("    " + LockLabel(l)))
		}
	}
	v.repos.Refresh()
}
