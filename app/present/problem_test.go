package present

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

// Broken lock files in a real repository, read by both readers: the app
// says each problem from its kind, and in English as the CLI says it.
func TestProblemsOfRealLockFiles(t *testing.T) {
	repo := demotest.LocalRepo(t)
	write := func(name string, data []byte) string {
		if name == "" {
			sum := sha256.Sum256(data)
			name = hex.EncodeToString(sum[:])
		}
		if err := os.WriteFile(filepath.Join(repo.LocksDir, name), data, 0o400); err != nil {
			t.Fatal(err)
		}
		return name
	}
	garbage := make([]byte, 300)
	_, _ = rand.Read(garbage)
	write("", nil)     // empty
	write("", garbage) // does not decrypt
	renamed := make([]byte, 32)
	_, _ = rand.Read(renamed)
	write(hex.EncodeToString(renamed), garbage) // its name is not its hash

	for _, reader := range []string{config.ReaderNative, config.ReaderRestic} {
		text := fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"r\"\nrepository = %q\npassword_file = %q\nreader = %q\n",
			demotest.Restic(t), repo.Location, repo.PasswordFile, reader)
		cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.toml"), []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := cfg.Repo("r")
		st := check.NewChecker(cfg).Check(context.Background(), r)
		kinds := map[string]bool{}
		for _, l := range st.Locks {
			if l.Verdict != lock.Invalid || l.Why.ID != lock.WhyInvalid {
				t.Errorf("%s reader: %s judged %s: %s", reader, l.ShortID(), l.Verdict, l.Reason)
				continue
			}
			kinds[l.Why.Facts["Kind"]] = true
			if got := Reason(l); got != l.Reason {
				t.Errorf("%s reader: the app says %q; the CLI %q", reader, got, l.Reason)
			}
		}
		if len(st.Locks) != 3 || kinds[""] || (reader == config.ReaderNative && len(kinds) != 3) {
			t.Errorf("%s reader: %d locks of kinds %v (%s)", reader, len(st.Locks), kinds, st.Error)
		}
	}
}
