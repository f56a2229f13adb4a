package native

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/reader"
)

func TestWrongPassword(t *testing.T) {
	ctx := context.Background()
	d := demotest.LocalRepo(t)
	const wrong = "definitely-Wr0ng-passw0rd"
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, &config.Repo{Name: "t", Repository: d.Location, PasswordFile: pwFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.ListLocks(ctx)
	if !errors.Is(err, ErrWrongPassword) || !errors.Is(err, reader.ErrWrongPassword) {
		t.Fatalf("ListLocks with a wrong password: %v, want ErrWrongPassword", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Fatalf("the error shows the password: %v", err)
	}
	// The same wrong password against the same keys is not tried again:
	// no scrypt, no key file read.
	be, openErr := OpenLocal(d.Location)
	if openErr != nil {
		t.Fatal(openErr)
	}
	c := &countingBackend{Backend: be}
	r2 := NewRepo(c, fixedPassword(t, pwFile))
	if err2 := r2.DeriveKey(ctx); !errors.Is(err2, ErrWrongPassword) {
		t.Fatal(err2)
	}
	c.reset()
	start := time.Now()
	if err2 := r2.DeriveKey(ctx); !errors.Is(err2, ErrWrongPassword) {
		t.Fatal(err2)
	}
	if reads, took := c.reads.Load(), time.Since(start); reads != 1 || took > 100*time.Millisecond {
		t.Errorf("repeated wrong password: %d reads (want 1: config), %s", reads, took)
	}
	// restic's own words for the same mistake.
	cmd := resticCmd(t, d, "list", "locks", "--no-lock")
	cmd.Env = append(cmd.Env, "RESTIC_PASSWORD_FILE="+pwFile)
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), err.Error()) {
		t.Errorf("restic says %q, we say %q", out, err)
	}
	// A failure is not remembered: once the password file is fixed, the
	// same Repo opens.
	right, err := os.ReadFile(d.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, right, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatalf("after fixing the password: %v", err)
	}
}

func TestOpenLocations(t *testing.T) {
	ctx := context.Background()
	d := demotest.LocalRepo(t)
	listed := func(t *testing.T, c *config.Repo) error {
		t.Helper()
		r, err := Open(ctx, c, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = r.ListLocks(ctx)
		return err
	}
	t.Run("local: prefix", func(t *testing.T) {
		if err := listed(t, &config.Repo{Repository: "local:" + d.Location, PasswordFile: d.PasswordFile}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("repository_file with BOM and newline", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "repo")
		if err := os.WriteFile(f, []byte("\xef\xbb\xbf"+d.Location+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := listed(t, &config.Repo{RepositoryFile: f, PasswordFile: d.PasswordFile}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		err := listed(t, &config.Repo{Repository: filepath.Join(t.TempDir(), "nope"), PasswordFile: d.PasswordFile})
		if !errors.Is(err, reader.ErrRepoMissing) {
			t.Fatalf("got %v, want reader.ErrRepoMissing", err)
		}
	})
	t.Run("directory without config", func(t *testing.T) {
		err := listed(t, &config.Repo{Repository: t.TempDir(), PasswordFile: d.PasswordFile})
		if !errors.Is(err, reader.ErrRepoMissing) {
			t.Fatalf("got %v, want reader.ErrRepoMissing", err)
		}
	})
	for _, loc := range []string{"b2:bucket:path", "azure:container:/", "gs:bucket:/", "swift:container:/", "rclone:remote:path"} {
		t.Run(loc, func(t *testing.T) {
			_, err := Open(ctx, &config.Repo{Repository: loc, PasswordFile: d.PasswordFile}, 0)
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("got %v, want errors.ErrUnsupported", err)
			}
		})
	}
}

func TestPasswordSources(t *testing.T) {
	ctx := context.Background()
	d := demotest.LocalRepo(t)
	pwBytes, err := os.ReadFile(d.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(pwBytes))
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	config.MockKeyring()
	if err := config.SetKeyringPassword("kr", pw); err != nil {
		t.Fatal(err)
	}
	utf16File := filepath.Join(t.TempDir(), "utf16")
	var u16 []byte
	for _, c := range "\ufeff" + pw + "\r\n" {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	if err := os.WriteFile(utf16File, u16, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		repo config.Repo
	}{
		{"password_command, quoted", config.Repo{PasswordCommand: `'cat' "` + d.PasswordFile + `"`}},
		{"password_command with the repository's env", config.Repo{PasswordCommand: `sh -c 'printf "%s\n" "$LW_SECRET"'`, Env: map[string]string{"LW_SECRET": pw}}},
		{"password_keyring", config.Repo{Name: "kr", PasswordKeyring: true}},
		{"password_file in UTF-16", config.Repo{PasswordFile: utf16File}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.repo.Repository = d.Location
			r, err := Open(ctx, &c.repo, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.DeriveKey(ctx); err != nil {
				t.Fatal(err)
			}
			if c.repo.PasswordCommand == "" {
				return
			}
			// restic reads the same password from the same command.
			cmd := resticCmd(t, d, "list", "locks", "--no-lock")
			cmd.Env = append(cmd.Env, "RESTIC_PASSWORD_FILE=", "RESTIC_PASSWORD_COMMAND="+c.repo.PasswordCommand)
			for k, v := range c.repo.Env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("restic with the same password_command: %v: %s", err, out)
			}
		})
	}
	t.Run("password_command failing", func(t *testing.T) {
		r, err := Open(ctx, &config.Repo{Repository: d.Location, PasswordCommand: "sh -c 'echo " + pw + " >&2; exit 3'"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = r.DeriveKey(ctx)
		if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "exit status 3") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("password_command unterminated quote", func(t *testing.T) {
		_, err := Open(ctx, &config.Repo{Repository: d.Location, PasswordCommand: `pass show "restic`}, 0)
		if err == nil || !strings.Contains(err.Error(), "double-quoted string not terminated") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty password file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "empty")
		if err := os.WriteFile(f, []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(ctx, &config.Repo{Repository: d.Location, PasswordFile: f}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.DeriveKey(ctx); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Fatalf("got %v", err)
		}
	})
}

// The cases of restic's own shell_split_test.go, and a few more.
func TestSplitShellStrings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  string
	}{
		{`foo`, []string{"foo"}, ""},
		{`'foo'`, []string{"foo"}, ""},
		{`foo bar baz`, []string{"foo", "bar", "baz"}, ""},
		{`foo 'bar' baz`, []string{"foo", "bar", "baz"}, ""},
		{`'bar box' baz`, []string{"bar box", "baz"}, ""},
		{`"bar 'box'" baz`, []string{"bar 'box'", "baz"}, ""},
		{`'bar "box"' baz`, []string{`bar "box"`, "baz"}, ""},
		{`\"bar box baz`, []string{`"bar`, "box", "baz"}, ""},
		{`"bar/foo/x" "box baz"`, []string{"bar/foo/x", "box baz"}, ""},
		{`a"b c"d`, []string{"a", "b c", "d"}, ""},
		{`a\ b`, []string{"a", "b"}, ""},
		{"foo'", nil, "single-quoted string not terminated"},
		{`foo"`, nil, "double-quoted string not terminated"},
		{"foo 'bar", nil, "single-quoted string not terminated"},
		{`foo "bar`, nil, "double-quoted string not terminated"},
		{"  ", nil, "command string is empty"},
	} {
		got, err := splitShellStrings(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := config.Repo{Name: "a", Repository: "/srv/repo", PasswordFile: pw, Env: map[string]string{"B": "2", "A": "1"}}
	fp := Fingerprint(&base)
	same := base
	same.Name = "renamed"                            // the name only picks a keyring entry
	same.Env = map[string]string{"A": "1", "B": "2"} // order does not matter
	same.AutoUnlock = config.AutoUnlock("stale")     // nor does anything but the key's inputs
	if Fingerprint(&same) != fp {
		t.Error("fingerprint changed with nothing that decides the key")
	}
	if strings.Contains(fp, "one") || len(fp) != 64 {
		t.Errorf("fingerprint %q", fp)
	}
	changed := map[string]func(r *config.Repo){
		"repository":       func(r *config.Repo) { r.Repository = "/srv/other" },
		"env":              func(r *config.Repo) { r.Env = map[string]string{"A": "1", "B": "3"} },
		"password_command": func(r *config.Repo) { r.PasswordFile, r.PasswordCommand = "", "pass show x" },
		"password_keyring": func(r *config.Repo) { r.PasswordFile, r.PasswordKeyring = "", true },
	}
	for name, change := range changed {
		r := base
		change(&r)
		if Fingerprint(&r) == fp {
			t.Errorf("%s changed, fingerprint did not", name)
		}
	}
	kr := config.Repo{Name: "a", Repository: "/srv/repo", PasswordKeyring: true}
	kr2 := kr
	kr2.Name = "b"
	if Fingerprint(&kr) == Fingerprint(&kr2) {
		t.Error("keyring entries of two names share a fingerprint")
	}
	// A new password file content (and time) is a new key.
	later := time.Now().Add(time.Second)
	if err := os.WriteFile(pw, []byte("two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(pw, later, later); err != nil {
		t.Fatal(err)
	}
	if Fingerprint(&base) == fp {
		t.Error("password file replaced, fingerprint did not change")
	}
}

// A repository opened once and then gone — a USB disk unplugged, a NAS
// share unmounted, leaving an empty mount point — is missing, not "no
// locks": the reader that opened it keeps no stale idea of it.
func TestLocalRepositoryGoneAfterOpen(t *testing.T) {
	ctx := context.Background()
	d := demotest.LocalRepo(t)
	r, err := Open(ctx, &config.Repo{Repository: d.Location, PasswordFile: d.PasswordFile}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(d.Location, d.Location+".unplugged"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(d.Location, 0o700); err != nil { // the empty mount point
		t.Fatal(err)
	}
	if _, err := r.ListLocks(ctx); !errors.Is(err, reader.ErrRepoMissing) {
		t.Fatalf("listing locks of an unmounted repository: %v, want reader.ErrRepoMissing", err)
	}
	if err := os.Remove(d.Location); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(d.Location+".unplugged", d.Location); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ListLocks(ctx); err != nil {
		t.Fatalf("plugged in again: %v", err)
	}
}
