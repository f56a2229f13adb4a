package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/discover"
)

// Found is what discovery offers, what it skipped and what it could not read.
type Found struct {
	Offer   []discover.Candidate
	Skipped []discover.Skipped
	Errors  []error
}

// Importable reports whether f offers anything lockwatch does not watch yet.
func (f Found) Importable() bool {
	for _, c := range f.Offer {
		if c.Configured == "" {
			return true
		}
	}
	return false
}

// FindRepositories looks where Backrest, resticprofile, autorestic,
// systemd and cron keep their configuration (and in the environment), and
// offers what it finds against the config at configPath.
func FindRepositories(ctx context.Context, configPath string) Found {
	cfg, _ := config.Load(configPath) // a missing or broken config offers everything
	found, skipped, errs := discover.Discover(ctx, discover.Options{ResticprofileDirs: discover.StatusDirs(cfg)})
	return Found{Offer: discover.Offer(found, cfg), Skipped: skipped, Errors: errs}
}

// ImportView offers the repositories discovery found, each with a check
// box, and imports the ticked ones through the service (Import selected),
// or lets them be (Not now).
type ImportView struct {
	// OnDone is called on the UI thread when the user is done: after an
	// import with the names imported, or with none after Not now.
	OnDone func(imported []string)
	// KeyringAvailable says whether the OS keyring answers (nil) or why
	// not; nil func means config.KeyringAvailable.
	KeyringAvailable func() error

	adder       discover.Adder
	configPath  string
	found       Found
	inline      bool // run the import on the caller's goroutine (tests)
	busy        bool // an import is under way: nothing else may start
	rows        []*importRow
	toFiles     *widget.Check // write plain passwords to files: shown when no keyring answers
	keyringNote *widget.Label
	importBtn   *widget.Button
	notNowBtn   *widget.Button
	result      *widget.Label
	root        fyne.CanvasObject
}

// importRow is one candidate on screen.
type importRow struct {
	c        discover.Candidate
	check    *widget.Check
	password *widget.Entry // for a candidate without a password source
	status   *widget.Label // what became of it
	done     bool
}

// NewImportView builds the offer of found, importing through adder into
// the config at configPath (beside which password files go, if chosen).
func NewImportView(adder discover.Adder, configPath string, found Found) *ImportView {
	v := &ImportView{adder: adder, configPath: configPath, found: found}
	heading := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	intro := widget.NewLabel("")
	intro.Wrapping = fyne.TextWrapWord
	switch n := len(found.Offer); {
	case n == 0:
		heading.SetText(lang.L("No restic repositories found"))
		intro.SetText(lang.L("Nothing in Backrest, resticprofile, autorestic, systemd units, crontabs or the environment names a restic repository. Add yours in Settings."))
	default:
		heading.SetText(lang.N("lockwatch found {{.Count}} restic repository on this computer", n, map[string]any{"Count": n}))
		intro.SetText(lang.L("Tick the ones lockwatch should watch. A password another tool keeps in plain text goes to the OS keyring, never into lockwatch's config; password files and commands are used where they are."))
	}

	list := container.NewVBox()
	for _, c := range found.Offer {
		r := v.newRow(c)
		v.rows = append(v.rows, r)
		list.Add(r.content())
		list.Add(widget.NewSeparator())
	}
	if len(found.Skipped)+len(found.Errors) > 0 {
		var lines []string
		for _, s := range found.Skipped {
			why, _ := skipReason(s)
			where := discover.Origin{Source: s.Source, File: s.File, Line: s.Line}
			lines = append(lines, lang.L("Skipped: {{.What}}", map[string]any{"What": where.String() + ": " + why}))
		}
		for _, e := range found.Errors {
			lines = append(lines, lang.L("Could not read: {{.What}}", map[string]any{"What": e.Error()}))
		}
		more := widget.NewLabel(strings.Join(lines, "\n"))
		more.Wrapping = fyne.TextWrapWord
		more.Selectable = true
		list.Add(widget.NewAccordion(widget.NewAccordionItem(lang.L("Not offered ({{.Count}})", map[string]any{"Count": len(lines)}), more)))
	}

	v.keyringNote = widget.NewLabel("")
	v.keyringNote.Wrapping = fyne.TextWrapWord
	v.keyringNote.Importance = widget.WarningImportance
	v.keyringNote.Hide()
	v.toFiles = widget.NewCheck(lang.L("Write those passwords to files only I can read, in {{.Dir}}", map[string]any{"Dir": discover.PasswordDir(configPath)}), nil)
	v.toFiles.Hide()
	v.result = widget.NewLabel("")
	v.result.Wrapping = fyne.TextWrapWord
	v.result.Selectable = true
	v.importBtn = widget.NewButton(lang.L("Import selected"), v.Import)
	v.importBtn.Importance = widget.HighImportance
	v.notNowBtn = widget.NewButton(lang.L("Not now"), func() { v.done(nil) })
	v.refreshButtons()

	top := container.NewVBox(heading, intro)
	bottom := container.NewVBox(v.keyringNote, v.toFiles, v.result, container.NewHBox(layout.NewSpacer(), v.notNowBtn, v.importBtn))
	v.root = container.NewPadded(container.NewBorder(top, bottom, nil, nil, container.NewVScroll(list)))
	return v
}

// Content is the widget tree.
func (v *ImportView) Content() fyne.CanvasObject { return v.root }

func (v *ImportView) newRow(c discover.Candidate) *importRow {
	r := &importRow{c: c, status: widget.NewLabel("")}
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Hide() // shown once it has something to say
	r.check = widget.NewCheck(c.Name, func(bool) { v.refreshButtons() })
	switch {
	case c.Configured != "":
		r.check.Disable()
		r.say(lang.L("Already watched as “{{.Repo}}”.", map[string]any{"Repo": c.Configured}), widget.MediumImportance)
	case c.Missing != "":
		r.say(lang.L("Not ticked: there is no restic repository at {{.Path}}.", map[string]any{"Path": c.Missing}), widget.MediumImportance)
	default:
		r.check.SetChecked(true)
	}
	if c.Configured == "" && c.NeedsPassword() {
		r.password = widget.NewPasswordEntry()
		r.password.SetPlaceHolder(lang.L("its password (none found; it goes to the OS keyring)"))
		r.check.SetChecked(false)
		r.password.OnChanged = func(s string) {
			if s != "" && !r.done {
				r.check.SetChecked(true)
			}
		}
	}
	return r
}

// say shows what became of the row's repository.
func (r *importRow) say(text string, importance widget.Importance) {
	r.status.Importance = importance
	r.status.SetText(text)
	r.status.Show()
}

// homeShort writes the user's home directory in s as ~, as people read paths.
func homeShort(s string) string {
	home, err := os.UserHomeDir()
	if err != nil || len(home) < 2 {
		return s
	}
	return strings.ReplaceAll(s, home+string(filepath.Separator), "~"+string(filepath.Separator))
}

func (r *importRow) content() fyne.CanvasObject {
	where := widget.NewLabel(r.c.Location() + "\n" + lang.L("found in {{.Where}}", map[string]any{"Where": homeShort(r.c.Origin().String())}))
	where.Wrapping = fyne.TextWrapWord
	where.Selectable = true
	objs := []fyne.CanvasObject{container.NewBorder(nil, nil, r.check, nil, where)}
	if r.c.Configured == "" {
		var lines []string
		if !r.c.NeedsPassword() {
			lines = append(lines, lang.L("Password: {{.Source}}", map[string]any{"Source": passwordSource(r.c.PasswordKind(), r.c.PasswordFile)}))
		}
		if r.c.AutoUnlock != "" {
			lines = append(lines, lang.L("Auto-unlock: {{.Level}}", map[string]any{"Level": present.LevelName(r.c.AutoUnlock)}))
		}
		for _, o := range r.c.Also {
			lines = append(lines, lang.L("Also in {{.Where}}", map[string]any{"Where": homeShort(o.String())}))
		}
		for _, n := range r.c.Notes {
			text, _ := noteText(n)
			lines = append(lines, text)
		}
		if len(lines) > 0 {
			notes := widget.NewLabel(strings.Join(lines, "\n"))
			notes.Wrapping = fyne.TextWrapWord
			notes.SizeName = theme.SizeNameCaptionText
			objs = append(objs, notes)
		}
	}
	if r.password != nil {
		objs = append(objs, r.password)
	}
	objs = append(objs, r.status)
	return container.NewVBox(objs...)
}

// Chosen lists the names of the candidates ticked.
func (v *ImportView) Chosen() []string {
	var names []string
	for _, r := range v.rows {
		if r.check.Checked && !r.done {
			names = append(names, r.c.Name)
		}
	}
	return names
}

// SetChecked ticks or unticks the candidate named name.
func (v *ImportView) SetChecked(name string, on bool) {
	for _, r := range v.rows {
		if r.c.Name == name {
			r.check.SetChecked(on)
		}
	}
}

func (v *ImportView) refreshButtons() {
	if v.importBtn == nil {
		return
	}
	if v.busy || len(v.Chosen()) == 0 {
		v.importBtn.Disable()
	} else {
		v.importBtn.Enable()
	}
	if v.busy {
		v.notNowBtn.Disable()
	} else {
		v.notNowBtn.Enable()
	}
}

// setBusy marks an import (or the keyring's answer) under way: the boxes,
// the password entries and both buttons wait for it.
func (v *ImportView) setBusy(on bool) {
	v.busy = on
	for _, r := range v.rows {
		switch {
		case on || r.done || r.c.Configured != "":
			r.check.Disable()
			if r.password != nil {
				r.password.Disable()
			}
		default:
			r.check.Enable()
			if r.password != nil {
				r.password.Enable()
			}
		}
	}
	v.refreshButtons()
}

// Import adds the ticked candidates. Where their passwords would go to an
// OS keyring that does not answer, it first says so and offers password
// files; each repository is saved on its own, so one refused keeps the
// others. The keyring's answer and the import run off the UI thread (the
// keyring may ask its user to unlock it).
func (v *ImportView) Import() {
	if v.busy {
		return
	}
	var chosen []*importRow
	needsKeyring := false
	for _, r := range v.rows {
		if r.check.Checked && !r.done {
			chosen = append(chosen, r)
			needsKeyring = needsKeyring || r.c.NeedsKeyring()
		}
	}
	if len(chosen) == 0 {
		return
	}
	inputs := make([]discover.ImportOptions, len(chosen))
	for i, r := range chosen {
		if r.password != nil {
			inputs[i].Password = r.password.Text
		}
	}
	toFiles := v.toFiles.Checked
	available := v.KeyringAvailable
	if available == nil {
		available = config.KeyringAvailable
	}
	v.setBusy(true)
	v.result.SetText(lang.L("Importing…"))
	work := func() func() {
		if needsKeyring && !toFiles {
			if err := available(); err != nil {
				return func() {
					v.setBusy(false)
					v.result.SetText("")
					v.keyringNote.SetText(lang.L("The OS keyring is not available, so the passwords found in plain text cannot go there ({{.Error}}). Tick below to write them to files only you can read instead, or untick those repositories.", map[string]any{"Error": err.Error()}))
					v.keyringNote.Show()
					v.toFiles.Show()
				}
			}
		}
		ctx, cancel := settingsContext()
		defer cancel()
		errs := make([]error, len(chosen))
		for i, r := range chosen {
			if needsKeyring && toFiles {
				inputs[i].PasswordDir = discover.PasswordDir(v.configPath)
			}
			_, errs[i] = discover.Import(ctx, v.adder, r.c, inputs[i])
		}
		return func() { v.imported(chosen, errs) }
	}
	runThenUpdate(v.inline, work)
}

// imported shows what became of each chosen row. Runs on the UI thread.
func (v *ImportView) imported(chosen []*importRow, errs []error) {
	var imported, failed []string
	for i, r := range chosen {
		if errs[i] != nil {
			r.say(lang.L("Not imported: {{.Error}}", map[string]any{"Error": errs[i].Error()}), widget.DangerImportance)
			failed = append(failed, r.c.Name)
			continue
		}
		r.done = true
		r.say(lang.L("Imported."), widget.SuccessImportance)
		imported = append(imported, r.c.Name)
	}
	v.setBusy(false)
	if len(failed) > 0 {
		v.result.SetText(lang.L("Imported {{.Count}}; {{.Failed}} could not be: see above.", map[string]any{"Count": len(imported), "Failed": strings.Join(failed, ", ")}))
		return
	}
	v.result.SetText("")
	v.done(imported)
}

func (v *ImportView) done(imported []string) {
	if v.OnDone != nil {
		v.OnDone(imported)
	}
}

// Result is the text under the list: what the import did, or why not.
func (v *ImportView) Result() string { return v.result.Text }
