// Package app is lockwatch's desktop face, built with Fyne: the tray icon
// and menu, the main window, settings and notifications. Everything it
// shows comes from a check.Status; everything it does goes through the
// service's API (or the same service running inside the app).
package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/platform/autostart"
	"github.com/lockwatch/lockwatch/platform/notify"
	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/platform/trayhost"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
)

// ID is the application ID, as in FyneApp.toml.
const ID = "io.github.lockwatch"

// Options say how to start the app.
type Options struct {
	ConfigPath string
	Executable string // this binary, for "Start at login"
	Open       string // a target to show at once, e.g. "repo/nas" (from a lockwatch:// link)
}

// UI is the running app.
type UI struct {
	opts    Options
	app     fyne.App
	desk    desktop.App // nil without a tray
	backend api.Backend
	note    string // shown in the menu and the window: where checks run

	menu     *fyne.Menu
	main     fyne.Window
	view     *MainView
	settings fyne.Window
	notifier notify.Notifier
	notices  *Notices

	mu sync.Mutex
	st check.Status
}

// Run starts the app and returns when it quits.
func Run(opts Options) error {
	if other := handOver(opts.Open); other {
		return nil // another lockwatch window got the request
	}
	// Windows: a click on a toast opens lockwatch://repo/NAME, which must lead here.
	_ = notify.RegisterURLScheme(opts.Executable)
	a := fyneapp.NewWithID(ID)
	a.SetIcon(fyne.NewStaticResource("lockwatch.png", icons.App()))
	ui := &UI{opts: opts, app: a, notices: NewNotices()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	backend, note, err := connect(ctx, opts.ConfigPath)
	ui.backend, ui.note = backend, note
	ui.view = NewMainView()
	ui.main = a.NewWindow("lockwatch")
	ui.main.SetContent(ui.view.Content())
	ui.main.Resize(fyne.NewSize(1280, 640))
	ui.view.Window = ui.main
	ui.view.OnCheck = ui.check
	ui.view.OnUnlock = ui.unlock
	ui.view.OnHistory = ui.loadHistory
	if err != nil {
		ui.view.SetBanner("lockwatch cannot start checking: " + err.Error())
		ui.main.ShowAndRun()
		return nil
	}
	listenForHandOver(ctx, func(target string) { fyne.Do(func() { ui.open(target) }) })

	trayOK, whyNot := trayhost.Available()
	if d, ok := a.(desktop.App); ok && trayOK {
		ui.desk = d
		ui.menu = fyne.NewMenu("lockwatch")
		ui.refreshTray()
		d.SetSystemTrayWindow(ui.main)
		ui.main.SetCloseIntercept(ui.main.Hide)
	}
	ui.view.SetBanner(startBanner(ui.desk != nil, whyNot, note))
	if n, err := notify.New("lockwatch", func(target string) { fyne.Do(func() { ui.open(target) }) }); err == nil {
		ui.notifier = n
		defer n.Close()
	}
	go ui.follow(ctx)
	// fyne.io/systray exports the item's properties while Fyne's own tray
	// setup runs on another goroutine, so a title or tooltip set before the
	// export can be lost. The tray is exported before OnStarted runs: apply
	// them again there.
	a.Lifecycle().SetOnStarted(func() {
		if ui.desk != nil {
			ui.refreshTray()
		}
	})
	if ui.desk == nil || opts.Open != "" {
		ui.main.Show()
	}
	if opts.Open != "" {
		ui.open(opts.Open)
	}
	a.Run()
	return nil
}

// startBanner is the window's note at start: why there is no tray icon
// (the window stands in for it), then where the checks run.
func startBanner(tray bool, whyNoTray, note string) string {
	if tray {
		return note
	}
	return strings.TrimSpace(whyNoTray + "\n" + note)
}

// connect finds the service: the one running with this config, else one
// started inside the app, else any running one (with another config).
func connect(ctx context.Context, cfgPath string) (api.Backend, string, error) {
	if c, _ := api.Connect(ctx, cfgPath); c != nil {
		return c, "", nil
	}
	stateDir, err := paths.StateDir()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, "", err
	}
	logFile, err := os.OpenFile(filepath.Join(stateDir, "app.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, "", err
	}
	log := slog.New(slog.NewTextHandler(logFile, nil))
	svc, err := api.NewServer(cfgPath, log)
	if errors.Is(err, api.ErrAlreadyRunning) {
		if c, st := api.Connect(ctx, ""); c != nil {
			return c, "The running lockwatch service watches " + st.ConfigPath + ".", nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	note := "Checks run inside this app: no lockwatch service is running (lockwatch service install starts one at login)."
	// The socket only lets the CLI in: without it the app still checks.
	if err := svc.Listen(); err != nil {
		log.Warn("checking without a local API", "err", err)
		note += " The lockwatch command cannot reach this app (" + err.Error() + "), so it checks on its own."
	}
	// Checks start once the app listens to their news: a stale lock found
	// by the very first check is news too.
	start := sync.OnceFunc(func() { go svc.Run(ctx) })
	return api.Local{Daemon: svc.Daemon, OnSubscribe: start}, note, nil
}

// follow keeps the UI current from the service's event stream, reconnecting when it breaks.
func (ui *UI) follow(ctx context.Context) {
	for ctx.Err() == nil {
		if st, err := ui.backend.Status(ctx); err == nil {
			fyne.Do(func() { ui.show(st) })
		}
		ui.loadNotificationSetting(ctx)
		err := ui.backend.Events(ctx, func(ev daemon.Event) { fyne.Do(func() { ui.handle(ev) }) })
		if ctx.Err() != nil {
			return
		}
		fyne.Do(func() { ui.view.SetBanner("Lost the lockwatch service (" + err.Error() + "); reconnecting…") })
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
		if ev.Entry == nil {
			return
		}
		if n, ok := ui.notices.For(*ev.Entry, time.Now()); ok && ui.notifier != nil {
			_ = ui.notifier.Post(n)
		}
		if ev.Repo == ui.view.Selected() {
			ui.loadHistory(ev.Repo)
		}
	case daemon.EventConfig:
		go func() {
			if st, err := ui.backend.Status(context.Background()); err == nil {
				fyne.Do(func() { ui.show(st) })
			}
			ui.loadNotificationSetting(context.Background())
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
	ui.refreshTray()
}

func (ui *UI) refreshTray() {
	if ui.desk == nil {
		return
	}
	st := ui.status()
	login, _ := autostart.Enabled()
	ui.menu.Items = TrayMenu(st, login, ui.note, Actions{
		Unlock:        func(repo string) { ui.unlock(repo, api.UnlockRequest{By: "tray"}) },
		Check:         ui.check,
		SetAutoUnlock: ui.setAutoUnlock,
		Details:       ui.open,
		CheckAll:      ui.checkAll,
		Open:          func() { ui.main.Show(); ui.main.RequestFocus() },
		Settings:      ui.showSettings,
		ToggleLogin:   ui.toggleLogin,
		Quit:          ui.app.Quit,
	})
	ui.desk.SetSystemTrayMenu(ui.menu)
	ui.menu.Refresh()
	ui.desk.SetSystemTrayIcon(trayIcon(TrayIcon(st)))
	setTrayTitle("lockwatch")
	systray.SetTooltip(Tooltip(st))
}

// open shows the main window on a target: "repo/NAME" or a plain repo name.
func (ui *UI) open(target string) {
	repo := strings.TrimPrefix(target, "repo/")
	ui.main.Show()
	ui.main.RequestFocus()
	if repo != "" {
		ui.view.Select(repo)
	}
}

// The actions run in the background and report failures in a dialog.

func (ui *UI) check(repo string) {
	go ui.do("Check "+repo, func(ctx context.Context) error {
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
	go ui.do("Unlock "+repo, func(ctx context.Context) error {
		_, err := ui.backend.Unlock(ctx, repo, req)
		return err
	})
}

func (ui *UI) setAutoUnlock(repo string, level config.AutoUnlock) {
	go ui.do("Auto-unlock for "+repo, func(ctx context.Context) error {
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

func (ui *UI) toggleLogin() {
	on, _ := autostart.Enabled()
	var err error
	if on {
		err = autostart.Disable()
	} else {
		err = autostart.Enable(ui.opts.Executable)
	}
	if err != nil {
		dialog.ShowError(err, ui.main)
	}
	ui.refreshTray()
}

func (ui *UI) do(what string, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := fn(ctx); err != nil {
		fyne.Do(func() {
			ui.main.Show()
			dialog.ShowError(errors.New(what+": "+err.Error()), ui.main)
		})
	}
}
