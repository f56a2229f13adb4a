package check_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// A check that fails names the kind of failure the app can explain in its
// user's language, with both readers, on a real repository.
func TestErrorKindsOfRealFailures(t *testing.T) {
	repo := demotest.LocalRepo(t)
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong-password")
	if err := os.WriteFile(wrong, []byte("not the password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, restic, location, password, kind string
	}{
		{"no repository", demotest.Restic(t), filepath.Join(dir, "nothing-here"), repo.PasswordFile, check.ErrorRepoMissing},
		{"wrong password", demotest.Restic(t), repo.Location, wrong, check.ErrorWrongPassword},
		{"restic missing", filepath.Join(dir, "no-restic"), repo.Location, repo.PasswordFile, check.ErrorResticMissing},
	}
	for _, reader := range []string{config.ReaderRestic, config.ReaderNative} {
		for _, c := range cases {
			if reader == config.ReaderNative && c.kind == check.ErrorResticMissing {
				continue // the native reader needs no restic
			}
			text := fmt.Sprintf("[defaults]\nrestic = %q\ntimeout = \"60s\"\n[[repo]]\nname = \"r\"\nrepository = %q\npassword_file = %q\nreader = %q\n",
				c.restic, c.location, c.password, reader)
			cfg, err := config.Parse(filepath.Join(dir, "config.toml"), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := cfg.Repo("r")
			st := check.NewChecker(cfg).Check(context.Background(), r)
			if st.State != check.StateError || st.ErrorKind != c.kind {
				t.Errorf("%s, %s reader: state %s, kind %q (%s); want kind %q", c.name, reader, st.State, st.ErrorKind, st.Error, c.kind)
			}
			english, why := check.Summary(st)
			if english != st.Error || len(why) != 1 || why[0].ID != check.WhyError || why[0].Facts["Kind"] != c.kind {
				t.Errorf("%s, %s reader: summary %q %+v", c.name, reader, english, why)
			}
		}
	}
}
