package app

import (
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/icons"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// MainView is the main window's content: the repositories on the left;
// the selected one's state, locks, actions and history on the right.
type MainView struct {
	// Set by the app.
	OnCheck   func(repo string)
	OnUnlock  func(repo string, req api.UnlockRequest)
	OnHistory func(repo string) // asks for History to be called with fresh entries
	Window    fyne.Window       // for dialogs

	st       check.Status
	selected string
	lock     int // selected row in the locks table, -1 for none
	history  []store.Event

	banner    *widget.Label
	notice    *widget.Label // the service's news about itself (Status.Notice)
	repos     *widget.List
	title     *widget.Label
	state     *widget.Label
	checked   *widget.Label
	locks     *widget.Table
	lockInfo  *widget.Label // the selected lock's verdict and whole reason
	hist      *widget.List
	checkBtn  *widget.Button
	unlockBtn *widget.Button
	oneBtn    *widget.Button
	allBtn    *widget.Button
	root      fyne.CanvasObject
}

// lockColumns are the widths of the locks table's columns (see columnTitle).
var lockColumns = []float32{90, 90, 90, 70, 70, 55, 100, 360}

// columnTitle is the header of the locks table's column col.
func columnTitle(col int) string {
	switch col {
	case 0:
		return lang.X("column.id", "ID")
	case 1:
		return lang.L("Kind")
	case 2:
		return lang.L("Host")
	case 3:
		return lang.L("User")
	case 4:
		return lang.X("column.pid", "PID")
	case 5:
		return lang.L("Age")
	case 6:
		return lang.L("Verdict")
	}
	return lang.L("Reason")
}

// NewMainView builds the main window's content.
func NewMainView() *MainView {
	v := &MainView{lock: -1}
	v.banner = widget.NewLabel("")
	v.banner.Wrapping = fyne.TextWrapWord
	v.banner.Hide()
	v.notice = widget.NewLabel("")
	v.notice.Wrapping = fyne.TextWrapWord
	v.notice.Importance = widget.WarningImportance
	v.notice.Hide()
	v.repos = widget.NewList(
		func() int { return len(v.st.Repos) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			checked := widget.NewLabel("")
			checked.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, container.NewCenter(widget.NewIcon(nil)), nil, container.NewVBox(name, checked))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := v.st.Repos[i]
			row := o.(*fyne.Container)
			text := row.Objects[0].(*fyne.Container)
			text.Objects[0].(*widget.Label).SetText(present.RepoLabel(r))
			text.Objects[1].(*widget.Label).SetText(present.CheckedLine(r))
			row.Objects[1].(*fyne.Container).Objects[0].(*widget.Icon).SetResource(stateIcon(r.State))
		})
	v.repos.OnSelected = func(i widget.ListItemID) {
		if i < len(v.st.Repos) && v.st.Repos[i].Name != v.selected {
			v.Select(v.st.Repos[i].Name)
		}
	}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.SizeName = theme.SizeNameSubHeadingText
	v.state = widget.NewLabel("")
	v.state.Wrapping = fyne.TextWrapWord
	v.checked = widget.NewLabel("")
	v.checked.Wrapping = fyne.TextWrapWord
	v.locks = widget.NewTable(
		func() (int, int) { return len(v.current().Locks), len(lockColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.cell(id.Row, id.Col)) })
	// The header row stays put while the locks scroll.
	v.locks.ShowHeaderRow = true
	v.locks.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.locks.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(lockColumns) {
			o.(*widget.Label).SetText(columnTitle(id.Col))
		}
	}
	for i, width := range lockColumns {
		v.locks.SetColumnWidth(i, width)
	}
	v.locks.OnSelected = func(id widget.TableCellID) {
		v.lock = id.Row
		v.refreshButtons()
		v.refreshLockInfo()
	}
	// A reason is often longer than its column: the selected one is shown whole.
	v.lockInfo = widget.NewLabel("")
	v.lockInfo.Wrapping = fyne.TextWrapWord
	v.hist = widget.NewList(
		func() int { return len(v.history) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(HistoryLine(v.history[i])) })
	v.checkBtn = widget.NewButton(lang.L("Check now"), func() { v.call(v.OnCheck) })
	v.unlockBtn = widget.NewButton(lang.L("Unlock stale"), func() {
		if v.OnUnlock != nil {
			v.OnUnlock(v.selected, api.UnlockRequest{By: "tray"})
		}
	})
	v.oneBtn = widget.NewButton(lang.L("Remove this lock…"), v.confirmRemoveOne)
	v.allBtn = widget.NewButton(lang.L("Remove all locks…"), v.confirmRemoveAll)
	buttons := container.NewHBox(v.checkBtn, v.unlockBtn, v.oneBtn, v.allBtn)
	details := container.NewBorder(
		container.NewVBox(v.title, v.state, v.checked, buttons),
		nil, nil, nil,
		container.NewVSplit(container.NewBorder(nil, v.lockInfo, nil, nil, v.locks), container.NewBorder(widget.NewLabelWithStyle(lang.L("History"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.hist)))
	split := container.NewHSplit(v.repos, details)
	split.Offset = 0.28
	v.root = container.NewBorder(container.NewVBox(v.banner, v.notice), nil, nil, nil, split)
	v.refreshButtons()
	return v
}

// Content is the widget tree.
func (v *MainView) Content() fyne.CanvasObject { return v.root }

// SetBanner shows a note above everything (why there is no tray, or that
// checks run inside the app); "" hides it.
func (v *MainView) SetBanner(text string) {
	v.banner.SetText(text)
	if text == "" {
		v.banner.Hide()
	} else {
		v.banner.Show()
	}
}

// Show displays a new status, keeping the selection.
func (v *MainView) Show(st check.Status) {
	v.st = st
	// The service's news about itself (say, that its history was
	// unreadable and starts anew) stays in view while the service runs.
	v.notice.SetText(present.NoticeLine(st))
	if v.notice.Text == "" {
		v.notice.Hide()
	} else {
		v.notice.Show()
	}
	if v.selected == "" && len(st.Repos) > 0 {
		v.Select(st.Repos[0].Name)
	}
	v.repos.Refresh()
	for i, r := range st.Repos {
		if r.Name == v.selected {
			v.repos.Select(i)
		}
	}
	v.refreshDetails()
}

// Select shows one repository's details.
func (v *MainView) Select(repo string) {
	v.selected, v.lock, v.history = repo, -1, nil
	v.locks.UnselectAll()
	if v.Window != nil {
		// The title names the repository shown, for people and for tests.
		v.Window.SetTitle(lang.L("lockwatch — {{.Repo}}", map[string]any{"Repo": repo}))
	}
	for i, r := range v.st.Repos {
		if r.Name == repo {
			v.repos.Select(i)
		}
	}
	v.refreshDetails()
	v.call(v.OnHistory)
}

// Selected is the repository shown.
func (v *MainView) Selected() string { return v.selected }

// SetHistory shows the audit trail of the selected repository.
func (v *MainView) SetHistory(repo string, events []store.Event) {
	if repo == v.selected {
		v.history = events
		v.hist.Refresh()
	}
}

func (v *MainView) current() check.RepoStatus {
	for _, r := range v.st.Repos {
		if r.Name == v.selected {
			return r
		}
	}
	return check.RepoStatus{}
}

func (v *MainView) refreshDetails() {
	r := v.current()
	if r.Name == "" {
		v.title.SetText(lang.L("No repository selected"))
		v.state.SetText(lang.L("Add one in Settings…"))
		v.checked.SetText("")
	} else {
		v.title.SetText(r.Name)
		v.state.SetText(present.StateWords(r))
		v.checked.SetText(present.CheckedLine(r))
	}
	if v.lock >= len(r.Locks) {
		v.lock = -1
		v.locks.UnselectAll()
	}
	v.locks.Refresh()
	v.refreshButtons()
	v.refreshLockInfo()
}

func (v *MainView) refreshLockInfo() {
	locks := v.current().Locks
	if v.lock < 0 || v.lock >= len(locks) {
		v.lockInfo.SetText(lang.L("Select a lock to see why it was judged so."))
		return
	}
	l := locks[v.lock]
	v.lockInfo.SetText(lang.L("{{.ID}} is {{.Verdict}}: {{.Reason}}", map[string]any{"ID": l.ShortID(), "Verdict": present.VerdictName(l.Verdict), "Reason": present.Reason(l)}))
}

func (v *MainView) refreshButtons() {
	r := v.current()
	enable := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	enable(v.checkBtn, r.Name != "")
	enable(v.unlockBtn, present.StaleCount(r) > 0)
	enable(v.oneBtn, v.lock >= 0 && v.lock < len(r.Locks))
	enable(v.allBtn, len(r.Locks) > 0)
}

// cell is the text of the locks table at row (the lock's index), col.
func (v *MainView) cell(row, col int) string {
	locks := v.current().Locks
	if row < 0 || row >= len(locks) {
		return ""
	}
	l := locks[row]
	switch col {
	case 0:
		return l.ShortID()
	case 1:
		if l.Verdict == "invalid" {
			return "—"
		}
		return present.KindName(l)
	case 2:
		return l.Hostname
	case 3:
		return l.Username
	case 4:
		if l.PID == 0 {
			return ""
		}
		return strconv.Itoa(l.PID)
	case 5:
		return present.Age(l)
	case 6:
		return present.VerdictName(l.Verdict)
	}
	return present.Reason(l)
}

func (v *MainView) call(fn func(string)) {
	if fn != nil && v.selected != "" {
		fn(v.selected)
	}
}

func (v *MainView) confirmRemoveOne() {
	r := v.current()
	if v.lock < 0 || v.lock >= len(r.Locks) {
		return
	}
	l := r.Locks[v.lock]
	v.confirm(r.Name, []check.LockStatus{l}, api.UnlockRequest{Locks: []string{l.ID}, Force: true, By: "tray"})
}

func (v *MainView) confirmRemoveAll() {
	r := v.current()
	v.confirm(r.Name, r.Locks, api.UnlockRequest{All: true, Confirm: true, By: "tray"})
}

// confirm asks before removing locks, listing those that may be in use.
func (v *MainView) confirm(repo string, locks []check.LockStatus, req api.UnlockRequest) {
	if v.Window == nil || v.OnUnlock == nil {
		return
	}
	text := widget.NewLabel(present.ConfirmText(repo, locks))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Remove locks"), lang.L("Remove"), lang.L("Cancel"), container.NewVScroll(text), func(ok bool) {
		if ok {
			v.OnUnlock(repo, req)
		}
	}, v.Window)
	d.Resize(fyne.NewSize(560, 320))
	d.Show()
}

// HistoryLine is one entry of the history, in words.
func HistoryLine(e store.Event) string {
	when := e.Time.Local().Format(lang.X("layout.date", "2006-01-02 15:04"))
	switch e.Kind {
	case store.KindRemoval:
		id := ""
		if e.Lock != nil {
			id = lang.L("{{.ID}} (PID {{.PID}} on {{.Host}})", map[string]any{"ID": lock.Lock{ID: e.Lock.ID}.ShortID(), "PID": e.Lock.PID, "Host": e.Lock.Hostname})
		}
		return when + "  " + lang.L("removed {{.Lock}}, {{.Verdict}} — by {{.Who}}: {{.Reason}}",
			map[string]any{"Lock": id, "Verdict": present.VerdictName(lock.Verdict(e.Verdict)), "Who": remover(e.By), "Reason": present.RemovalReason(e)})
	case store.KindRun:
		return when + "  " + lang.L("run {{.Summary}}", map[string]any{"Summary": present.RunSummary(e)})
	case store.KindState:
		from := present.StateName(check.State(e.From))
		if e.From == "" {
			from = lang.L("new")
		}
		return when + "  " + lang.L("{{.From}} → {{.To}}: {{.Detail}}", map[string]any{"From": from, "To": present.StateName(check.State(e.To)), "Detail": present.Detail(e)})
	}
	return when + "  " + e.Kind + " " + e.Detail
}

// remover says who removed a lock, from a history entry's By.
func remover(by string) string {
	switch by {
	case "auto":
		return lang.L("auto-unlock")
	case "tray":
		return lang.L("you (tray)")
	case "notification":
		return lang.L("you (notification)")
	case "cli":
		return lang.L("the CLI")
	case "api":
		return lang.L("the API")
	case "run":
		return lang.L("the run wrapper")
	}
	return by
}

// stateIcons are the list's state icons, made once.
var stateIcons = map[icons.Status]fyne.Resource{}

func stateIcon(s check.State) fyne.Resource {
	st := present.StateIcon(s)
	if r, ok := stateIcons[st]; ok {
		return r
	}
	r := fyne.NewStaticResource("state-"+string(st)+".png", icons.PNG(st))
	stateIcons[st] = r
	return r
}
