package discover

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// everything reads every fixture, and returns all that the readers give:
// what the user will see, and what could end up in a log.
func everything(t *testing.T) (found []Found, skipped []Skipped, errs []error) {
	t.Helper()
	add := func(f []Found, s []Skipped, err error) {
		found, skipped = append(found, f...), append(skipped, s...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	backrest, _ := filepath.Glob("testdata/backrest/*.json")
	for _, p := range backrest {
		add(ReadBackrest(p))
	}
	profiles, _ := filepath.Glob("testdata/resticprofile/*/profiles.*")
	for _, p := range profiles {
		add(ReadResticprofile(p))
	}
	autorestic, _ := filepath.Glob("testdata/autorestic/*.yml")
	for _, p := range autorestic {
		add(ReadAutorestic(p))
	}
	units, _ := filepath.Glob("testdata/systemd/*/*.service")
	for _, p := range units {
		add(ReadSystemdUnit(p, abs(t, "testdata/systemd/home")))
	}
	text, _ := readFile("testdata/cron/crontab")
	add(ParseCrontab("crontab", text))
	add(FromEnviron([]string{"RESTIC_REPOSITORY=rest:https://alice:CANARY-s3cr3t-url@rest.example.org/alice/", "RESTIC_PASSWORD=CANARY-s3cr3t-env"}), nil, nil)
	return found, skipped, errs
}

// TestSecretsNeverPrinted: a plain-text password, an env value, a password
// command or a password in a URL never shows in anything printed or logged.
func TestSecretsNeverPrinted(t *testing.T) {
	found, skipped, errs := everything(t)

	// The test means something only if the secrets were read.
	held := 0
	for _, f := range found {
		if strings.Contains(plain(f), canary) {
			held++
		}
	}
	if held < 15 {
		t.Fatalf("only %d of %d found repositories hold a canary secret; the fixtures are not being read", held, len(found))
	}
	if len(errs) < 3 {
		t.Fatalf("only %d broken fixtures gave errors", len(errs))
	}

	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&out, verb+"\n", found)
		fmt.Fprintf(&out, verb+"\n", skipped)
		fmt.Fprintf(&out, verb+"\n", errs)
		for i := range found {
			f := found[i]
			fmt.Fprintf(&out, verb+" "+verb+" "+verb+" "+verb+"\n", f, &f, f.Password, f.Env)
		}
	}
	for _, f := range found {
		out.WriteString(f.String() + f.GoString() + f.Location() + f.PasswordSource() + f.Repo().String())
		out.WriteString(strings.Join(noteTexts(f.Notes), "\n"))
	}
	for _, e := range errs {
		out.WriteString(e.Error() + (&SourceError{Source: "x", Err: e}).Error())
	}
	// Logs and JSON.
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		log := slog.New(h)
		for _, f := range found {
			log.Info("found", "repo", f, "password", f.Password, "env", f.Env)
		}
	}
	for _, f := range found {
		// Not Found itself: encoding is not printing, and a location may
		// carry a password restic needs. Secret values never carry theirs.
		if err := json.NewEncoder(&out).Encode([]any{f.Password, f.Env}); err != nil {
			t.Fatal(err)
		}
	}

	if i := bytes.Index(out.Bytes(), []byte(canary)); i >= 0 {
		t.Errorf("a secret was printed: …%s…", out.Bytes()[max(0, i-120):min(out.Len(), i+40)])
	}
	if !bytes.Contains(out.Bytes(), []byte("password: plain text")) || !bytes.Contains(out.Bytes(), []byte("***")) {
		t.Error("the output does not say a password was found; the test printed nothing useful")
	}
}

// TestSecretsStayOutOfDiscover: the same through Discover's errors.
func TestSecretsStayOutOfDiscover(t *testing.T) {
	o := fixtureMachine(t)
	found, skipped, errs := Discover(context.Background(), o)
	text := fmt.Sprintf("%v %+v %#v %v %+v %v", found, found, found, skipped, skipped, errs)
	if strings.Contains(text, canary) {
		t.Errorf("Discover's results print a secret:\n%s", text)
	}
}
