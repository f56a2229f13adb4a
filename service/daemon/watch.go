package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lockwatch/lockwatch/platform/fsinfo"
	"github.com/lockwatch/lockwatch/platform/process"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/lock"
)

// settle gathers what happens together into one check: restic writes its
// new lock and then removes the old one, a backup that ends removes its
// lock and then exits.
const settle = 100 * time.Millisecond

// watcher re-checks a repository the moment something changes there,
// instead of at its next scheduled check: a process on this host that
// holds one of its live locks exits (the lock may be anywhere, local or
// remote; its owner is here), or a lock file is written or removed in a
// local repository's locks/. Both are best effort: whatever cannot be
// watched is checked on the schedule, and the repository's status says so.
// Nothing here polls: every watch waits for the OS to say something.
type watcher struct {
	recheck func(repo string) // runs a check of repo soon
	log     *slog.Logger

	mu      sync.Mutex
	closed  bool
	files   *fsnotify.Watcher // nil when the OS gives no file watch
	filesOK error             // why files is nil
	dirs    map[string]string // repo → its watched locks dir
	repoOf  map[string]string // watched locks dir → repo
	notes   map[string]string // repo → why something is not watched, as last logged
	owners  map[string]map[int]*ownerWatch
	pending map[string]*time.Timer // repo → its check soon, once things settle
	// exitsLogged: the log has said once that this OS cannot watch exits.
	exitsLogged bool
}

// ownerWatch is the watch of one process holding a live lock.
type ownerWatch struct {
	owner process.Info
	exit  *process.ExitWatch
	stop  chan struct{}
}

func (o *ownerWatch) end() {
	o.exit.Stop()
	close(o.stop)
}

func newWatcher(log *slog.Logger, recheck func(string)) *watcher {
	w := &watcher{
		recheck: recheck, log: log,
		dirs: map[string]string{}, repoOf: map[string]string{}, notes: map[string]string{},
		owners: map[string]map[int]*ownerWatch{}, pending: map[string]*time.Timer{},
	}
	w.files, w.filesOK = fsnotify.NewWatcher()
	if w.filesOK != nil {
		w.log.Warn("cannot watch local repositories' locks; checking them on schedule", "err", w.filesOK)
		w.files = nil
	} else {
		go w.readFileEvents(w.files)
	}
	return w
}

// follow brings the watches of r in line with its latest check, st, and
// says what is watched.
func (w *watcher) follow(r *config.Repo, st check.RepoStatus, on bool) *check.Watch {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if !on {
		w.drop(r.Name)
		return &check.Watch{Note: "watch = false in the config: checked on schedule only"}
	}
	var notes []string
	owners, note := w.followOwners(r.Name, st)
	if note != "" {
		notes = append(notes, note)
	}
	dirWatched, note := w.followLocksDir(r)
	if note != "" {
		notes = append(notes, note)
	}
	watch := &check.Watch{Owners: owners, LocksDir: dirWatched, Note: strings.Join(notes, "; ")}
	if watch.Note != w.notes[r.Name] {
		if watch.Note != "" {
			w.log.Info("not everything is watched; the rest is checked on schedule", "repo", r.Name, "why", watch.Note)
		}
		w.notes[r.Name] = watch.Note
	}
	return watch
}

// followOwners watches the owners of st's live locks, each as it was
// judged: a process that has since exited, or whose PID now names another
// process, counts as exited at once.
func (w *watcher) followOwners(repo string, st check.RepoStatus) (watched int, note string) {
	live := map[int]process.Info{}
	for _, l := range st.Locks {
		if l.Verdict == lock.Live && l.Owner.Exists {
			live[l.Owner.PID] = l.Owner
		}
	}
	current := w.owners[repo]
	if current == nil {
		current = map[int]*ownerWatch{}
		w.owners[repo] = current
	}
	for pid, o := range current {
		if p, ok := live[pid]; !ok || !p.Same(o.owner) {
			o.end()
			delete(current, pid)
		}
	}
	var problems []string
	for pid, p := range live {
		if current[pid] != nil {
			continue
		}
		exit, err := process.WatchExit(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("process %d: %v", pid, err))
			if errors.Is(err, process.ErrNoExitWatch) && !w.exitsLogged {
				w.exitsLogged = true
				w.log.Warn("this system cannot watch processes for their exit; a backup's end is seen at the next scheduled check", "err", err)
			}
			continue
		}
		o := &ownerWatch{owner: p, exit: exit, stop: make(chan struct{})}
		current[pid] = o
		go func() {
			select {
			case <-exit.Exited():
				w.ownerExited(repo, pid, o)
			case <-o.stop:
			}
		}()
	}
	if len(problems) > 0 {
		note = "the end of a backup on this host is seen at the next check (" + strings.Join(problems, "; ") + ")"
	}
	return len(current), note
}

func (w *watcher) ownerExited(repo string, pid int, o *ownerWatch) {
	w.mu.Lock()
	if w.owners[repo][pid] == o {
		delete(w.owners[repo], pid)
	}
	w.mu.Unlock()
	o.exit.Stop()
	w.log.Debug("owner of a live lock exited", "repo", repo, "pid", pid)
	w.soon(repo)
}

// followLocksDir watches a local repository's locks/.
func (w *watcher) followLocksDir(r *config.Repo) (watched bool, note string) {
	dir := ""
	if path, local := r.LocalPath(); local {
		dir = filepath.Join(path, "locks")
	}
	if old := w.dirs[r.Name]; old != "" && old != dir {
		w.unwatchDir(r.Name)
	}
	switch {
	case dir == "":
		return false, ""
	case w.dirs[r.Name] == dir:
		return true, ""
	case w.files == nil:
		return false, fmt.Sprintf("locks/ is not watched: %v", w.filesOK)
	}
	kind, remote, err := fsinfo.Remote(dir)
	switch {
	case err != nil:
		return false, fmt.Sprintf("locks/ is not watched: %v", err)
	case remote:
		return false, fmt.Sprintf("locks/ is not watched: it is on a network file system (%s), which does not tell this machine of other machines' changes", kind)
	}
	if err := w.files.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return false, "locks/ is not watched: the system's limit of file watches is reached (on Linux, fs.inotify.max_user_watches)"
		}
		return false, fmt.Sprintf("locks/ is not watched: %v", err)
	}
	w.dirs[r.Name], w.repoOf[dir] = dir, r.Name
	return true, ""
}

func (w *watcher) unwatchDir(repo string) {
	dir := w.dirs[repo]
	if dir == "" {
		return
	}
	delete(w.dirs, repo)
	delete(w.repoOf, dir)
	_ = w.files.Remove(dir) // fails when the directory went away, which ended the watch anyway
}

// readFileEvents turns changes in the watched locks/ directories into checks.
func (w *watcher) readFileEvents(files *fsnotify.Watcher) {
	for {
		select {
		case ev, ok := <-files.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue // restic never changes a lock's mode; a lock written or removed matters
			}
			w.mu.Lock()
			repo, inside := w.repoOf[filepath.Dir(ev.Name)]
			if self, ok := w.repoOf[ev.Name]; ok && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				// locks/ itself went away (the repository was moved,
				// deleted or unmounted): the watch ended with it. The
				// next check says what became of the repository and
				// watches again once locks/ is back.
				repo, inside = self, true
				w.unwatchDir(self)
			}
			w.mu.Unlock()
			if inside {
				w.soon(repo)
			}
		case err, ok := <-files.Errors:
			if !ok {
				return
			}
			// An overflow may have hidden a change: check every watched repository.
			w.log.Warn("lock watch", "err", err)
			w.mu.Lock()
			for repo := range w.dirs {
				w.soonLocked(repo)
			}
			w.mu.Unlock()
		}
	}
}

// soon checks repo once things have settled.
func (w *watcher) soon(repo string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.soonLocked(repo)
}

func (w *watcher) soonLocked(repo string) {
	if w.closed || w.pending[repo] != nil {
		return
	}
	w.pending[repo] = time.AfterFunc(settle, func() {
		w.mu.Lock()
		delete(w.pending, repo)
		closed := w.closed
		w.mu.Unlock()
		if !closed {
			w.recheck(repo)
		}
	})
}

// drop ends every watch of repo: it was removed from the config, or
// watching was turned off.
func (w *watcher) drop(repo string) {
	for _, o := range w.owners[repo] {
		o.end()
	}
	delete(w.owners, repo)
	if w.files != nil {
		w.unwatchDir(repo)
	}
	if t := w.pending[repo]; t != nil {
		t.Stop()
		delete(w.pending, repo)
	}
	delete(w.notes, repo)
}

// forget drops the watches of a repository no longer configured.
func (w *watcher) forget(repo string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop(repo)
}

// close ends every watch.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for repo := range w.owners {
		w.drop(repo)
	}
	for _, t := range w.pending {
		t.Stop()
	}
	if w.files != nil {
		w.files.Close()
	}
	w.closed = true
}
