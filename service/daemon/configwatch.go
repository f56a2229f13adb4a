package daemon

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// How long the scheduler may sleep with nothing due. It also looks at the
// config file and at the clocks (to notice a machine that slept) when it
// wakes, so without a watch on the config it must wake often; with one,
// an edit wakes it at once and a minute is enough to notice a wake-up from
// sleep. A tray lives all day on a laptop: every wakeup costs.
const (
	restPolling = 5 * time.Second
	restWatched = time.Minute
)

// watchConfig wakes the scheduler whenever the config file changes, until
// ctx ends. It watches the file's directory: editors (and lockwatch
// itself) save by renaming a new file over the old one, which a watch on
// the file would lose. It reports whether the watch runs; without one (no
// inotify instances left, a file system without notifications) the
// scheduler looks every few seconds instead.
func (d *Daemon) watchConfig(ctx context.Context) bool {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		d.log.Warn("cannot watch the config file; looking at it every few seconds", "err", err)
		return false
	}
	if err := w.Add(filepath.Dir(d.opts.ConfigPath)); err != nil {
		w.Close()
		d.log.Warn("cannot watch the config file; looking at it every few seconds", "err", err)
		return false
	}
	name := filepath.Base(d.opts.ConfigPath)
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Base(ev.Name) == name {
					d.poke()
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// An overflow may have hidden an edit: look now.
				d.log.Warn("config watch", "err", err)
				d.poke()
			}
		}
	}()
	return true
}
