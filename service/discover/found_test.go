package discover

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

func TestSecretPrintsMasked(t *testing.T) {
	s := Secret("CANARY-s3cr3t")
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		if got := fmt.Sprintf(verb, s); got != "***" {
			t.Errorf("%s of a Secret = %q", verb, got)
		}
	}
	if got := fmt.Sprintf("%#v", s); got != `"***"` {
		t.Errorf("%%#v of a Secret = %q", got)
	}
	if got, _ := json.Marshal(map[string]Secret{"K": s}); string(got) != `{"K":"***"}` {
		t.Errorf("JSON of a Secret = %s", got)
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("an empty Secret prints %q", got)
	}
}

func TestFoundString(t *testing.T) {
	f := Found{Source: SourceBackrest, File: "/b/config.json", Line: 7, Name: "nas",
		Repository: "rest:https://alice:CANARY@rest.lan/alice/", Password: "CANARY",
		Env: secrets("B", "CANARY", "A", "CANARY"), AutoUnlock: config.AutoUnlockStale,
		Also:  []Origin{{SourceEnv, "", 0}},
		Notes: notes("a note")}
	want := `"nas" rest:https://alice:***@rest.lan/alice/ (backrest /b/config.json:7; also the environment; password: plain text (to go to the keyring); env: A, B; auto_unlock: stale)` +
		"\n  note: a note"
	if got := f.String(); got != want {
		t.Errorf("String:\n  got  %s\n  want %s", got, want)
	}
	if got := fmt.Sprintf("%#v", []Found{f}); got != "[]discover.Found{discover.Found{"+want+"}}" {
		t.Errorf("%%#v: %s", got)
	}
	f.PasswordCommand = "pass show CANARY"
	if got := f.PasswordSource(); got != "command" {
		t.Errorf("PasswordSource with a command = %q", got)
	}
}

func TestFoundRepo(t *testing.T) {
	f := Found{Source: SourceResticprofile, Name: "photos", Repository: "local:/backup/photos", Password: "CANARY",
		Env: secrets("TMPDIR", "/var/tmp"), ResticprofileStatus: "/var/lib/status.json", ResticprofileProfile: "photos"}
	want := config.Repo{Name: "photos", Repository: "local:/backup/photos", PasswordKeyring: true,
		Env: map[string]string{"TMPDIR": "/var/tmp"}, ResticprofileStatus: "/var/lib/status.json", ResticprofileProfile: "photos"}
	if got := f.Repo(); !reflect.DeepEqual(got, want) {
		t.Errorf("Repo() = %+v; want %+v", got, want)
	}
	f.PasswordFile = "/etc/pw"
	if r := f.Repo(); r.PasswordKeyring || r.PasswordFile != "/etc/pw" {
		t.Errorf("with a password file, Repo() = %+v", r)
	}
}
