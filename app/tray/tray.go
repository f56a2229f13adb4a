// Package tray is lockwatch's tray process: the icon, its tooltip and menu
// and the OS notifications, drawn with fyne.io/systray alone. No Fyne
// driver runs here: Fyne's loop ticks 60 times a second whether or not a
// window is open (fyne-io/fyne#2506), and the tray lives all day. The
// tray sleeps until the service's event stream, D-Bus or the OS wakes it;
// windows are drawn by a window process started on demand (see Windows).
package tray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2/lang"
	"fyne.io/systray"

	"github.com/lockwatch/lockwatch/app/client"
	"github.com/lockwatch/lockwatch/app/i18n"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/platform/atomicfile"
	"github.com/lockwatch/lockwatch/platform/autostart"
	"github.com/lockwatch/lockwatch/platform/notify"
	"github.com/lockwatch/lockwatch/platform/trayhost"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/store"
)

// Options say how to start the tray.
type Options struct {
	ConfigPath string
	Executable string // this binary: the window process and "Start at login" run it
	// FirstRun opens the main window once the tray is up: on a config just
	// written, it offers the repositories other backup tools know.
	FirstRun bool
}

// Tray is the running tray process.
type Tray struct {
	opts     Options
	windows  *Windows
	notifier notify.Notifier // nil when the desktop has no notification server
	notices  *present.Notices
	icon     string                         // the app icon as a file, for notifications ("" if none)
	pending  map[string]notify.Notification // stale-lock notices waiting for their repository's status

	mu      sync.Mutex
	backend api.Backend
	note    string // where the checks run, when worth saying
	st      check.Status
	ended   bool // the tray is gone from the bus: draw nothing more
	// ready: the OS's tray is up (the loop called showNow). Before it,
	// Windows and macOS refuse every icon and menu call ("tray not ready
	// yet"), and a menu drawn then would be remembered as drawn but empty.
	ready bool
	menu  *drawnMenu

	quit     chan struct{} // closed to quit
	quitOnce sync.Once
}

// Run starts the tray and returns when the user quits it. A second start
// hands over to the running tray, which opens the main window.
func Run(opts Options) error {
	if client.HandOver(client.Tray, client.Open, "") {
		return nil
	}
	i18n.UseConfigured(opts.ConfigPath)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t := &Tray{opts: opts, windows: NewWindows(opts), notices: present.NewNotices(), quit: make(chan struct{}),
		pending: map[string]notify.Notification{}}
	err := client.Listen(ctx, client.Tray, func(request, target string) {
		switch request {
		case client.Quit:
			t.Quit()
		case client.Refresh:
			t.show(t.status())
		default:
			t.open(target)
		}
	})
	if errors.Is(err, client.ErrTaken) {
		client.HandOver(client.Tray, client.Open, "") // another tray started this very moment
		return nil
	}
	backend, note, err := client.Connect(ctx, opts.ConfigPath)
	if err != nil {
		// The window process tries again and shows why it cannot check.
		return t.windows.Run("")
	}
	t.backend, t.note = backend, note
	// Windows: a click on a toast opens lockwatch://repo/NAME, which must lead here.
	_ = notify.RegisterURLScheme(opts.Executable)
	if n, err := notify.New("lockwatch", t.onNotification); err == nil {
		t.notifier = n
		t.icon = writeIcon()
		defer n.Close()
	}
	go t.follow(ctx)

	if why := trayhost.Available(); why != nil {
		// Nothing shows tray icons: the window stands in for the tray (and
		// says why); this process keeps checking and notifying until the
		// user closes it. Said on stderr too, for whoever started it from
		// a terminal.
		fmt.Fprintln(os.Stderr, "lockwatch: no tray icon: "+why.Error())
		return t.windows.Run("")
	}
	if opts.FirstRun {
		t.open("")
	}
	runLoop(t.showNow, t.quit, t.stopDrawing)
	t.windows.Quit()
	return nil
}

// stopDrawing is called before the tray leaves the bus: fyne.io/systray
// panics when an item changes after that.
func (t *Tray) stopDrawing() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
}

// Quit ends the tray, and the window process with it.
func (t *Tray) Quit() { t.quitOnce.Do(func() { close(t.quit) }) }

// showNow draws the tray from what is known; the loop calls it once the
// tray is up (on Linux, once the item is on the bus), and nothing is drawn
// before.
func (t *Tray) showNow() {
	t.mu.Lock()
	t.ready = true
	t.mu.Unlock()
	t.show(t.status())
}

// follow keeps the tray current from the service's event stream. When the
// stream breaks (the service stopped), it finds the service again — or
// runs the checks itself — and goes on.
func (t *Tray) follow(ctx context.Context) {
	for ctx.Err() == nil {
		b := t.currentBackend()
		if st, err := b.Status(ctx); err == nil {
			t.show(st)
		}
		t.loadNotificationSetting(ctx, b)
		err := b.Events(ctx, t.handle)
		if ctx.Err() != nil {
			return
		}
		log.Printf("lost the lockwatch service (%v); reconnecting", err)
		for ctx.Err() == nil {
			if b, note, err := client.Connect(ctx, t.opts.ConfigPath); err == nil {
				t.mu.Lock()
				t.backend, t.note = b, note
				t.mu.Unlock()
				break
			}
			select { // only while the service is gone
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
}

// handle applies one event from the service.
func (t *Tray) handle(ev daemon.Event) {
	switch ev.Type {
	case daemon.EventRepo:
		st := t.status()
		for i := range st.Repos {
			if st.Repos[i].Name == ev.Repo && ev.Status != nil {
				st.Repos[i] = *ev.Status
			}
		}
		t.show(st)
		if n, ok := t.pending[ev.Repo]; ok && ev.Status != nil {
			// The stale-lock notice waited for the status that says how
			// long the lock has blocked backups.
			delete(t.pending, ev.Repo)
			n.Critical = present.BlockedLong(*ev.Status)
			_ = t.notifier.Post(n)
		}
		if ev.Status != nil && t.notifier != nil && (ev.Status.State == check.StateOK || ev.Status.State == check.StateBusy) {
			// The trouble is over: its notification goes too.
			_ = t.notifier.Withdraw(present.NoticeTag(ev.Repo))
		}
	case daemon.EventHistory:
		if ev.Entry == nil || t.notifier == nil {
			return
		}
		if n, ok := t.notices.For(*ev.Entry, time.Now()); ok {
			n.Icon = t.icon
			if ev.Entry.Kind == store.KindState && ev.Entry.To == string(check.StateStale) {
				t.pending[ev.Repo] = n // posted with the status that follows
				return
			}
			_ = t.notifier.Post(n)
		}
	case daemon.EventConfig:
		go func() {
			b := t.currentBackend()
			if st, err := b.Status(context.Background()); err == nil {
				t.show(st)
			}
			t.loadNotificationSetting(context.Background(), b)
		}()
	}
}

// loadNotificationSetting follows the user's notifications setting.
func (t *Tray) loadNotificationSetting(ctx context.Context, b api.Backend) {
	if sb, ok := b.(api.SettingsBackend); ok {
		if v, err := sb.Config(ctx); err == nil {
			t.notices.SetEnabled(v.Notifications)
		}
	}
}

func (t *Tray) currentBackend() api.Backend {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.backend
}

func (t *Tray) status() check.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// show draws st: icon, title, tooltip and menu.
func (t *Tray) show(st check.Status) {
	login, _ := autostart.Enabled()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st = st
	items := TrayMenu(st, login, t.note, Actions{
		Unlock: func(repo string) {
			t.do(lang.L("Unlock {{.Repo}}", map[string]any{"Repo": repo}), unlockStale(repo, "tray"))
		},
		Check:         t.check,
		SetAutoUnlock: t.setAutoUnlock,
		Details:       func(repo string) { t.open("repo/" + repo) },
		CheckAll:      t.checkAll,
		Open:          func() { t.open("") },
		Import:        func() { t.open("import") },
		Settings:      func() { t.open("settings") },
		ToggleLogin:   t.toggleLogin,
		Quit:          t.Quit,
	})
	if t.ended || !t.ready {
		return
	}
	setIcon(present.TrayIcon(st))
	setTitle("lockwatch")
	systray.SetTooltip(present.Tooltip(st))
	t.menu = t.menu.update(items)
}

// onNotification acts on a click on a notification (or one of its buttons).
func (t *Tray) onNotification(target, action string) {
	if action == present.UnlockAction {
		t.unlockFromNotification(strings.TrimPrefix(target, "repo/"))
		return
	}
	t.open(target)
}

// unlockFromNotification removes the locks of repo that are stale now:
// the click may come long after the notification, so the service judges
// every lock again before it removes one, and never removes a live or
// fresh lock. If nothing is stale any more, the user is told so.
func (t *Tray) unlockFromNotification(repo string) {
	t.do(lang.L("Unlock {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context, b api.Backend) error {
		res, err := b.Unlock(ctx, repo, api.UnlockRequest{By: "notification"})
		if err != nil {
			return err
		}
		if len(res.Removed) == 0 {
			words := lang.L("It has no stale lock now.")
			if st, err := b.Status(ctx); err == nil {
				for _, r := range st.Repos {
					if r.Name == repo {
						words = lang.L("It is {{.State}} now.", map[string]any{"State": present.StateWords(r)})
					}
				}
			}
			t.tell(lang.L("Nothing to unlock in {{.Repo}}", map[string]any{"Repo": repo}), words)
		}
		return nil
	})
}

// Open shows target ("", "repo/NAME" or "settings") in the window process;
// "unlock/NAME" (a Windows toast's Unlock button) unlocks instead.
func (t *Tray) open(target string) {
	if repo, ok := strings.CutPrefix(target, present.UnlockAction+"/"); ok {
		t.unlockFromNotification(repo)
		return
	}
	go func() {
		if err := t.windows.Open(target); err != nil {
			t.tell(lang.L("lockwatch cannot open its window"), err.Error())
		}
	}()
}

func (t *Tray) check(repo string) {
	t.do(lang.L("Check {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context, b api.Backend) error {
		_, err := b.Check(ctx, repo)
		return err
	})
}

func (t *Tray) checkAll() {
	for _, r := range t.status().Repos {
		t.check(r.Name)
	}
}

// unlockStale removes repo's stale locks, as judged by a check made when
// the request arrives.
func unlockStale(repo, by string) func(context.Context, api.Backend) error {
	return func(ctx context.Context, b api.Backend) error {
		_, err := b.Unlock(ctx, repo, api.UnlockRequest{By: by})
		return err
	}
}

func (t *Tray) setAutoUnlock(repo string, level config.AutoUnlock) {
	t.do(lang.L("Auto-unlock for {{.Repo}}", map[string]any{"Repo": repo}), func(ctx context.Context, b api.Backend) error {
		_, err := b.SetAutoUnlock(ctx, repo, level)
		return err
	})
}

func (t *Tray) toggleLogin() {
	on, _ := autostart.Enabled()
	var err error
	if on {
		err = autostart.Disable()
	} else {
		err = autostart.Enable(t.opts.Executable)
	}
	if err != nil {
		t.tell(lang.L("Start at login"), err.Error())
	}
	t.show(t.status())
}

// do runs an action in the background; a failure is told in a notification
// (the tray has no window to show it in).
func (t *Tray) do(what string, fn func(ctx context.Context, b api.Backend) error) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := fn(ctx, t.currentBackend()); err != nil {
			t.tell(lang.L("{{.What}} failed", map[string]any{"What": what}), present.ErrorText(err))
		}
	}()
}

// tell shows a message in a notification, or logs it without a server.
func (t *Tray) tell(title, body string) {
	if t.notifier != nil && t.notifier.Post(notify.Notification{Title: title, Body: body}) == nil {
		return
	}
	log.Printf("%s: %s", title, body)
}

// writeIcon puts the app icon where notification servers can read it (they
// take a file, not bytes): the user's cache dir. "" when it cannot.
func writeIcon() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, "lockwatch", "lockwatch.png")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, icons.App()) {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return ""
	}
	if err := atomicfile.Write(path, icons.App(), 0o644); err != nil {
		return ""
	}
	return path
}
