package traytest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// DunstInstallHint is the command that installs what StartDunst needs
// (Debian/Ubuntu; dunstctl needs dbus-send, and busctl for its history).
const DunstInstallHint = "apt-get install -y dunst dbus-bin systemd"

// Dunst is a real dunst notification daemon (Debian's 1.9 in the tests)
// running in the session, driven with the real dunstctl.
//
// What dunst 1.9 does, as verified against 1.9.0:
//
//   - `dunstctl action [N]` calls org.dunstproject.cmd0.NotificationAction(N)
//     (N defaults to 0): it acts on the Nth notification of the displayed
//     list, which with the default sort = yes is ordered by urgency (critical
//     first), then oldest first. If the notification has an action named
//     "default" dunst emits ActionInvoked(id, "default"); if it has a single
//     action it invokes that one; with several actions and no "default" it
//     opens the context menu (dmenu) for that notification. The notification
//     stays displayed. dunst 1.9 checks N against the number of *waiting*
//     notifications, so any N > 0 fails with "Couldn't activate action for
//     notification in position N" unless notifications are waiting: only
//     position 0 is usable.
//   - ActionInvoked and NotificationClosed are unicast signals: dunst sends
//     them to the connection that called Notify only.
//   - `dunstctl context` (ContextMenuCall) returns at once; dunst then runs
//     the configured dmenu command in a thread, writes one line per action
//     of every displayed notification to its stdin, separated by "\n" with
//     no newline after the last line, in no particular order, each
//     "#<action label> (<summary>) [<notification id>,<action key>]":
//     for example "#Unlock (Repo locked) [2,unlock]" and
//     "#Open (Repo locked) [2,default]" for Notify(..., summary "Repo
//     locked", actions ["default", "Open", "unlock", "Unlock"]). URLs found
//     in bodies are listed as bare lines ("https://example.com/a"). dunst
//     invokes the action of the line dmenu prints; if it prints nothing
//     dunst logs "Didn't receive input from dmenu." and does nothing. With
//     no actions or URLs displayed, dmenu is not run at all. A second menu
//     request while one is open is refused silently. Choosing an action
//     leaves the notification displayed.
//   - `dunstctl history` (busctl --user --json=pretty call ...
//     NotificationListHistory; busctl honours DBUS_SESSION_BUS_ADDRESS) lists
//     closed notifications only, newest first, as aa{sv} with the keys body,
//     message (the text as formatted for display), summary, appname,
//     category, default_action_name, icon_path, id (i), timestamp (x),
//     timeout (x) and progress (i). There is no urgency and no action list
//     in it: the urgency comes from the rule script StartDunst installs (see
//     Shown), and the actions of displayed notifications from the context
//     menu (see Actions).
//   - CloseNotification(id) from the client moves the notification to the
//     history and emits NotificationClosed(id, 3).
//   - dunst runs rule scripts when it displays a notification (not while it
//     is waiting, e.g. when paused), with DUNST_ID, DUNST_APP_NAME,
//     DUNST_SUMMARY, DUNST_BODY, DUNST_URGENCY ("LOW", "NORMAL",
//     "CRITICAL"), DUNST_CATEGORY, DUNST_ICON_PATH, ... in the environment.
type Dunst struct {
	Dir    string   // private directory holding dunstrc, the scripts and their output
	Config string   // path of the dunstrc passed with -config
	Proc   *Process // dunst

	s   *Session
	seq atomic.Int64
}

// DunstNotification is one notification as dunst reports it.
type DunstNotification struct {
	ID                uint32
	AppName           string
	Summary           string
	Body              string
	Message           string // History only: summary and body as dunst formatted them for display
	Category          string
	IconPath          string
	DefaultActionName string // History only: the action a click invokes ("default")
	// Urgency is "LOW", "NORMAL" or "CRITICAL" (dunst's names), from the
	// record the rule script wrote when dunst displayed the notification;
	// "" in History for a notification that was never displayed.
	Urgency string
}

// DunstAction is one line of dunst's context menu: an action a displayed
// notification offers.
type DunstAction struct {
	ID      uint32 // notification id
	Key     string // action key, e.g. "default" or "unlock"
	Label   string // action label, e.g. "Open"
	Summary string // the notification's summary
	Line    string // the line as dunst wrote it
}

// dunstrc is the configuration StartDunst writes: notifications never time
// out (a test decides when they go), identical ones are not stacked into
// one, the context menu goes to the dmenu stand-in script and a rule runs the
// recording script for every notification dunst displays.
const dunstrc = `# Written by traytest.StartDunst.
[global]
    dmenu = %[1]s/dmenu.sh
    browser = /bin/false
    history_length = 100
    sticky_history = yes
    idle_threshold = 0
    stack_duplicates = false
    notification_limit = 0
    always_run_script = true

[urgency_low]
    timeout = 0

[urgency_normal]
    timeout = 0

[urgency_critical]
    timeout = 0

[traytest_record]
    appname = "*"
    script = %[1]s/record.sh
`

// dmenuScript stands in for dmenu. It takes the request file "want" that
// runMenu writes (first line a token, second line the suffix of the line to
// choose, possibly empty), saves what dunst wrote on stdin to result.<token>
// with the chosen line first, and prints the chosen line. Renaming "want"
// makes sure a request is served by one run only; a run without a request
// (a menu opened some other way) chooses nothing.
const dmenuScript = `#!/bin/sh
# dmenu stand-in written by traytest.StartDunst.
dir='%[1]s'
token=stray
want=
if mv "$dir/want" "$dir/want.$$" 2>/dev/null; then
	token=$(sed -n 1p "$dir/want.$$")
	want=$(sed -n 2p "$dir/want.$$")
	rm -f "$dir/want.$$"
fi
cat > "$dir/menu.$$"
chosen=
if [ -n "$want" ]; then
	chosen=$(want="$want" awk 'BEGIN { w = ENVIRON["want"] }
		length($0) >= length(w) && substr($0, length($0) - length(w) + 1) == w { print; exit }' "$dir/menu.$$")
fi
{ printf '%%s\n' "$chosen"; cat "$dir/menu.$$"; } > "$dir/result.$$"
rm -f "$dir/menu.$$"
mv "$dir/result.$$" "$dir/result.$token"
[ -n "$chosen" ] && printf '%%s\n' "$chosen"
exit 0
`

// recordScript is the rule script: it saves the DUNST_* variables of every
// notification dunst displays as NUL-separated KEY=VALUE fields, one file
// per notification, named so that they sort in display order.
const recordScript = `#!/bin/sh
# dunst rule script written by traytest.StartDunst.
dir='%[1]s/shown'
f="$dir/.$$"
printf '%%s\0' "ID=$DUNST_ID" "APP_NAME=$DUNST_APP_NAME" "SUMMARY=$DUNST_SUMMARY" \
	"BODY=$DUNST_BODY" "URGENCY=$DUNST_URGENCY" "CATEGORY=$DUNST_CATEGORY" \
	"ICON_PATH=$DUNST_ICON_PATH" > "$f"
mv "$f" "$dir/$(date +%%s%%N)-$$"
`

// safePath matches paths that can go into dunstrc and the scripts unquoted.
var safePath = regexp.MustCompile(`^[A-Za-z0-9/._+-]+$`)

// StartDunst runs dunst on the session's display and bus with a private
// dunstrc (see dunstrc) and waits until it owns org.freedesktop.Notifications,
// so do not call StartNotificationServer in the same session. It is stopped at
// cleanup. It skips the test if dunst, dunstctl or dbus-send is missing.
func (s *Session) StartDunst(t testing.TB) *Dunst {
	t.Helper()
	return s.StartDunstConfig(t, "")
}

// StartDunstConfig is StartDunst with extra appended to the dunstrc, for
// example rules ("[name]" sections).
func (s *Session) StartDunstConfig(t testing.TB, extra string) *Dunst {
	t.Helper()
	var bins []string
	for _, name := range []string{"dunst", "dunstctl", "dbus-send"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("traytest: %s not found (%v); install it with: %s", name, err, DunstInstallHint)
		}
		bins = append(bins, p)
	}
	conn := s.Connect(t)
	if owned, err := nameHasOwner(conn, NotificationsName); err != nil {
		t.Fatalf("traytest: dunst: %v", err)
	} else if owned {
		t.Fatalf("traytest: dunst: %s is owned already on the session bus (StartNotificationServer or an earlier StartDunst?)", NotificationsName)
	}

	dir := t.TempDir()
	if !safePath.MatchString(dir) {
		t.Fatalf("traytest: dunst: temporary directory %q has characters dunstrc cannot take", dir)
	}
	if err := os.Mkdir(filepath.Join(dir, "shown"), 0o755); err != nil {
		t.Fatalf("traytest: dunst: %v", err)
	}
	d := &Dunst{Dir: dir, Config: filepath.Join(dir, "dunstrc"), s: s}
	files := []struct {
		name, text string
		mode       os.FileMode
	}{
		{"dunstrc", fmt.Sprintf(dunstrc, dir) + extra, 0o644},
		{"dmenu.sh", fmt.Sprintf(dmenuScript, dir), 0o755},
		{"record.sh", fmt.Sprintf(recordScript, dir), 0o755},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.text), f.mode); err != nil {
			t.Fatalf("traytest: dunst: %v", err)
		}
	}

	cmd := exec.Command(bins[0], "-config", d.Config, "-verbosity", "info")
	cmd.Env = replaceEnv(s.Env, map[string]string{
		"HOME":            dir,
		"XDG_CONFIG_HOME": filepath.Join(dir, ".config"),
	})
	d.Proc = s.StartProcess(t, cmd)
	waitOwned(t, conn, NotificationsName, d.Proc, startTimeout)

	// The name could have been taken by someone else: make sure it is dunst.
	var name, vendor, version, spec string
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := conn.Object(NotificationsName, NotificationsPath).CallWithContext(ctx, NotificationsIface+".GetServerInformation", 0).
		Store(&name, &vendor, &version, &spec)
	if err != nil || name != "dunst" {
		t.Fatalf("traytest: dunst: %s is served by %q %q (err %v), not dunst", NotificationsName, name, version, err)
	}
	t.Logf("traytest: dunst %s running (config %s)", version, d.Config)
	return d
}

// ctl runs dunstctl with the session's environment and returns its stdout.
func (d *Dunst) ctl(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dunstctl", args...)
	cmd.Env = d.s.Env
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("traytest: dunstctl %s: %v: %s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func (d *Dunst) count(t testing.TB, which string) int {
	t.Helper()
	out := strings.TrimSpace(d.ctl(t, "count", which))
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("traytest: dunstctl count %s printed %q", which, out)
	}
	return n
}

// CountDisplayed returns `dunstctl count displayed`: how many notifications
// are on screen now.
func (d *Dunst) CountDisplayed(t testing.TB) int {
	t.Helper()
	return d.count(t, "displayed")
}

// CountHistory returns `dunstctl count history`.
func (d *Dunst) CountHistory(t testing.TB) int {
	t.Helper()
	return d.count(t, "history")
}

// WaitDisplayed waits until CountDisplayed is n.
func (d *Dunst) WaitDisplayed(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	got := -1
	if poll(timeout, func() bool { got = d.CountDisplayed(t); return got == n }) {
		return
	}
	t.Fatalf("traytest: dunst displays %d notifications, not %d, after %v", got, n, timeout)
}

// ActionDefault runs `dunstctl action`: dunst acts on the first displayed
// notification (highest urgency, then oldest) as a click on it would, which
// emits ActionInvoked(id, "default") when the notification offers "default"
// (see Dunst for the other cases).
func (d *Dunst) ActionDefault(t testing.TB) {
	t.Helper()
	d.ctl(t, "action")
}

// CloseAll runs `dunstctl close-all`.
func (d *Dunst) CloseAll(t testing.TB) {
	t.Helper()
	d.ctl(t, "close-all")
}

// Actions lists the actions of the displayed notifications, by opening
// dunst's context menu (`dunstctl context`) and choosing nothing. It fails the
// test if nothing is displayed; it waits for the menu, so with notifications
// displayed that have no actions it fails after a timeout.
func (d *Dunst) Actions(t testing.TB) []DunstAction {
	t.Helper()
	lines, _ := d.runMenu(t, "")
	var acts []DunstAction
	for _, l := range lines {
		if a, ok := parseMenuLine(l); ok {
			acts = append(acts, a)
		}
	}
	return acts
}

// InvokeAction picks the action with key name (e.g. "unlock") in dunst's
// context menu, as a user would: `dunstctl context` runs the dmenu stand-in,
// which prints the line ending in ",<name>]" (the first one, if several
// displayed notifications offer the action). dunst then emits
// ActionInvoked(id, name) to the notification's sender. It returns the line
// chosen and fails the test if no displayed notification offers the action.
func (d *Dunst) InvokeAction(t testing.TB, name string) DunstAction {
	t.Helper()
	return d.invoke(t, ","+name+"]")
}

// InvokeActionOf is InvokeAction for the notification with this id.
func (d *Dunst) InvokeActionOf(t testing.TB, id uint32, name string) DunstAction {
	t.Helper()
	return d.invoke(t, fmt.Sprintf("[%d,%s]", id, name))
}

func (d *Dunst) invoke(t testing.TB, suffix string) DunstAction {
	t.Helper()
	if strings.ContainsAny(suffix, "\n\r") {
		t.Fatalf("traytest: dunst: action key %q has a newline", suffix)
	}
	lines, chosen := d.runMenu(t, suffix)
	if chosen == "" {
		t.Fatalf("traytest: dunst: no context menu line ends in %q; the menu was:\n%s", suffix, strings.Join(lines, "\n"))
	}
	a, ok := parseMenuLine(chosen)
	if !ok {
		t.Fatalf("traytest: dunst: cannot parse the chosen menu line %q", chosen)
	}
	return a
}

// runMenu asks the dmenu stand-in to choose the line ending in suffix ("" for
// none), opens the context menu and returns the menu's lines and the line
// chosen. dunst refuses to open the menu while the previous one is still
// being handled, so it asks again until the stand-in has served the request.
func (d *Dunst) runMenu(t testing.TB, suffix string) (lines []string, chosen string) {
	t.Helper()
	if d.CountDisplayed(t) == 0 {
		t.Fatalf("traytest: dunst: no notification displayed, no context menu to open")
	}
	token := strconv.FormatInt(d.seq.Add(1), 10)
	result := filepath.Join(d.Dir, "result."+token)
	tmp := filepath.Join(d.Dir, "want.tmp")
	if err := os.WriteFile(tmp, []byte(token+"\n"+suffix+"\n"), 0o644); err != nil {
		t.Fatalf("traytest: dunst: %v", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.Dir, "want")); err != nil {
		t.Fatalf("traytest: dunst: %v", err)
	}
	defer os.Remove(filepath.Join(d.Dir, "want")) // in case no run took it

	var data []byte
	served := func() bool {
		b, err := os.ReadFile(result)
		if err != nil {
			return false
		}
		data = b
		return true
	}
	deadline := time.Now().Add(startTimeout)
	for !served() {
		if time.Now().After(deadline) {
			t.Fatalf("traytest: dunst did not run its context menu within %v (do the displayed notifications have actions?); dunst stderr:\n%s",
				startTimeout, tail(d.Proc.Stderr(), 2000))
		}
		d.ctl(t, "context")
		poll(time.Second, served)
	}
	os.Remove(result)
	chosen, menu, _ := strings.Cut(string(data), "\n")
	for _, l := range strings.Split(menu, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, chosen
}

// menuLine is "#<label> (<summary>) [<id>,<key>]".
var menuLine = regexp.MustCompile(`^#(.*?) \((.*)\) \[(\d+),(.*)\]$`)

func parseMenuLine(l string) (DunstAction, bool) {
	m := menuLine.FindStringSubmatch(l)
	if m == nil {
		return DunstAction{}, false
	}
	id, err := strconv.ParseUint(m[3], 10, 32)
	if err != nil {
		return DunstAction{}, false
	}
	return DunstAction{ID: uint32(id), Label: m[1], Summary: m[2], Key: m[4], Line: l}, true
}

// History returns `dunstctl history`: the notifications that were closed
// (expired, dismissed or closed by their app), newest first. Urgency is
// filled in from Shown.
func (d *Dunst) History(t testing.TB) []DunstNotification {
	t.Helper()
	out := d.ctl(t, "history")
	var reply struct {
		Type string
		Data [][]map[string]struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
	}
	if err := json.Unmarshal([]byte(out), &reply); err != nil || len(reply.Data) != 1 {
		t.Fatalf("traytest: dunstctl history: cannot parse %q: %v", tail(out, 2000), err)
	}
	urgency := map[uint32]string{}
	for _, n := range d.Shown(t) {
		urgency[n.ID] = n.Urgency
	}
	var list []DunstNotification
	for _, entry := range reply.Data[0] {
		str := func(key string) string {
			var s string
			if v, ok := entry[key]; ok {
				_ = json.Unmarshal(v.Data, &s)
			}
			return s
		}
		var id int64
		if v, ok := entry["id"]; ok {
			_ = json.Unmarshal(v.Data, &id)
		}
		n := DunstNotification{
			ID:                uint32(id),
			AppName:           str("appname"),
			Summary:           str("summary"),
			Body:              str("body"),
			Message:           str("message"),
			Category:          str("category"),
			IconPath:          str("icon_path"),
			DefaultActionName: str("default_action_name"),
		}
		n.Urgency = urgency[n.ID]
		list = append(list, n)
	}
	return list
}

// Shown returns every notification dunst has displayed, oldest first, as the
// rule script recorded it (a notification that replaced another is listed
// again). Message and DefaultActionName are empty here.
func (d *Dunst) Shown(t testing.TB) []DunstNotification {
	t.Helper()
	dir := filepath.Join(d.Dir, "shown")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("traytest: dunst: %v", err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var list []DunstNotification
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("traytest: dunst: %v", err)
		}
		f := map[string]string{}
		for _, kv := range strings.Split(string(b), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				f[k] = v
			}
		}
		id, _ := strconv.ParseUint(f["ID"], 10, 32)
		list = append(list, DunstNotification{
			ID: uint32(id), AppName: f["APP_NAME"], Summary: f["SUMMARY"], Body: f["BODY"],
			Urgency: f["URGENCY"], Category: f["CATEGORY"], IconPath: f["ICON_PATH"],
		})
	}
	return list
}

// WaitShown waits until dunst has displayed a notification that match
// accepts (nil accepts any) and returns it.
func (d *Dunst) WaitShown(t testing.TB, match func(DunstNotification) bool, timeout time.Duration) DunstNotification {
	t.Helper()
	var found DunstNotification
	var all []DunstNotification
	if poll(timeout, func() bool {
		all = d.Shown(t)
		for _, n := range all {
			if match == nil || match(n) {
				found = n
				return true
			}
		}
		return false
	}) {
		return found
	}
	t.Fatalf("traytest: dunst displayed no matching notification within %v; displayed: %+v", timeout, all)
	return DunstNotification{}
}
