package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

const testFile = "/home/u/.config/lockwatch/config.toml"

// repoOK is a valid repo body to append keys to.
const repoOK = `[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/etc/restic/pw"
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error text
		n    int      // number of individual errors, if > 0
	}{
		{
			name: "syntax error",
			in:   "[defaults]\ncheck_interval = \"5m\"\nrestic = \n",
			want: []string{testFile + ":3: syntax error:"},
		},
		{
			name: "unterminated table header",
			in:   "[defaults\n",
			want: []string{testFile + ":1: syntax error:"},
		},
		{
			name: "duplicate key is a syntax error",
			in:   repoOK + "name = \"again\"\n",
			want: []string{testFile + ":5: syntax error:", "has already been defined"},
		},
		{
			name: "unknown repo key with suggestion",
			in: `[defaults]
check_interval = "5m"

[[repo]]
name = "ok"
repository = "/a"
password_file = "/p"

[[repo]]
name = "nas"
repository = "/srv/restic"
pasword_file = "/x"
`,
			want: []string{
				testFile + ":12: unknown key repo.pasword_file (did you mean password_file?)",
				testFile + `:9: repo "nas": no password source; set password_file or password_command`,
			},
			n: 2,
		},
		{
			name: "unknown defaults key",
			in:   "[defaults]\nchek_interval = \"5m\"\n",
			want: []string{testFile + ":2: unknown key defaults.chek_interval (did you mean check_interval?)"},
		},
		{
			name: "unknown table",
			in:   "[default]\nrestic = \"x\"\n",
			want: []string{testFile + ":1: unknown key default (did you mean defaults?)"},
		},
		{
			name: "defaults key at top level",
			in:   "timeout = \"1m\"\n",
			want: []string{testFile + ":1: unknown key timeout (it belongs in the [defaults] table)"},
		},
		{
			name: "unknown key without suggestion",
			in:   repoOK + "frobnicate = true\n",
			want: []string{testFile + ":5: unknown key repo.frobnicate"},
		},
		{
			name: "duplicate repo names",
			in:   repoOK + "\n" + repoOK,
			want: []string{testFile + `:7: duplicate repo name "nas" (also used on line 2)`},
		},
		{
			name: "both password sources",
			in: `# comment
[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/p"

password_command = "pass show x"
`,
			want: []string{testFile + `:7: repo "nas": password_file and password_command are both set; use exactly one`},
		},
		{
			name: "no password source",
			in:   "\n[[repo]]\nname = \"nas\"\nrepository = \"/r\"\n",
			want: []string{testFile + `:2: repo "nas": no password source; set password_file or password_command`},
		},
		{
			name: "both repository sources",
			in:   repoOK + "repository_file = \"/f\"\n",
			want: []string{testFile + `:5: repo "nas": repository and repository_file are both set; use exactly one`},
		},
		{
			name: "no repository source",
			in:   "[[repo]]\nname = \"nas\"\npassword_file = \"/p\"\n",
			want: []string{testFile + `:1: repo "nas": no repository; set repository or repository_file`},
		},
		{
			name: "empty repository",
			in:   "[[repo]]\nname = \"nas\"\nrepository = \"\"\npassword_file = \"/p\"\n",
			want: []string{testFile + `:3: repo "nas": repository is empty`},
			n:    1,
		},
		{
			name: "missing name",
			in:   "[[repo]]\nrepository = \"/r\"\npassword_file = \"/p\"\n",
			want: []string{testFile + ":1: repo #1: name is missing"},
		},
		{
			name: "empty name",
			in:   "[[repo]]\nname = \"\"\nrepository = \"/r\"\npassword_file = \"/p\"\n",
			want: []string{testFile + ":2: repo #1: name is empty"},
		},
		{
			name: "blank name",
			in:   "[[repo]]\nname = \"  \"\nrepository = \"/r\"\npassword_file = \"/p\"\n",
			want: []string{testFile + ":2: repo #1: name is blank"},
		},
		{
			name: "name with slash",
			in:   "[[repo]]\nname = \"a/b\"\nrepository = \"/r\"\npassword_file = \"/p\"\n",
			want: []string{testFile + `:2: repo #1: name "a/b" must not contain '/'`},
		},
		{
			name: "name not a string",
			in:   "[[repo]]\nname = 7\nrepository = \"/r\"\npassword_file = \"/p\"\n",
			want: []string{testFile + ":2: repo #1: name must be a string, not an integer"},
		},
		{
			name: "bad duration",
			in:   "[defaults]\ncheck_interval = \"5 minutes\"\n",
			want: []string{testFile + `:2: invalid duration "5 minutes" for check_interval: `},
			n:    1,
		},
		{
			name: "integer duration",
			in:   "[defaults]\n\ntimeout = 300\n",
			want: []string{testFile + `:3: invalid duration 300 for timeout: durations are strings`},
			n:    1,
		},
		{
			name: "array duration",
			in:   "[defaults]\nunrefreshed_after = [\"1h\"]\n",
			want: []string{testFile + `:2: invalid duration for unrefreshed_after: must be a string, not an array`},
		},
		{
			name: "check_interval too short",
			in:   "[defaults]\ncheck_interval = \"500ms\"\n",
			want: []string{testFile + ":2: check_interval must be at least 1s, not 500ms"},
		},
		{
			name: "unrefreshed_after too short",
			in:   "[defaults]\nunrefreshed_after = \"7m\"\n",
			want: []string{testFile + ":2: unrefreshed_after must be longer than 7m", "not 7m"},
		},
		{
			name: "timeout zero",
			in:   "[defaults]\ntimeout = \"0s\"\n",
			want: []string{testFile + ":2: timeout must be at least 1s, not 0s"},
		},
		{
			name: "repo check_interval",
			in:   repoOK + "check_interval = \"10 m\"\n",
			want: []string{testFile + `:5: repo "nas": invalid duration "10 m" for check_interval`},
		},
		{
			name: "repo check_interval too short",
			in:   repoOK + "check_interval = \"1ms\"\n",
			want: []string{testFile + `:5: repo "nas": check_interval must be at least 1s, not 1ms`},
		},
		{
			name: "bad auto_unlock",
			in:   repoOK + "auto_unlock = \"yes\"\n",
			want: []string{testFile + `:5: repo "nas": auto_unlock must be "off", "stale" or "unrefreshed", not "yes"`},
		},
		{
			name: "auto_unlock not a string",
			in:   repoOK + "auto_unlock = true\n",
			want: []string{testFile + `:5: repo "nas": auto_unlock must be a string, not a boolean`},
		},
		{
			name: "repository not a string",
			in:   "[[repo]]\nname = \"nas\"\nrepository = 5\npassword_file = \"/p\"\n",
			want: []string{testFile + `:3: repo "nas": repository must be a string, not an integer`},
			n:    1,
		},
		{
			name: "env not a table",
			in:   repoOK + "env = \"A=B\"\n",
			want: []string{testFile + `:5: repo "nas": env must be a table`},
		},
		{
			name: "env value not a string",
			in:   repoOK + "[repo.env]\nA = \"x\"\nB = 3\n",
			want: []string{testFile + `:7: repo "nas": env.B must be a string, not an integer`},
		},
		{
			name: "env sets password",
			in:   repoOK + "env = { RESTIC_PASSWORD = \"x\" }\n",
			want: []string{testFile + `:5: repo "nas": env.RESTIC_PASSWORD must not be set; use password_file or password_command`},
		},
		{
			name: "repo not an array of tables",
			in:   "[repo]\nname = \"x\"\n",
			want: []string{testFile + ":1: repo must be an array of tables (write [[repo]]), not a table"},
		},
		{
			name: "defaults not a table",
			in:   "defaults = 1\n",
			want: []string{testFile + ":1: defaults must be a table ([defaults]), not an integer"},
		},
		{
			name: "inline array of repos",
			in: `repo = [
  { name = "a", repository = "/a", password_file = "/p" },
  { name = "b", repository = "/b" },
]
`,
			want: []string{testFile + `:3: repo "b": no password source`},
		},
		{
			name: "unset variable",
			in:   "[[repo]]\nname = \"nas\"\nrepository = \"/r\"\npassword_file = \"$LOCKWATCH_TEST_UNSET/pw\"\n",
			want: []string{testFile + `:4: repo "nas": password_file: environment variable LOCKWATCH_TEST_UNSET is not set`},
		},
		{
			name: "several problems, each with its line",
			in: `[defaults]
check_interval = "5 minutes"
unrefreshed_after = "5m"

[[repo]]
name = "nas"
repository = "/srv/restic"
password_file = "/p"
password_command = "x"
auto_unlock = "yes"

[[repo]]
name = "nas"
repository = "/x"
password_file = "/p"

[[repo]]
repository = "/y"
password_file = "/p"
`,
			want: []string{
				testFile + `:2: invalid duration "5 minutes" for check_interval`,
				testFile + `:3: unrefreshed_after must be longer than 7m`,
				testFile + `:9: repo "nas": password_file and password_command are both set`,
				testFile + `:10: repo "nas": auto_unlock must be "off", "stale" or "unrefreshed", not "yes"`,
				testFile + `:13: duplicate repo name "nas" (also used on line 6)`,
				testFile + `:17: repo #3: name is missing`,
			},
			n: 6,
		},
	}
	os.Unsetenv("LOCKWATCH_TEST_UNSET")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(testFile, []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config along with error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not contain %q:\n%s", w, msg)
				}
			}
			errs := individual(err)
			if tt.n > 0 && len(errs) != tt.n {
				t.Errorf("got %d errors, want %d:\n%s", len(errs), tt.n, msg)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != testFile {
				t.Errorf("error is not a *Error for %s: %#v", testFile, err)
			}
			// Errors come in line order.
			for i := 1; i < len(errs); i++ {
				a, b := errs[i-1].(*Error), errs[i].(*Error)
				if a.Line > b.Line && b.Line != 0 {
					t.Errorf("errors out of order: %v before %v", a, b)
				}
			}
		})
	}
}

func individual(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestParseDefaults(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "[defaults]\n", "[defaults]\nrestic = \"\"\nhostname = \"\"\n"} {
		cfg, err := Parse("c.toml", []byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		want := Defaults{
			Restic:           "restic",
			CheckInterval:    Duration{5 * time.Minute},
			UnrefreshedAfter: Duration{15 * time.Minute},
			Timeout:          Duration{2 * time.Minute},
			HistoryDays:      DefaultHistoryDays,
			Notifications:    true,
			Watch:            true,
		}
		if cfg.Defaults != want {
			t.Errorf("Parse(%q) defaults = %+v, want %+v", in, cfg.Defaults, want)
		}
		if len(cfg.Repos) != 0 || cfg.Path != "c.toml" {
			t.Errorf("Parse(%q) = %+v", in, cfg)
		}
	}

	cfg, err := Parse("c.toml", []byte(`
[defaults]
restic = "/usr/local/bin/restic"
check_interval = "1m30s"
hostname = " box "
unrefreshed_after = "1h"
timeout = "10s"
watch = false

[[repo]]
name = "a"
repository = "sftp:me@nas:/srv/restic"
password_command = "pass show restic"
check_interval = "10m"

[[repo]]
name = "b"
repository_file = "/etc/restic/b.repo"
password_file = "/etc/restic/b.pw"
auto_unlock = "unrefreshed"
`))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Defaults
	if d.Restic != "/usr/local/bin/restic" || d.CheckInterval.Duration != 90*time.Second ||
		d.Hostname != "box" || d.UnrefreshedAfter.Duration != time.Hour || d.Timeout.Duration != 10*time.Second || d.Watch {
		t.Errorf("defaults = %+v", d)
	}
	if h, err := cfg.HostName(); err != nil || h != "box" {
		t.Errorf("HostName() = %q, %v", h, err)
	}
	a, ok := cfg.Repo("a")
	if !ok || a.AutoUnlock != AutoUnlockOff || cfg.Interval(a) != 10*time.Minute || a.PasswordCommand != "pass show restic" {
		t.Errorf("repo a = %+v", a)
	}
	b, ok := cfg.Repo("b")
	if !ok || b.AutoUnlock != AutoUnlockUnrefreshed || cfg.Interval(b) != 90*time.Second || b.Env != nil {
		t.Errorf("repo b = %+v", b)
	}
	if _, ok := cfg.Repo("c"); ok {
		t.Error("Repo(c) found")
	}
	if cfg.Interval(nil) != 90*time.Second || (&Config{}).Interval(nil) != DefaultCheckInterval {
		t.Error("Interval fallbacks wrong")
	}

	cfg, _ = Parse("c.toml", nil)
	host, _ := os.Hostname()
	if h, err := cfg.HostName(); h != host || err != nil {
		t.Errorf("HostName() = %q, %v; want %q", h, err, host)
	}
}

func TestExpand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // Windows
	t.Setenv("X", "ex")
	t.Setenv("EMPTY", "")
	t.Setenv("LOCKWATCH_TEST_UNSET2", "")
	os.Unsetenv("LOCKWATCH_TEST_UNSET2")

	cfg, err := Parse("c.toml", []byte(`
[defaults]
restic = "~/bin/restic"

[[repo]]
name = "home"
repository = "~/repo"
password_file = "~/.config/restic/pw"

[[repo]]
name = "vars"
repository = "local:$HOME/r/${X}"
repository_file = "${X}"
password_file = "/p/$X${EMPTY}/~"
password_command = "cat ~/pw $X"

[[repo]]
name = "remote"
repository = "sftp:me@host:~/$X"
password_command = "echo ${X}"
env = { P = "~/$X" }

[[repo]]
name = "tilde"
repository = "~"
repository_file = "~user/x"
password_file = "a~/b"
`))
	if err == nil {
		t.Fatal("expected errors about both repository sources")
	}
	// The repos with both repository sources are rejected; check the values
	// via a config without those conflicts.
	cfg, err = Parse("c.toml", []byte(`
[defaults]
restic = "~/bin/restic"

[[repo]]
name = "home"
repository = "~/repo"
password_file = "~/.config/restic/pw"

[[repo]]
name = "vars"
repository = "local:$HOME/r/${X}"
password_file = "/p/$X${EMPTY}/~"

[[repo]]
name = "file"
repository_file = "${X}/~"
password_command = "cat ~/pw $X"

[[repo]]
name = "remote"
repository = "sftp:me@host:~/$X"
password_command = "echo ${X}"
env = { P = "~/$X" }

[[repo]]
name = "tilde"
repository = "~"
password_file = "a~/b"
`))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	repo := func(name string) *Repo {
		r, ok := cfg.Repo(name)
		if !ok {
			t.Fatalf("no repo %q", name)
		}
		return r
	}
	check("restic", cfg.Defaults.Restic, home+"/bin/restic")
	check("home.repository", repo("home").Repository, home+"/repo")
	check("home.password_file", repo("home").PasswordFile, home+"/.config/restic/pw")
	check("vars.repository", repo("vars").Repository, "local:"+home+"/r/ex")
	check("vars.password_file", repo("vars").PasswordFile, "/p/ex/~")
	check("file.repository_file", repo("file").RepositoryFile, "ex/~")
	check("file.password_command", repo("file").PasswordCommand, "cat ~/pw $X")
	check("remote.repository", repo("remote").Repository, "sftp:me@host:~/$X")
	check("remote.password_command", repo("remote").PasswordCommand, "echo ${X}")
	check("remote.env", repo("remote").Env["P"], "~/$X")
	check("tilde.repository", repo("tilde").Repository, home)
	check("tilde.password_file", repo("tilde").PasswordFile, "a~/b")

	if got, err := expandPath("~user/x"); err != nil || got != "~user/x" {
		t.Errorf("expandPath(~user/x) = %q, %v", got, err)
	}
	if _, err := expandPath("$LOCKWATCH_TEST_UNSET2/a/${LOCKWATCH_TEST_UNSET2}"); err == nil ||
		err.Error() != "environment variable LOCKWATCH_TEST_UNSET2 is not set" {
		t.Errorf("unset variable: err = %v", err)
	}

	t.Setenv("LOCKWATCH_CONFIG", "~/lw.toml")
	if p, err := DefaultPath(); err != nil || p != home+"/lw.toml" {
		t.Errorf("DefaultPath() = %q, %v", p, err)
	}
	if runtime.GOOS == "linux" {
		t.Setenv("LOCKWATCH_CONFIG", "")
		t.Setenv("XDG_CONFIG_HOME", "/xdg")
		if p, err := DefaultPath(); err != nil || p != "/xdg/lockwatch/config.toml" {
			t.Errorf("DefaultPath() = %q, %v", p, err)
		}
	}
}

func TestEnvironOnlyEnv(t *testing.T) {
	const secret = "S3CR3T-VALUE"
	cfg, err := Parse("c.toml", []byte(`
[[repo]]
name = "s3"
repository = "s3:https://user:`+secret+`@s3.example.com/bucket"
password_file = "/etc/restic/pw"
env = { AWS_SECRET_ACCESS_KEY = "`+secret+`", AWS_ACCESS_KEY_ID = "id", B = "b=c" }

[[repo]]
name = "cmd"
repository_file = "/etc/restic/repo"
password_command = "pass show `+secret+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := cfg.Repo("s3")
	want := []string{
		"RESTIC_REPOSITORY=s3:https://user:" + secret + "@s3.example.com/bucket",
		"RESTIC_PASSWORD_FILE=/etc/restic/pw",
		"AWS_ACCESS_KEY_ID=id",
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"B=b=c",
	}
	if got := r.Environ(); !reflect.DeepEqual(got, want) {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
	c, _ := cfg.Repo("cmd")
	want = []string{"RESTIC_REPOSITORY_FILE=/etc/restic/repo", "RESTIC_PASSWORD_COMMAND=pass show " + secret}
	if got := c.Environ(); !reflect.DeepEqual(got, want) {
		t.Errorf("Environ() = %q, want %q", got, want)
	}

	// Everything meant for display must be free of the secret.
	for _, s := range []string{
		r.Location(), c.Location(), r.String(), c.String(),
		fmt.Sprintf("%v %+v %#v %v", cfg, cfg, cfg, *cfg),
		fmt.Sprintf("%v %+v %#v", *r, r, c),
		fmt.Sprint(cfg.Repos),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("display text leaks the secret: %s", s)
		}
	}
	if got := r.Location(); got != "s3:https://user:***@s3.example.com/bucket" {
		t.Errorf("Location() = %q", got)
	}
	if got := c.Location(); got != "file /etc/restic/repo" {
		t.Errorf("Location() = %q", got)
	}
}

func TestLocation(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/restic":                              "/srv/restic",
		"sftp:me@nas:/srv/restic":                  "sftp:me@nas:/srv/restic",
		"rest:https://user:pass@host:8000/repo":    "rest:https://user:***@host:8000/repo",
		"rest:http://user@host/":                   "rest:http://user@host/",
		"rest:http://host:8000/":                   "rest:http://host:8000/",
		"rest:https://u:p@ss@host/p":               "rest:https://u:***@host/p",
		"rest:https://u:pa/ss@host/p":              "rest:https://u:***@host/p",
		"rest:https://host/me@example.com/":        "rest:https://host/me@example.com/",
		"rest:https://u:pw@host/me@example.com/":   "rest:https://u:***@host/me@example.com/",
		"rest:https://host:8000/me@example.com/":   "rest:https://host:8000/me@example.com/",
		"s3:https://key:secret@s3.amazonaws.com/b": "s3:https://key:***@s3.amazonaws.com/b",
		"rest:https://u:pw@host":                   "rest:https://u:***@host",
	} {
		r := Repo{Repository: in}
		if got := r.Location(); got != want {
			t.Errorf("Location(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsNeverLeakSecrets(t *testing.T) {
	const marker = "SEKRITMARKER"
	cases := []string{
		// semantic errors in repos with secrets
		`[[repo]]
name = "a"
repository = "rest:https://u:` + marker + `@host/"
env = { AWS_SECRET_ACCESS_KEY = "` + marker + `" }
`,
		`[[repo]]
name = "a"
repository = "/r"
password_file = "/p"
password_command = "echo ` + marker + `"
env = { TOKEN = "` + marker + `", RESTIC_PASSWORD = "` + marker + `", "BAD NAME" = "` + marker + `" }
`,
		`[[repo]]
name = "a"
repository = "/r"
password_command = "echo ` + marker + `"
env = { TOKEN = ["` + marker + `"], T2 = { X = "` + marker + `" } }
pasword_command = "` + marker + `"
`,
		`[[repo]]
name = "a"
repository = "/r"
password_command = "` + marker + `"
[repo.env]
A = "` + marker + "\x00" + `"
`,
		`[[repo]]
name = ""
repository = "/r"
password_command = "` + marker + `"
env = { A = "` + marker + `" }
`,
		`[[repo]]
name = "a"
repository = "/r"
password_command = "` + marker + `"
env = { A = "` + marker + `" }
[[repo]]
name = "a"
repository = "/r"
password_command = "` + marker + `"
env = { A = "` + marker + `" }
`,
		// syntax errors inside secret values
		"[[repo]]\nenv = { A = \"" + marker + "\\q\" }\n",
		"[[repo]]\nenv = { A = \"" + marker + "\\u12\" }\n",
		"[[repo]]\nenv = { A = \"" + marker + "\\U1234\" }\n",
		"[[repo]]\nenv = { A = \"" + marker + "\\x1\" }\n",
		"[[repo]]\nenv = { A = t" + marker + " }\n",
		"[[repo]]\nenv = { A = f" + marker + " }\n",
		"[[repo]]\nenv = { A = " + marker + " }\n",
		"[[repo]]\nenv = { A = 1" + marker + " }\n",
		"[[repo]]\nenv = { A = 1.5" + marker + " }\n",
		"[[repo]]\nenv = { A = 0x" + marker + " }\n",
		"[[repo]]\nenv = { A = 1979-05-27T07:32:00" + marker + " }\n",
		"[[repo]]\nenv = { A = \"" + marker + "\n",
		"[[repo]]\npassword_command = '" + marker + "\n",
		"[[repo]]\npassword_command = \"\"\"" + marker + "\n",
		"[[repo]]\npassword_command = \"" + marker + "\" x\n",
		"[[repo]]\npassword_command = \"" + marker + "\"\npassword_command = \"" + marker + "\"\n",
	}
	for i, in := range cases {
		_, err := Parse("c.toml", []byte(in))
		if err == nil {
			t.Errorf("case %d: Parse succeeded", i)
			continue
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("case %d: error leaks the secret:\n%v", i, err)
		}
		t.Logf("case %d: %v", i, err)
	}

	// Numbers out of range are quoted by the TOML decoder without quotes.
	_, err := Parse("c.toml", []byte("[[repo]]\nenv = { PIN = 98765432109876543210 }\n"))
	if err == nil || strings.Contains(err.Error(), "98765432109876543210") {
		t.Errorf("error leaks the number: %v", err)
	}
}

func TestLocalPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("table uses Unix paths")
	}
	dir := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		repo   Repo
		want   string
		wantOK bool
	}{
		{Repo{Repository: "/srv/restic"}, "/srv/restic", true},
		{Repo{Repository: "/srv/restic/"}, "/srv/restic", true},
		{Repo{Repository: "local:/srv/restic"}, "/srv/restic", true},
		{Repo{Repository: "rel/repo"}, filepath.Join(wd, "rel/repo"), true},
		{Repo{Repository: "local:rel"}, filepath.Join(wd, "rel"), true},
		{Repo{Repository: `C:\Backups\restic`}, `C:\Backups\restic`, true},
		{Repo{Repository: `d:/restic`}, `d:/restic`, true},
		{Repo{Repository: "sftp:me@nas:/srv/restic"}, "", false},
		{Repo{Repository: "sftp://me@nas:22//srv/restic"}, "", false},
		{Repo{Repository: "rest:http://host:8000/"}, "", false},
		{Repo{Repository: "s3:s3.amazonaws.com/bucket"}, "", false},
		{Repo{Repository: "b2:bucket:path"}, "", false},
		{Repo{Repository: "azure:container:/path"}, "", false},
		{Repo{Repository: "gs:bucket:/path"}, "", false},
		{Repo{Repository: "swift:container:/path"}, "", false},
		{Repo{Repository: "rclone:remote:path"}, "", false},
		{Repo{}, "", false},
		{Repo{RepositoryFile: write("local", "  /srv/from-file  \n# ignored\n")}, "/srv/from-file", true},
		{Repo{RepositoryFile: write("remote", "sftp:me@nas:/x\n")}, "", false},
		{Repo{RepositoryFile: write("empty", "")}, "", false},
		{Repo{RepositoryFile: filepath.Join(dir, "missing")}, "", false},
		{Repo{Repository: "/preferred", RepositoryFile: write("other", "/other")}, "/preferred", true},
	}
	for _, tt := range tests {
		got, ok := tt.repo.LocalPath()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%+v.LocalPath() = %q, %v; want %q, %v", tt.repo.Repository+tt.repo.RepositoryFile, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.toml")
	_, err := Load(p)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestSaveRoundTrip(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	dir := t.TempDir()
	in := `
[defaults]
restic = "~/bin/restic"
check_interval = "90s"
hostname = "box"
unrefreshed_after = "1h30m"

[[repo]]
name = "nas"
repository = "sftp:me@nas:/srv/restic"
password_file = "~/.config/restic/nas"
env = { AWS_ACCESS_KEY_ID = "id", "WITH SPACE" = "v" }
auto_unlock = "stale"
check_interval = "10m"

[[repo]]
name = "local \"quoted\" ünïcode"
repository_file = "/etc/restic/repo"
password_command = "pass show 'x' \"y\" \\ z"

[repo.env]
MULTI = """line1
line2"""
`
	_, err := Parse(filepath.Join(dir, "in.toml"), []byte(in))
	if err == nil {
		t.Fatal(`expected an error for env "WITH SPACE"`)
	}
	in = strings.Replace(in, `, "WITH SPACE" = "v"`, "", 1)
	cfg, err := Parse(filepath.Join(dir, "in.toml"), []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = filepath.Join(dir, "sub", "config.toml")
	if err := Save(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := Load(cfg.Path)
	if err != nil {
		data, _ := os.ReadFile(cfg.Path)
		t.Fatalf("Load after Save: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("round trip changed the config:\n got %#v\nwant %#v", got, cfg)
		for i := range got.Repos {
			t.Logf("%d: %q %q", i, got.Repos[i].Environ(), cfg.Repos[i].Environ())
		}
	}
	fi, err := os.Stat(cfg.Path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("saved file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	data, _ := os.ReadFile(cfg.Path)
	if !strings.Contains(string(data), `check_interval = "1m30s"`) || !strings.Contains(string(data), `unrefreshed_after = "1h30m"`) {
		t.Errorf("durations not written in short form:\n%s", data)
	}

	// A config that would not load again is not written.
	bad := *got
	bad.Repos = append([]Repo{}, got.Repos...)
	bad.Repos[0].PasswordCommand = "x" // now both password sources
	if err := Save(&bad); err == nil || !strings.Contains(err.Error(), "password_file and password_command are both set") {
		t.Errorf("Save(invalid) = %v", err)
	}
	if again, err := os.ReadFile(cfg.Path); err != nil || string(again) != string(data) {
		t.Errorf("invalid Save changed the file")
	}
	if err := Save(&Config{}); err == nil {
		t.Error("Save without Path succeeded")
	}

	// An empty config round-trips too.
	empty, _ := Parse(filepath.Join(dir, "empty.toml"), nil)
	if err := Save(empty); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(empty.Path); err != nil || !reflect.DeepEqual(got, empty) {
		t.Errorf("empty round trip: %#v, %v", got, err)
	}
}

func TestExampleParses(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, args := range [][2]string{
		{"/srv/restic", "/home/u/.config/restic/pw"},
		{`C:\Users\me\restic`, `C:\Users\me\pw.txt`},
		{`/tmp/it's "odd"`, "/tmp/ünï cöde"},
		{"", ""},
	} {
		text := Example(args[0], args[1])
		cfg, err := Parse("example.toml", []byte(text))
		if err != nil {
			t.Errorf("Example(%q, %q) does not parse: %v\n%s", args[0], args[1], err, text)
			continue
		}
		if len(cfg.Repos) != 1 || cfg.Repos[0].Name != "demo" {
			t.Errorf("Example repos = %+v", cfg.Repos)
			continue
		}
		if args[0] != "" && (cfg.Repos[0].Repository != args[0] || cfg.Repos[0].PasswordFile != args[1]) {
			t.Errorf("Example(%q, %q) gives %q, %q", args[0], args[1], cfg.Repos[0].Repository, cfg.Repos[0].PasswordFile)
		}
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute:                    "5m",
		time.Hour:                          "1h",
		90 * time.Minute:                   "1h30m",
		time.Hour + time.Second:            "1h0m1s",
		1500 * time.Millisecond:            "1.5s",
		0:                                  "0s",
		2*time.Hour + 30*time.Second:       "2h0m30s",
		-5 * time.Minute:                   "-5m",
		100 * time.Hour:                    "100h",
		time.Minute + 500*time.Millisecond: "1m0.5s",
	} {
		b, _ := Duration{d}.MarshalText()
		if string(b) != want {
			t.Errorf("MarshalText(%v) = %q, want %q", d, b, want)
		}
		var back Duration
		if err := back.UnmarshalText(b); err != nil || back.Duration != d {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	var d Duration
	if err := d.UnmarshalText([]byte("5 minutes")); err == nil {
		t.Error("UnmarshalText(5 minutes) succeeded")
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{
		"pasword_file":     "password_file",
		"password-file":    "password_file",
		"Name":             "name",
		"repo":             "",
		"passwordcommand":  "password_command",
		"autounlock":       "auto_unlock",
		"check_intervall":  "check_interval",
		"xyz":              "",
		"repository_files": "repository_file",
		"envs":             "env",
	} {
		if got := suggest(key, repoKeys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestIndexLines(t *testing.T) {
	src := "# c\r\n" + // 1
		"[defaults] # x\r\n" + // 2
		"check_interval = \"5m\"\n" + // 3
		"s = \"\"\"a\n" + // 4
		"b = 1\n" + // 5
		"\"\"\"\n" + // 6
		"[[repo]]\n" + // 7
		"name = 'a' # [[repo]]\n" + // 8
		"env = { A = \"}\", B = [1,\n" + // 9
		"2] }\n" + // 10
		"[ repo . \"env x\" ]\n" + // 11
		"K = \"v\"\n" + // 12
		"[[repo]]\n" + // 13
		"\"name\" = \"b\"\n" + // 14
		"sub.key = 1\n" + // 15
		"arr = [\n" + // 16
		"  { x = 1 },\n" + // 17
		"  { x = 2 },\n" + // 18
		"]\n" + // 19
		"lit = '''x\n" + // 20
		"'''\n" + // 21
		"after = 1\n" // 22
	idx := indexLines(src)
	for _, tt := range []struct {
		path []string
		line int
	}{
		{[]string{"defaults"}, 2},
		{[]string{"defaults", "check_interval"}, 3},
		{[]string{"defaults", "s"}, 4},
		{[]string{"defaults", "b"}, 0},
		{[]string{"repo"}, 7},
		{[]string{"repo", "0"}, 7},
		{[]string{"repo", "0", "name"}, 8},
		{[]string{"repo", "0", "env"}, 9},
		{[]string{"repo", "0", "env", "A"}, 9},
		{[]string{"repo", "0", "env", "B"}, 9},
		{[]string{"repo", "0", "env x"}, 11},
		{[]string{"repo", "0", "env x", "K"}, 12},
		{[]string{"repo", "1"}, 13},
		{[]string{"repo", "1", "name"}, 14},
		{[]string{"repo", "1", "sub"}, 15},
		{[]string{"repo", "1", "sub", "key"}, 15},
		{[]string{"repo", "1", "arr", "0"}, 17},
		{[]string{"repo", "1", "arr", "1", "x"}, 18},
		{[]string{"repo", "1", "lit"}, 20},
		{[]string{"repo", "1", "after"}, 22},
	} {
		if got := idx.line(tt.path...); got != tt.line {
			t.Errorf("line(%q) = %d, want %d", tt.path, got, tt.line)
		}
	}
}

// FuzzParse checks that Parse (and the line scanner) neither panic nor hang
// on arbitrary input.
func FuzzParse(f *testing.F) {
	f.Add(Example("/srv/restic", "/pw"))
	f.Add(repoOK + "env = { A = \"}\", B = [1,\n2] }\n[repo.\"x y\"]\nk = '''a\n'''\n")
	f.Add("repo = [{ name = \"a\" }, { name = \"\"\"b\"\"\" }]\n")
	f.Fuzz(func(t *testing.T, in string) {
		Parse("f.toml", []byte(in))
		indexLines(in)
	})
}

func TestAutoUnlockVerdicts(t *testing.T) {
	for level, want := range map[AutoUnlock]string{
		AutoUnlockOff: "", AutoUnlockStale: "orphaned expired", AutoUnlockUnrefreshed: "orphaned expired unrefreshed", "": "",
	} {
		var got []string
		for _, v := range level.Verdicts() {
			got = append(got, string(v))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q removes %v, want %q", level, got, want)
		}
	}
}

// A value with a control character would print as fake rows or terminal
// escapes wherever lockwatch shows it: refused, naming file, line and key.
func TestControlCharactersAreRefused(t *testing.T) {
	for _, c := range []struct{ value, key string }{
		{`/srv/a\nnas  ok  no locks`, "repository"},
		{`/srv/\u001b[31mred`, "repository"},
		{`/srv/bell\u0007`, "password_file"},
		{`/srv/tab\there`, "password_file"},
	} {
		repository, pwFile := `"/srv/restic"`, `"/etc/pw"`
		if c.key == "repository" {
			repository = `"` + c.value + `"`
		} else {
			pwFile = `"` + c.value + `"`
		}
		text := "[[repo]]\nname = \"nas\"\nrepository = " + repository + "\npassword_file = " + pwFile + "\n"
		_, err := Parse("c.toml", []byte(text))
		line := map[string]string{"repository": "c.toml:3", "password_file": "c.toml:4"}[c.key]
		if err == nil || !strings.Contains(err.Error(), line) || !strings.Contains(err.Error(), c.key+" must not contain control characters") {
			t.Errorf("%s = %s: %v", c.key, c.value, err)
		}
	}
}
