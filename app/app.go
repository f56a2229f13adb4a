// Package app is lockwatch's window process: the main window, settings
// and confirmations, drawn by Fyne. The tray (package tray) starts it on
// demand with `lockwatch window [TARGET]`; it exits when its last window
// closes, so Fyne's driver — which ticks 60 times a second while it runs —
// costs nothing the rest of the day. Everything it shows comes from a
// check.Status; everything it does goes through the service's API.
package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/client"
	"github.com/lockwatch/lockwatch/app/i18n"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/platform/trayhost"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
)

// ID is the application ID, as in FyneApp.toml.
const ID = "io.github.lockwatch"

// Options say how to start the window process.
type Options struct {
	ConfigPath string
	Executable string // this binary, for "Start at login"
	Open       string // what to show: "" (the main window), "repo/NAME" or "settings"
}

// UI is the running window process.
type UI struct {
	opts    Options
	app     fyne.App
	backend api.Backend

	main      fyne.Window
	mainShown bool // the main window is open (hidden windows keep Fyne running)
	view      *MainView
	settings  fyne.Window
	imports   fyne.Window // the import window opened from the settings
	offered   bool        // discovery ran for a config without repositories

	mu sync.Mutex
	st check.Status
}

// Run shows opts.Open and returns when the last window closes. If a window
// process runs already, it gets the request instead.
func Run(opts Options) error {
	if client.HandOver(client.Window, client.Open, opts.Open) {
		return nil
	}
	i18n.UseConfigured(opts.ConfigPath)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := fyneapp.NewWithID(ID)
	a.SetIcon(fyne.NewStaticResource("lockwatch.png", icons.App()))
	ui := &UI{opts: opts, app: a}
	err := client.Listen(ctx, client.Window, func(request, target string) {
		switch request {
		case client.Quit:
			fyne.Do(a.Quit)
		case client.Open:
			fyne.Do(func() { ui.open(target) })
		}
	})
	if errors.Is(err, client.ErrTaken) {
		client.HandOver(client.Window, client.Open, opts.Open) // another started this very moment
		return nil
	}

	// Usually the tray's service, or a running one; else (a link opened
	// with no tray running) this process checks on its own.
	backend, note, err := client.Connect(ctx, opts.ConfigPath)
	ui.backend = backend
	ui.view = NewMainView()
	ui.main = a.NewWindow("lockwatch")
	ui.main.SetContent(ui.view.Content())
	ui.main.Resize(fyne.NewSize(1280, 640))
	ui.view.Window = ui.main
	ui.view.OnCheck = ui.check
	ui.view.OnUnlock = ui.unlock
	ui.view.OnHistory = ui.loadHistory
	ui.main.SetOnClosed(func() { ui.mainShown = false })
	if err != nil {
		ui.view.SetBanner(lang.L("lockwatch cannot start checking: {{.Error}}", map[string]any{"Error": err.Error()}))
		ui.main.ShowAndRun()
		return nil
	}
	ui.view.SetBanner(startBanner(trayhost.Available(), note))
	go ui.follow(ctx)
	ui.open(opts.Open)
	a.Run()
	return nil
}

// startBanner is the window's note at start: why there is no tray icon
// (the window stands in for it), then where the checks run.
func startBanner(noTray error, note string) string {
	if noTray == nil {
		return note
	}
	return strings.TrimSpace(noTrayWords(noTray) + "\n" + note)
}

// noTrayWords says in the user's language why no tray icon can be shown.
func noTrayWords(err error) string {
	var missing *trayhost.Missing
	switch {
	case !errors.As(err, &missing):
		return err.Error()
	case missing.What == trayhost.NoHost:
		return lang.L("this desktop shows no tray icons (nothing provides {{.Name}}; on GNOME, install the AppIndicator extension), so lockwatch opens this window instead", map[string]any{"Name": trayhost.Watcher})
	}
	return lang.L("no usable D-Bus session bus, so no tray icon can be shown ({{.Error}})", map[string]any{"Error": missing.Err.Error()})
}

// follow keeps the UI current from the service's event stream, reconnecting when it breaks.
func (ui *UI) follow(ctx context.Context) {
	for ctx.Err() == nil {
		if st, err := ui.backend.Status(ctx); err == nil {
			fyne.Do(func() { ui.show(st) })
		}
		err := ui.backend.Events(ctx, func(ev daemon.Event) { fyne.Do(func() { ui.handle(ev) }) })
		if ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			ui.view.SetBanner(lang.L("Lost the lockwatch service ({{.Error}}); reconnecting…", map[string]any{"Error": err.Error()}))
		})
		time.Sleep(2 * time.Second)
	}
}

// handle applies one event from the service. Runs on the UI thread.
func (ui *UI) handle(ev daemon.Event) {
	switch ev.Type {
	case daemon.EventRepo:
		st := ui.status()
		for i := range st.Repos {
			if st.Repos[i].Name == ev.Repo && ev.Status != nil {
				st.Repos[i] = *ev.Status
			}
		}
		ui.show(st)
	case daemon.EventHistory:
		if ev.Repo == ui.view.Selected() {
			ui.loadHistory(ev.Repo)
		}
	case daemon.EventConfig:
		go func() {
			if st, err := ui.backend.Status(context.Background()); err == nil {
				fyne.Do(func() { ui.show(st) })
			}
		}()
	}
}

func (ui *UI) status() check.Status {
	ui.mu.Lock()
	defer ui.mu.Unlock()
	return ui.st
}

// show displays st everywhere. Runs on the UI thread.
func (ui *UI) show(st check.Status) {
	ui.mu.Lock()
	ui.st = st
	ui.mu.Unlock()
	ui.view.Show(st)
	if len(st.Repos) == 0 && !ui.offered {
		// The first run (or every repository removed): rather than an
		// empty list, offer what the other backup tools already know.
		ui.offered = true
		go func() {
			found := FindRepositories(context.Background(), ui.opts.ConfigPath)
			if found.Importable() {
				fyne.Do(func() { ui.offerInMain(found) })
			}
		}()
	}
}

// offerInMain shows discovery's offer in the main window until the user
// imports or says Not now. Runs on the UI thread.
func (ui *UI) offerInMain(found Found) {
	sb, ok := ui.backend.(api.SettingsBackend)
	if !ok || len(ui.status().Repos) > 0 {
		return
	}
	iv := NewImportView(sb, ui.opts.ConfigPath, found)
	iv.OnDone = func([]string) {
		ui.main.SetContent(ui.view.Content())
		ui.main.SetTitle("lockwatch")
	}
	ui.main.SetContent(iv.Content())
	ui.main.SetTitle(lang.L("lockwatch — import"))
}

// quitIfNoWindow ends the window process once none of its windows is
// open: the hidden main window would keep Fyne (and its 60 Hz loop) running.
func (ui *UI) quitIfNoWindow() {
	if !ui.mainShown && ui.settings == nil && ui.imports == nil {
		ui.app.Quit()
	}
}

// showImport opens the import window (the settings' Import…), or brings
// it to the front; after an import, done runs on the UI thread.
func (ui *UI) showImport(sb api.SettingsBackend, done func()) {
	if ui.imports != nil {
		ui.imports.Show()
		ui.imports.RequestFocus()
		return
	}
	w := ui.app.NewWindow(lang.L("lockwatch — import"))
	w.SetContent(container.NewCenter(widget.NewLabel(lang.L("Looking for restic repositories…"))))
	w.Resize(fyne.NewSize(820, 600))
	w.SetOnClosed(func() {
		ui.imports = nil
		ui.quitIfNoWindow()
	})
	ui.imports = w
	w.Show()
	go func() {
		found := FindRepositories(context.Background(), ui.opts.ConfigPath)
		fyne.Do(func() {
			iv := NewImportView(sb, ui.opts.ConfigPath, found)
			iv.OnDone = func(imported []string) {
				w.Close()
				if len(imported) > 0 {
					done()
				}
			}
			w.SetContent(iv.Content())
		})
	}()
}

// open shows a target: "settings", else the main window on "repo/NAME"
// (or a plain repository name; "" for none in particular). "unlock/NAME"
// (a Windows toast's Unlock button, with no tray running) shows the
// repository and removes its stale locks, as judged now.
func (ui *UI) open(target string) {
	switch target {
	case "settings":
		ui.showSettings()
		return
	case "import":
		sb, ok := ui.backend.(api.SettingsBackend)
		if !ok {
			ui.open("")
			return
		}
		ui.showImport(sb, func() {})
		return
	}
	if repo, ok := strings.CutPrefix(target, "unlock/"); ok {
		ui.unlock(repo, api.UnlockRequest{By: "notification"})
		target = repo
	}
	repo := strings.TrimPrefix(target, "repo/")
	ui.mainShown = true
	ui.main.Show()
	ui.main.RequestFocus()
	if repo != "" {
		ui.view.Select(repo)
	}
}

// The actions run in the background and report failures in a dialog.

func (ui *UI) check(repo string) {
	go ui.do(lang.L("Check {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context) error {
		_, err := ui.backend.Check(ctx, repo)
		return err
	})
}

func (ui *UI) checkAll() {
	for _, r := range ui.status().Repos {
		ui.check(r.Name)
	}
}

func (ui *UI) unlock(repo string, req api.UnlockRequest) {
	go ui.do(lang.L("Unlock {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context) error {
		_, err := ui.backend.Unlock(ctx, repo, req)
		return err
	})
}

func (ui *UI) setAutoUnlock(repo string, level config.AutoUnlock) {
	go ui.do(lang.L("Auto-unlock for {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context) error {
		_, err := ui.backend.SetAutoUnlock(ctx, repo, level)
		return err
	})
}

func (ui *UI) loadHistory(repo string) {
	go func() {
		events, err := ui.backend.History(context.Background(), repo, 50)
		if err == nil {
			fyne.Do(func() { ui.view.SetHistory(repo, events) })
		}
	}()
}

func (ui *UI) do(what string, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := fn(ctx); err != nil {
		fyne.Do(func() {
			ui.mainShown = true
			ui.main.Show()
			dialog.ShowError(errors.New(what+": "+present.ErrorText(err)), ui.main)
		})
	}
}
