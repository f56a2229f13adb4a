package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/client"
	"github.com/lockwatch/lockwatch/app/i18n"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/platform/autostart"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// showSettings opens the settings window, or brings it to the front.
func (ui *UI) showSettings() {
	if ui.settings != nil {
		ui.settings.Show()
		ui.settings.RequestFocus()
		return
	}
	sb, ok := ui.backend.(api.SettingsBackend)
	if !ok {
		dialog.ShowInformation(lang.L("Settings"), lang.L("The settings need the lockwatch service, which is not reachable. Edit {{.Path}} instead.", map[string]any{"Path": ui.opts.ConfigPath}), ui.main)
		return
	}
	w := ui.app.NewWindow(lang.L("lockwatch settings"))
	v := NewSettingsView(sb)
	v.Window = w
	v.LoginEnabled = autostart.Enabled
	v.SetLogin = func(on bool) error {
		if on {
			return autostart.Enable(ui.opts.Executable)
		}
		return autostart.Disable()
	}
	v.OnImport = func() { ui.showImport(sb, v.Reload) }
	// The tray menu shows "Start at login" too.
	v.OnChanged = func() { go client.HandOver(client.Tray, client.Refresh, "") }
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(920, 680))
	w.SetOnClosed(func() {
		ui.settings = nil
		ui.quitIfNoWindow()
	})
	ui.settings = w
	w.Show()
	v.Reload()
}

// Password sources as the form offers them, in the user's language.
func sourceFile() string    { return lang.L("Password file") }
func sourceCommand() string { return lang.L("Password command") }
func sourceKeyring() string { return lang.L("OS keyring") }

// sourceOf is the form's choice for a stored password source.
func sourceOf(source string) string {
	switch source {
	case config.PasswordFromCommand:
		return sourceCommand()
	case config.PasswordFromKeyring:
		return sourceKeyring()
	}
	return sourceFile()
}

// levelLabel is an auto-unlock level as the form offers it.
func levelLabel(level config.AutoUnlock) string { return present.LevelName(level) }

// levelOf is the level of a label of the form.
func levelOf(label string) config.AutoUnlock {
	for _, level := range []config.AutoUnlock{config.AutoUnlockStale, config.AutoUnlockUnrefreshed} {
		if label == levelLabel(level) {
			return level
		}
	}
	return config.AutoUnlockOff
}

// AutoUnlockHelp explains an auto-unlock level in a sentence.
func AutoUnlockHelp(level config.AutoUnlock) string {
	switch level {
	case config.AutoUnlockStale:
		return lang.L("Removes locks whose restic process is gone from this computer, or that no restic refreshed for 30 minutes.")
	case config.AutoUnlockUnrefreshed:
		return lang.L("Also removes another computer's lock when it stayed unchanged for longer than a running restic allows (15 minutes by default).")
	}
	return lang.L("lockwatch only tells you; it never removes a lock.")
}

// SettingsView is the settings window's content: the repositories on the
// left, the form of the one selected on the right, and the app-wide
// settings below. Everything is saved through the service.
type SettingsView struct {
	// Window shows the confirmation before a repository is removed;
	// without one, Remove does not ask.
	Window fyne.Window
	// LoginEnabled and SetLogin read and change "Start at login"; without
	// them the check is hidden.
	LoginEnabled func() (bool, error)
	SetLogin     func(on bool) error
	// OnChanged, if set, is called on the UI thread after a saved change.
	OnChanged func()
	// OnImport, if set, opens the import of what other backup tools know
	// (the Import… button, hidden without it).
	OnImport func()
	// OnNotifications, if set, learns the notifications setting whenever
	// the view loads or saves it.
	OnNotifications func(on bool)

	sb     api.SettingsBackend
	inline bool // run service calls on the caller's goroutine (tests)

	cfg     config.ConfigView
	editing string // the repository in the form; "" while adding one
	filling bool   // the form is being filled in: not the user's changes

	list      *widget.List
	addBtn    *widget.Button
	removeBtn *widget.Button
	importBtn *widget.Button

	name, repository, repositoryFile *widget.Entry
	source                           *widget.RadioGroup
	passwordFile, passwordCommand    *widget.Entry
	password                         *widget.Entry // for the keyring: write-only
	env                              *envEditor
	interval                         *widget.Entry
	autoUnlock                       *widget.RadioGroup
	autoUnlockHelp                   *widget.Label
	errs                             map[string]*widget.Label // red text under each field
	title                            *widget.Label
	saveBtn, testBtn                 *widget.Button
	result                           *widget.Label

	form          *widget.Form
	notifications *widget.Check
	language      *widget.Select
	login         *widget.Check
	root          fyne.CanvasObject
}

// settingsFields are the FieldErrors keys, each shown under its part of the form;
// "" is for problems of no single field.
var settingsFields = []string{"name", "repository", "password", "env", "check_interval", "auto_unlock", ""}

// NewSettingsView builds the settings on sb. Call Reload to fill them in.
func NewSettingsView(sb api.SettingsBackend) *SettingsView {
	v := &SettingsView{sb: sb, errs: map[string]*widget.Label{}}
	for _, f := range settingsFields {
		l := widget.NewLabel("")
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		l.Hide()
		v.errs[f] = l
	}

	v.list = widget.NewList(
		func() int { return len(v.cfg.Repos) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.cfg.Repos[i].Name) })
	v.list.OnSelected = func(i widget.ListItemID) {
		if !v.filling && i < len(v.cfg.Repos) && v.cfg.Repos[i].Name != v.editing {
			v.SelectRepo(v.cfg.Repos[i].Name)
		}
	}
	v.addBtn = widget.NewButton(lang.L("Add"), v.NewRepo)
	v.removeBtn = widget.NewButton(lang.L("Remove"), v.Remove)
	v.importBtn = widget.NewButton(lang.L("Import…"), func() {
		if v.OnImport != nil {
			v.OnImport()
		}
	})

	v.name = widget.NewEntry()
	v.name.SetPlaceHolder(lang.L("e.g. nas"))
	v.repository = widget.NewEntry()
	v.repository.SetPlaceHolder(lang.X("placeholder.repository", "/srv/restic, sftp:me@nas:/srv/restic, s3:…"))
	v.repositoryFile = widget.NewEntry()
	v.repositoryFile.SetPlaceHolder(lang.L("or: a file that holds the location (repository_file)"))
	v.passwordFile = widget.NewEntry()
	v.passwordFile.SetPlaceHolder(lang.X("placeholder.password_file", "~/.config/restic/password"))
	v.passwordCommand = widget.NewEntry()
	v.password = widget.NewPasswordEntry()
	v.source = widget.NewRadioGroup([]string{sourceFile(), sourceCommand(), sourceKeyring()}, func(string) { v.showSource() })
	v.source.Horizontal = true
	v.source.Required = true
	v.env = newEnvEditor()
	v.env.resized = func() {
		if v.form != nil {
			v.form.Refresh()
		}
	}
	v.interval = widget.NewEntry()
	v.autoUnlockHelp = widget.NewLabel("")
	v.autoUnlockHelp.Wrapping = fyne.TextWrapWord
	levels := []string{levelLabel(config.AutoUnlockOff), levelLabel(config.AutoUnlockStale), levelLabel(config.AutoUnlockUnrefreshed)}
	v.autoUnlock = widget.NewRadioGroup(levels, func(label string) {
		v.autoUnlockHelp.SetText(AutoUnlockHelp(levelOf(label)))
	})
	v.autoUnlock.Horizontal = true
	v.autoUnlock.Required = true

	under := func(field string, objs ...fyne.CanvasObject) fyne.CanvasObject {
		return container.NewVBox(append(objs, v.errs[field])...)
	}
	v.form = widget.NewForm(
		widget.NewFormItem(lang.L("Name"), under("name", v.name)),
		widget.NewFormItem(lang.L("Repository"), under("repository", v.repository, v.repositoryFile)),
		widget.NewFormItem(lang.L("Password"), under("password", v.source,
			container.NewStack(v.passwordFile, v.passwordCommand, v.password))),
		widget.NewFormItem(lang.L("Environment"), under("env", v.env.content())),
		widget.NewFormItem(lang.L("Check every"), under("check_interval", v.interval)),
		widget.NewFormItem(lang.L("Auto-unlock"), under("auto_unlock", v.autoUnlock, v.autoUnlockHelp)),
	)
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.saveBtn = widget.NewButton(lang.L("Save"), v.Save)
	v.saveBtn.Importance = widget.HighImportance
	v.testBtn = widget.NewButton(lang.L("Test connection"), v.Test)
	v.result = widget.NewLabel("")
	v.result.Wrapping = fyne.TextWrapWord
	v.result.Selectable = true // so an error can be copied into a search or a bug report

	v.notifications = widget.NewCheck(lang.L("Notifications"), func(on bool) { v.setNotifications(on) })
	v.login = widget.NewCheck(lang.L("Start at login"), func(on bool) { v.setLogin(on) })
	v.language = widget.NewSelect(languageChoices(), func(choice string) { v.setLanguage(languageOf(choice)) })
	// Wide enough for its longest entry, which Select itself does not ask for.
	languageBox := container.NewGridWrap(fyne.NewSize(220, v.language.MinSize().Height), v.language)

	right := container.NewVScroll(container.NewVBox(v.title, v.form, v.errs[""],
		container.NewHBox(layout.NewSpacer(), v.testBtn, v.saveBtn), v.result))
	left := container.NewBorder(nil, container.NewVBox(container.NewGridWithColumns(2, v.addBtn, v.removeBtn), v.importBtn), nil, nil, v.list)
	split := container.NewHSplit(left, right)
	split.Offset = 0.25
	v.root = container.NewBorder(nil,
		container.NewVBox(widget.NewSeparator(), container.NewHBox(v.notifications, v.login, layout.NewSpacer(),
			widget.NewLabel(lang.L("Language")), languageBox)),
		nil, nil, split)
	v.NewRepo()
	return v
}

// Content is the widget tree.
func (v *SettingsView) Content() fyne.CanvasObject { return v.root }

// run does work off the UI thread and then its update on it.
func (v *SettingsView) run(work func() (update func())) { runThenUpdate(v.inline, work) }

// runThenUpdate does work off the UI thread and then the update it returns
// on the UI thread; inline (tests) does both on the caller's goroutine.
func runThenUpdate(inline bool, work func() (update func())) {
	if inline {
		work()()
		return
	}
	go func() {
		update := work()
		fyne.Do(update)
	}()
}

func settingsContext() (context.Context, context.CancelFunc) {
	// A check may take restic a while (a slow backend, scrypt); the
	// service bounds it with its own timeout well within this.
	return context.WithTimeout(context.Background(), 10*time.Minute)
}

// Reload reads the config from the service and shows it.
func (v *SettingsView) Reload() {
	v.run(func() func() {
		c, cancel := settingsContext()
		defer cancel()
		view, err := v.sb.Config(c)
		return func() {
			if err != nil {
				v.setResult(lang.L("Cannot read the settings: {{.Error}}", map[string]any{"Error": err.Error()}))
				return
			}
			v.setConfig(view)
		}
	})
}

// setConfig shows a new config, keeping the repository in the form.
func (v *SettingsView) setConfig(view config.ConfigView) {
	v.cfg = view
	v.notificationsSet(view.Notifications)
	v.filling = true
	v.notifications.SetChecked(view.Notifications)
	v.language.SetSelected(languageChoice(view.Language))
	if v.LoginEnabled != nil {
		on, _ := v.LoginEnabled()
		v.login.SetChecked(on)
		v.login.Show()
	} else {
		v.login.Hide()
	}
	v.filling = false
	if v.OnImport == nil {
		v.importBtn.Hide()
	} else {
		v.importBtn.Show()
	}
	v.list.Refresh()
	switch {
	case v.editing != "" && slices.ContainsFunc(view.Repos, func(r config.RepoView) bool { return r.Name == v.editing }):
		v.SelectRepo(v.editing)
	case len(view.Repos) > 0:
		v.SelectRepo(view.Repos[0].Name)
	default:
		v.NewRepo()
	}
}

// SelectRepo fills the form with a configured repository.
func (v *SettingsView) SelectRepo(name string) {
	r, ok := v.cfg.Repo(name)
	if !ok {
		return
	}
	v.fill(r, true)
	for i := range v.cfg.Repos {
		if v.cfg.Repos[i].Name == name {
			v.filling = true
			v.list.Select(i)
			v.filling = false
		}
	}
}

// NewRepo empties the form for a repository to add.
func (v *SettingsView) NewRepo() {
	v.fill(config.RepoView{PasswordSource: config.PasswordFromFile, AutoUnlock: config.AutoUnlockOff}, false)
	v.filling = true
	v.list.UnselectAll()
	v.filling = false
}

// fill shows r in the form; stored says whether r is in the config
// (rather than a new one being added).
func (v *SettingsView) fill(r config.RepoView, stored bool) {
	v.filling = true
	defer func() { v.filling = false }()
	v.editing = ""
	v.title.SetText(lang.L("New repository"))
	v.removeBtn.Disable()
	if stored {
		v.editing = r.Name
		v.title.SetText(lang.L("Repository {{.Repo}}", map[string]any{"Repo": r.Name}))
		v.removeBtn.Enable()
	}
	v.clearErrors()
	v.result.SetText("")
	v.name.SetText(r.Name)
	v.repository.SetText(r.Repository)
	v.repositoryFile.SetText(r.RepositoryFile)
	v.passwordFile.SetText(r.PasswordFile)
	v.passwordCommand.SetText("")
	v.password.SetText("")
	v.passwordCommand.SetPlaceHolder(lang.L("e.g. pass show restic/nas"))
	v.password.SetPlaceHolder(lang.L("the repository password"))
	switch {
	case stored && r.PasswordSource == config.PasswordFromCommand:
		// The command is never shown (it may hold a secret); left empty,
		// the stored one stays.
		v.passwordCommand.SetPlaceHolder(lang.L("(unchanged)"))
	case stored && r.PasswordSource == config.PasswordFromKeyring:
		v.password.SetPlaceHolder(lang.L("(kept in the OS keyring; type to replace)"))
	}
	v.source.SetSelected(sourceOf(r.PasswordSource))
	v.showSource()
	v.env.set(r.Env)
	v.interval.SetText(r.CheckInterval)
	def := v.cfg.CheckInterval
	if def == "" {
		def = "5m"
	}
	v.interval.SetPlaceHolder(lang.L("{{.Interval}} (the default)", map[string]any{"Interval": def}))
	level := r.AutoUnlock
	if level == "" {
		level = config.AutoUnlockOff
	}
	v.autoUnlock.SetSelected(levelLabel(level))
}

// showSource shows the password field of the chosen source.
func (v *SettingsView) showSource() {
	show := func(e *widget.Entry, on bool) {
		if on {
			e.Show()
		} else {
			e.Hide()
		}
	}
	show(v.passwordFile, v.source.Selected == sourceFile())
	show(v.passwordCommand, v.source.Selected == sourceCommand())
	show(v.password, v.source.Selected == sourceKeyring())
}

// input is the form as a RepoInput, and problems the form itself can see.
func (v *SettingsView) input() (config.RepoInput, config.FieldErrors) {
	in := config.RepoInput{
		Name:           v.name.Text,
		Repository:     v.repository.Text,
		RepositoryFile: v.repositoryFile.Text,
		CheckInterval:  v.interval.Text,
		AutoUnlock:     levelOf(v.autoUnlock.Selected),
	}
	switch v.source.Selected {
	case sourceFile():
		in.PasswordFile = v.passwordFile.Text
	case sourceCommand():
		in.PasswordCommand = v.passwordCommand.Text
	case sourceKeyring():
		in.PasswordKeyring, in.Password = true, v.password.Text
	}
	var local config.FieldErrors
	if v.source.Selected == sourceFile() && strings.TrimSpace(in.PasswordFile) == "" {
		// Sent empty, it would read as "no new source" and keep a stored
		// password command: not what choosing "Password file" means.
		local = config.FieldErrors{"password": lang.L("type the path of the password file")}
	}
	env, msg := v.env.values()
	in.Env = env
	if msg != "" {
		if local == nil {
			local = config.FieldErrors{}
		}
		local["env"] = msg
	}
	return in, local
}

// validInput reads the form, showing what is wrong next to its field.
func (v *SettingsView) validInput() (config.RepoInput, bool) {
	in, local := v.input()
	v.clearErrors()
	if len(local) > 0 {
		v.showErrors(local)
		return in, false
	}
	return in, true
}

// Save sends the form to the service.
func (v *SettingsView) Save() {
	in, ok := v.validInput()
	if !ok {
		return
	}
	old := v.editing
	v.saveBtn.Disable()
	v.run(func() func() {
		c, cancel := settingsContext()
		defer cancel()
		var view config.ConfigView
		var fields config.FieldErrors
		var err error
		if old == "" {
			view, fields, err = v.sb.AddRepo(c, in)
		} else {
			view, fields, err = v.sb.PutRepo(c, old, in)
		}
		return func() {
			v.saveBtn.Enable()
			switch {
			case err != nil:
				v.setResult(lang.L("Not saved: {{.Error}}", map[string]any{"Error": err.Error()}))
			case len(fields) > 0:
				v.showErrors(fields)
				v.setResult(lang.L("Not saved: see the fields marked in red."))
			default:
				v.editing = strings.TrimSpace(in.Name)
				v.setConfig(view)
				v.setResult(lang.L("Saved."))
				v.changed()
			}
		}
	})
}

// Test checks the repository as the form describes it, without saving.
func (v *SettingsView) Test() {
	in, ok := v.validInput()
	if !ok {
		return
	}
	old := v.editing
	v.testBtn.Disable()
	v.setResult(lang.L("Testing the connection…"))
	v.run(func() func() {
		c, cancel := settingsContext()
		defer cancel()
		st, fields, err := v.sb.TestRepo(c, old, in)
		return func() {
			v.testBtn.Enable()
			switch {
			case err != nil:
				v.setResult(lang.L("Cannot test: {{.Error}}", map[string]any{"Error": err.Error()}))
			case len(fields) > 0:
				v.showErrors(fields)
				v.setResult(lang.L("Not tested: see the fields marked in red."))
			default:
				v.setResult(TestResult(st))
			}
		}
	})
}

// TestResult says in words what a test check found.
func TestResult(st check.RepoStatus) string {
	if st.State == check.StateError {
		return lang.L("Connection failed: {{.Error}}", map[string]any{"Error": present.CheckError(st.Error, st.ErrorKind)})
	}
	if len(st.Locks) == 0 {
		return lang.L("Connected: no locks.")
	}
	return lang.N("Connected: {{.Count}} lock ({{.Verdicts}}); state {{.State}}.", len(st.Locks),
		map[string]any{"Count": len(st.Locks), "Verdicts": present.LockCounts(st.Locks), "State": present.StateName(st.State)})
}

// Remove deletes the repository in the form, after asking.
func (v *SettingsView) Remove() {
	name := v.editing
	if name == "" {
		return
	}
	remove := func() {
		v.run(func() func() {
			c, cancel := settingsContext()
			defer cancel()
			err := v.sb.DeleteRepo(c, name)
			return func() {
				if err != nil {
					v.setResult(lang.L("Not removed: {{.Error}}", map[string]any{"Error": err.Error()}))
					return
				}
				v.editing = ""
				v.Reload()
				v.changed()
			}
		})
	}
	if v.Window == nil {
		remove()
		return
	}
	dialog.ShowConfirm(lang.L("Remove {{.Repo}}", map[string]any{"Repo": name}),
		lang.L("Stop watching “{{.Repo}}”? The repository itself is not touched; a password kept in the OS keyring for it is deleted.", map[string]any{"Repo": name}),
		func(ok bool) {
			if ok {
				remove()
			}
		}, v.Window)
}

// languageChoices are the Language menu's entries: the OS's, then each
// language by its own name.
func languageChoices() []string {
	choices := []string{lang.L("Same as the system")}
	for _, l := range i18n.Languages[1:] {
		choices = append(choices, i18n.Endonyms[l])
	}
	return choices
}

// languageChoice is the entry for a [defaults] language value.
func languageChoice(language string) string {
	if name, ok := i18n.Endonyms[language]; ok {
		return name
	}
	return languageChoices()[0]
}

// languageOf is the [defaults] language value of an entry.
func languageOf(choice string) string {
	for l, name := range i18n.Endonyms {
		if name == choice {
			return l
		}
	}
	return "auto"
}

// setLanguage saves the app's language. What is drawn keeps its words: the
// windows opened from now on speak it, the tray from its next start.
func (v *SettingsView) setLanguage(language string) {
	if v.filling || language == languageOf(languageChoice(v.cfg.Language)) {
		return
	}
	v.run(func() func() {
		c, cancel := settingsContext()
		defer cancel()
		err := v.sb.SetLanguage(c, language)
		return func() {
			if err != nil {
				v.setResult(lang.L("Language not changed: {{.Error}}", map[string]any{"Error": err.Error()}))
				v.filling = true
				v.language.SetSelected(languageChoice(v.cfg.Language))
				v.filling = false
				return
			}
			v.cfg.Language = language
			v.setResult(lang.L("Language saved: lockwatch's windows speak it from the next one opened, its tray from its next start."))
			v.changed()
		}
	})
}

func (v *SettingsView) setNotifications(on bool) {
	if v.filling {
		return
	}
	v.run(func() func() {
		c, cancel := settingsContext()
		defer cancel()
		err := v.sb.SetNotifications(c, on)
		return func() {
			if err != nil {
				v.setResult(lang.L("Notifications not changed: {{.Error}}", map[string]any{"Error": err.Error()}))
				v.filling = true
				v.notifications.SetChecked(!on)
				v.filling = false
				return
			}
			v.notificationsSet(on)
			v.changed()
		}
	})
}

func (v *SettingsView) setLogin(on bool) {
	if v.filling || v.SetLogin == nil {
		return
	}
	if err := v.SetLogin(on); err != nil {
		v.setResult(lang.L("Start at login not changed: {{.Error}}", map[string]any{"Error": err.Error()}))
		v.filling = true
		v.login.SetChecked(!on)
		v.filling = false
		return
	}
	v.changed()
}

func (v *SettingsView) changed() {
	if v.OnChanged != nil {
		v.OnChanged()
	}
}

func (v *SettingsView) notificationsSet(on bool) {
	if v.OnNotifications != nil {
		v.OnNotifications(on)
	}
}

func (v *SettingsView) setResult(text string) { v.result.SetText(text) }

func (v *SettingsView) clearErrors() {
	for _, l := range v.errs {
		l.SetText("")
		l.Hide()
	}
	v.form.Refresh() // lay out again: the form's rows change height
}

// showErrors puts each problem under its field.
func (v *SettingsView) showErrors(fe config.FieldErrors) {
	for field, msg := range fe {
		l := v.errs[field]
		if l == nil {
			l = v.errs[""]
		}
		if l.Text != "" {
			msg = l.Text + "; " + msg
		}
		l.SetText(msg)
		l.Show()
	}
	v.form.Refresh()
}

// FieldError is the message shown under a field ("" if none).
func (v *SettingsView) FieldError(field string) string {
	if l := v.errs[field]; l != nil && l.Visible() {
		return l.Text
	}
	return ""
}

// envEditor edits a repository's env table: one NAME = value row per
// variable. Stored values are never sent to the form; their rows show
// config.MaskedValue, which, left alone, keeps the stored value.
type envEditor struct {
	rows    []*envRow
	box     *fyne.Container
	add     *widget.Button
	resized func() // a row came or went: the form must lay out again
}

type envRow struct {
	key, value *widget.Entry
	remove     *widget.Button
	masked     bool // value is still the mask of a stored value
	obj        fyne.CanvasObject
}

func newEnvEditor() *envEditor {
	e := &envEditor{box: container.NewVBox()}
	e.add = widget.NewButton(lang.L("Add variable"), func() { e.addRow("", "", false) })
	return e
}

func (e *envEditor) content() fyne.CanvasObject {
	return container.NewVBox(e.box, container.NewHBox(e.add))
}

// set shows the variables of env, values masked.
func (e *envEditor) set(env map[string]string) {
	e.rows = nil
	e.box.RemoveAll()
	defer e.resize()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.addRow(k, config.MaskedValue, true)
	}
}

func (e *envEditor) addRow(key, value string, masked bool) *envRow {
	r := &envRow{key: widget.NewEntry(), value: widget.NewPasswordEntry(), masked: masked}
	r.key.SetPlaceHolder(lang.L("NAME"))
	r.key.SetText(key)
	r.value.SetPlaceHolder(lang.L("value"))
	r.value.SetText(value)
	r.value.OnChanged = func(s string) {
		if !r.masked || s == config.MaskedValue {
			return
		}
		// Typing into the mask replaces it: what was typed is the new
		// value, and the mask's dots must not become part of the secret.
		r.masked = false
		r.value.SetText(strings.ReplaceAll(s, "•", ""))
	}
	r.remove = widget.NewButton(lang.L("Remove"), nil)
	r.obj = container.NewBorder(nil, nil, nil, r.remove,
		container.NewGridWithColumns(2, r.key, r.value))
	r.remove.OnTapped = func() {
		e.rows = slices.DeleteFunc(e.rows, func(x *envRow) bool { return x == r })
		e.box.Remove(r.obj)
		e.resize()
	}
	e.rows = append(e.rows, r)
	e.box.Add(r.obj)
	e.resize()
	return r
}

func (e *envEditor) resize() {
	if e.resized != nil {
		e.resized()
	}
}

// values is the env table to send, and a problem the form can see.
func (e *envEditor) values() (map[string]string, string) {
	env := map[string]string{}
	for _, r := range e.rows {
		key := strings.TrimSpace(r.key.Text)
		if key == "" && r.value.Text == "" {
			continue
		}
		if _, dup := env[key]; dup && key != "" {
			return nil, key + " is set twice"
		}
		env[key] = r.value.Text
	}
	return env, ""
}
