package app

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/lockwatch/lockwatch/app/i18n"
	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon/daemontest"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

const settingsConfig = `# my settings
[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/etc/restic/pw"
env = { AWS_SECRET_ACCESS_KEY = "env-s3cr3t" }
`

// newTestSettings shows the settings of a real daemon (in this process,
// as when no service runs) on a config file in a temp dir; its keyring is a
// stand-in (see daemontest.New).
func newTestSettings(t *testing.T, text string) (*SettingsView, string) {
	t.Helper()
	d, path := daemontest.New(t, text)
	test.NewTempApp(t)
	v := NewSettingsView(api.Local{Daemon: d})
	v.inline = true
	test.NewTempWindow(t, v.Content())
	v.Reload()
	return v, path
}

func load(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fileText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSettingsAddRepoShowsErrorsNextToFields(t *testing.T) {
	v, path := newTestSettings(t, settingsConfig)
	if v.editing != "nas" || v.name.Text != "nas" || v.source.Selected != sourceFile() || v.passwordFile.Text != "/etc/restic/pw" {
		t.Fatalf("form of the first repo: editing %q name %q source %q file %q", v.editing, v.name.Text, v.source.Selected, v.passwordFile.Text)
	}

	test.Tap(v.addBtn)
	if v.editing != "" || v.name.Text != "" || v.removeBtn.Disabled() == false {
		t.Fatalf("Add did not empty the form: %q %q", v.editing, v.name.Text)
	}
	test.Type(v.name, "nas")
	test.Type(v.repository, "/mnt/usb")
	test.Type(v.passwordFile, "/p")
	test.Type(v.interval, "5 min")
	before := fileText(t, path)
	test.Tap(v.saveBtn)
	if msg := v.FieldError("check_interval"); !strings.Contains(msg, "not a duration") {
		t.Errorf("interval error: %q", msg)
	}
	if msg := v.FieldError("name"); !strings.Contains(msg, `already named "nas"`) {
		t.Errorf("name error: %q", msg)
	}
	if v.FieldError("repository") != "" || v.FieldError("password") != "" {
		t.Errorf("errors on good fields: %q %q", v.FieldError("repository"), v.FieldError("password"))
	}
	if fileText(t, path) != before {
		t.Error("invalid input was saved")
	}

	v.name.SetText("")
	test.Type(v.name, "usb")
	v.interval.SetText("")
	test.Type(v.interval, "90s")
	v.autoUnlock.SetSelected("stale")
	test.Tap(v.saveBtn)
	if v.FieldError("check_interval") != "" || v.FieldError("name") != "" || v.result.Text != "Saved." {
		t.Fatalf("after fixing: name %q interval %q result %q", v.FieldError("name"), v.FieldError("check_interval"), v.result.Text)
	}
	r, ok := load(t, path).Repo("usb")
	if !ok || r.Repository != "/mnt/usb" || r.PasswordFile != "/p" || r.CheckInterval.String() != "1m30s" || r.AutoUnlock != config.AutoUnlockStale {
		t.Errorf("saved repo: %#v", r)
	}
	if v.editing != "usb" || v.list.Length() != 2 || v.removeBtn.Disabled() {
		t.Errorf("after saving, the form should edit usb: %q, %d repos", v.editing, v.list.Length())
	}
}

func TestSettingsEnvValuesStayMasked(t *testing.T) {
	v, path := newTestSettings(t, settingsConfig)
	if len(v.env.rows) != 1 || v.env.rows[0].key.Text != "AWS_SECRET_ACCESS_KEY" || v.env.rows[0].value.Text != config.MaskedValue {
		t.Fatalf("env rows: %+v", v.env.rows)
	}
	// A change elsewhere keeps the masked secret.
	v.autoUnlock.SetSelected("unrefreshed")
	test.Tap(v.env.add)
	row := v.env.rows[1]
	test.Type(row.key, "B2_ACCOUNT_ID")
	test.Type(row.value, "id-s3cr3t")
	test.Tap(v.saveBtn)
	if v.result.Text != "Saved." {
		t.Fatalf("save: %q %v", v.result.Text, v.errs)
	}
	r, _ := load(t, path).Repo("nas")
	if r.Env["AWS_SECRET_ACCESS_KEY"] != "env-s3cr3t" || r.Env["B2_ACCOUNT_ID"] != "id-s3cr3t" || r.AutoUnlock != config.AutoUnlockUnrefreshed {
		t.Errorf("saved: %v %v", r.Env, r.AutoUnlock)
	}
	for _, row := range v.env.rows {
		if row.value.Text != config.MaskedValue {
			t.Errorf("after saving, %s shows %q, not the mask", row.key.Text, row.value.Text)
		}
	}

	// Typing into the mask replaces the value, mask and all.
	test.Type(v.env.rows[0].value, "new")
	if got := v.env.rows[0].value.Text; got != "new" {
		t.Errorf("typing into the mask gave %q", got)
	}
	test.Tap(v.saveBtn)
	if r, _ := load(t, path).Repo("nas"); r.Env["AWS_SECRET_ACCESS_KEY"] != "new" {
		t.Errorf("env after replacing: %v", r.Env)
	}

	// A masked value under a new name cannot be kept: say so by the field.
	v.env.rows[0].key.SetText("RENAMED")
	test.Tap(v.saveBtn)
	if msg := v.FieldError("env"); !strings.Contains(msg, "RENAMED: type its value") {
		t.Errorf("env error: %q", msg)
	}
}

func TestSettingsKeyringPassword(t *testing.T) {
	v, path := newTestSettings(t, settingsConfig)
	v.source.SetSelected(sourceKeyring())
	if !v.password.Visible() || v.passwordFile.Visible() || v.passwordCommand.Visible() {
		t.Fatal("the keyring source should show only the password entry")
	}
	test.Tap(v.saveBtn)
	if msg := v.FieldError("password"); !strings.Contains(msg, "type the password") {
		t.Errorf("keyring without a password: %q", msg)
	}
	test.Type(v.password, "typed-s3cr3t")
	test.Tap(v.saveBtn)
	if v.result.Text != "Saved." {
		t.Fatalf("save: %q", v.result.Text)
	}
	if pw, _ := config.KeyringPassword("nas"); pw != "typed-s3cr3t" {
		t.Errorf("keyring holds %q", pw)
	}
	text := fileText(t, path)
	if strings.Contains(text, "typed-s3cr3t") || !strings.Contains(text, "password_keyring = true") || strings.Contains(text, "password_file") {
		t.Errorf("config file:\n%s", text)
	}
	if v.password.Text != "" || !strings.Contains(v.password.PlaceHolder, "kept in the OS keyring") {
		t.Errorf("after saving the entry holds %q (placeholder %q)", v.password.Text, v.password.PlaceHolder)
	}
}

func TestSettingsCommandStaysUnchanged(t *testing.T) {
	v, path := newTestSettings(t, "[[repo]]\nname = \"c\"\nrepository = \"/r\"\npassword_command = \"echo cmd-s3cr3t\"\n")
	if v.source.Selected != sourceCommand() || v.passwordCommand.Text != "" || v.passwordCommand.PlaceHolder != "(unchanged)" {
		t.Fatalf("command form: %q %q %q", v.source.Selected, v.passwordCommand.Text, v.passwordCommand.PlaceHolder)
	}
	v.source.SetSelected(sourceFile())
	test.Tap(v.saveBtn)
	if msg := v.FieldError("password"); !strings.Contains(msg, "path of the password file") {
		t.Errorf("file source without a path: %q", msg)
	}
	v.source.SetSelected(sourceCommand())
	test.Type(v.repository, "2")
	test.Tap(v.saveBtn)
	if r, _ := load(t, path).Repo("c"); r.PasswordCommand != "echo cmd-s3cr3t" || r.Repository != "2/r" {
		t.Errorf("saved: %q %q (%s)", r.PasswordCommand, r.Repository, v.result.Text)
	}
}

func TestAutoUnlockExplanationFollowsTheChoice(t *testing.T) {
	v, _ := newTestSettings(t, settingsConfig)
	seen := map[string]bool{}
	for _, level := range []config.AutoUnlock{config.AutoUnlockStale, config.AutoUnlockUnrefreshed, config.AutoUnlockOff} {
		v.autoUnlock.SetSelected(string(level))
		if got := v.autoUnlockHelp.Text; got != AutoUnlockHelp(level) || got == "" || seen[got] {
			t.Errorf("%s: explanation %q", level, got)
		}
		seen[v.autoUnlockHelp.Text] = true
	}
	if !strings.Contains(AutoUnlockHelp(config.AutoUnlockOff), "never removes a lock") {
		t.Errorf("off: %q", AutoUnlockHelp(config.AutoUnlockOff))
	}
}

func TestSettingsTestConnection(t *testing.T) {
	repo := demotest.LocalRepo(t)
	pw, err := os.ReadFile(repo.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	v, path := newTestSettings(t, settingsConfig)
	before := fileText(t, path)
	test.Tap(v.addBtn)
	test.Type(v.name, "local")
	test.Type(v.repository, repo.Location)
	v.source.SetSelected(sourceKeyring())
	test.Type(v.password, strings.TrimSpace(string(pw)))
	test.Tap(v.testBtn)
	if v.result.Text != "Connected: no locks." {
		t.Errorf("test: %q", v.result.Text)
	}
	v.password.SetText("typed-s3cr3t")
	test.Tap(v.testBtn)
	if !strings.HasPrefix(v.result.Text, "Connection failed: ") || strings.Contains(v.result.Text, "typed-s3cr3t") {
		t.Errorf("test with a wrong password: %q", v.result.Text)
	}
	t.Logf("wrong password: %s", v.result.Text)
	if fileText(t, path) != before {
		t.Error("Test connection saved the config")
	}
	if _, err := config.KeyringPassword("local"); err == nil {
		t.Error("Test connection stored the password in the keyring")
	}
}

func TestTestResult(t *testing.T) {
	for _, c := range []struct {
		st   check.RepoStatus
		want string
	}{
		{check.RepoStatus{State: check.StateError, Error: "wrong password or no key found"}, "Connection failed: wrong password or no key found"},
		{check.RepoStatus{State: check.StateOK}, "Connected: no locks."},
		{check.RepoStatus{State: check.StateStale, Locks: []check.LockStatus{{Verdict: lock.Orphaned}, {Verdict: lock.Live}, {Verdict: lock.Orphaned}}},
			"Connected: 3 locks (2 orphaned, 1 live); state stale."},
	} {
		if got := TestResult(c.st); got != c.want {
			t.Errorf("TestResult = %q, want %q", got, c.want)
		}
	}
}

func TestSettingsAppWide(t *testing.T) {
	v, path := newTestSettings(t, settingsConfig+"\n[[repo]]\nname = \"usb\"\nrepository = \"/u\"\npassword_file = \"/p\"\n")
	login := false
	v.LoginEnabled = func() (bool, error) { return login, nil }
	v.SetLogin = func(on bool) error { login = on; return nil }
	changes := 0
	v.OnChanged = func() { changes++ }
	notices := present.NewNotices()
	v.OnNotifications = notices.SetEnabled
	v.Reload()
	if !v.notifications.Checked || v.login.Checked || !v.login.Visible() {
		t.Fatalf("checks: notifications %v login %v", v.notifications.Checked, v.login.Checked)
	}

	test.Tap(v.notifications)
	if load(t, path).Defaults.Notifications || notices.Enabled() {
		t.Error("notifications still on")
	}
	if !strings.Contains(fileText(t, path), "# my settings") {
		t.Error("turning notifications off lost the file's comment")
	}
	test.Tap(v.login)
	if !login {
		t.Error("Start at login not enabled")
	}

	v.SelectRepo("usb")
	test.Tap(v.removeBtn)
	if _, ok := load(t, path).Repo("usb"); ok || v.list.Length() != 1 || v.editing != "nas" {
		t.Errorf("after Remove: %d repos, editing %q", v.list.Length(), v.editing)
	}
	if changes != 3 {
		t.Errorf("OnChanged called %d times, want 3", changes)
	}
}

func TestEnvEditorRows(t *testing.T) {
	test.NewTempApp(t)
	e := newEnvEditor()
	e.set(map[string]string{"B": config.MaskedValue, "A": config.MaskedValue})
	if len(e.rows) != 2 || e.rows[0].key.Text != "A" {
		t.Fatalf("rows not sorted: %v", e.rows)
	}
	dup := e.addRow("", "", false)
	test.Type(dup.key, "A ")
	if _, msg := e.values(); msg != "A is set twice" {
		t.Errorf("duplicate: %q", msg)
	}
	test.Tap(dup.remove)
	test.Tap(e.rows[1].remove)
	e.addRow("", "", false) // an empty row is ignored
	env, msg := e.values()
	if msg != "" || len(env) != 1 || env["A"] != config.MaskedValue || len(e.box.Objects) != 2 {
		t.Errorf("after removing: %v %q, %d rows shown", env, msg, len(e.box.Objects))
	}
}

// Import… is there when the app can open the import, and opens it.
func TestSettingsImportButton(t *testing.T) {
	v, _ := newTestSettings(t, "")
	if v.importBtn.Visible() {
		t.Error("Import… is shown with nothing to open")
	}
	opened := 0
	v.OnImport = func() { opened++ }
	v.Reload()
	if !v.importBtn.Visible() {
		t.Fatal("Import… is hidden")
	}
	test.Tap(v.importBtn)
	if opened != 1 {
		t.Errorf("Import… opened the import %d times; want 1", opened)
	}
}

// The Language menu offers the OS's language and each one by its own name,
// and saves the choice in [defaults].
func TestSettingsLanguage(t *testing.T) {
	v, path := newTestSettings(t, "[defaults]\nnotifications = true\n")
	if got := v.language.Options; len(got) != 4 || got[2] != "简体中文" || got[3] != "日本語" {
		t.Fatalf("language choices %v", got)
	}
	if v.language.Selected != v.language.Options[0] {
		t.Errorf("a config without language shows %q; want the system's", v.language.Selected)
	}
	v.language.SetSelected("日本語")
	if got := load(t, path).Defaults.Language; got != "ja" {
		t.Errorf("after choosing 日本語 the config says language = %q", got)
	}
	_ = i18n.Use("en") // the rest of the tests read English
}
