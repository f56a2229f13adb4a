package restic

import (
	"github.com/lockwatch/lockwatch/service/reader"

	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzClassify feeds restic's real outputs (testdata/stderr), mangled, to
// Classify, with a URL carrying a password spliced in at a fuzzed place.
func FuzzClassify(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.exit, c.stderr, "hunter2-Secret", uint16(0))
		f.Add(1, c.stderr, "pa55:w0rd!", uint16(len(c.stderr)/2))
	}
	for _, code := range []int{-1, 0, 1, 2, 3, 10, 11, 12, 126, 127, 130} {
		f.Add(code, []byte("Fatal: unable to open config file: stat /r/config: no such file or directory\n"), "s3cr3t", uint16(13))
	}
	f.Fuzz(func(t *testing.T, exitCode int, stderr []byte, password string, at uint16) {
		e := Classify("cat lock", exitCode, stderr)
		checkInvariants(t, e, exitCode)
		if c, ok := ParseConflict(string(stderr)); ok && c.PID <= 0 {
			t.Fatalf("ParseConflict accepted PID %d", c.PID)
		}

		// A password in a URL must not change what the user is told, nor show.
		password = urlSafe(password)
		other := strings.Repeat("Q", len(password))
		if len(password) < 4 || password == other {
			return
		}
		k := int(at) % (len(stderr) + 1)
		with := func(pw string) []byte {
			s := append([]byte(nil), stderr[:k]...)
			s = append(s, "rest:https://bob:"+pw+"@backup.example.com:8000/r1/"...)
			return append(s, stderr[k:]...)
		}
		e1 := Classify("cat lock", exitCode, with(password))
		e2 := Classify("cat lock", exitCode, with(other))
		checkInvariants(t, e1, exitCode)
		if e1.Error() != e2.Error() || e1.Detail != e2.Detail {
			t.Fatalf("the URL's password changes the message, so it was not redacted:\n%q\n%q", e1.Error(), e2.Error())
		}
		if strings.Contains(e1.Error(), password) && !strings.Contains(e2.Error(), password) {
			t.Fatalf("password %q shows in %q", password, e1.Error())
		}
	})
}

func checkInvariants(t *testing.T, e *Error, exitCode int) {
	t.Helper()
	if e == nil {
		t.Fatal("Classify returned nil")
	}
	if e.Kind < KindFailed || e.Kind > KindNotFound || e.Kind == KindTimeout {
		t.Fatalf("Kind %d out of range", e.Kind)
	}
	if e.ExitCode != exitCode {
		t.Fatalf("ExitCode %d, want %d", e.ExitCode, exitCode)
	}
	if len(e.Detail) > 400 {
		t.Fatalf("Detail is %d bytes", len(e.Detail))
	}
	if !utf8.ValidString(e.Detail) {
		t.Fatalf("Detail is not UTF-8: %q", e.Detail)
	}
	if i := strings.IndexFunc(e.Detail, unicode.IsControl); i >= 0 {
		t.Fatalf("Detail has a control character at %d: %q", i, e.Detail)
	}
	if goroutineRE.MatchString(e.Detail) {
		t.Fatalf("Detail has a stack trace: %q", e.Detail)
	}
	if e.Conflict != nil && (e.Kind != KindLocked || e.Conflict.PID <= 0) {
		t.Fatalf("Conflict %+v on a %v error", *e.Conflict, e.Kind)
	}
	if s := e.Error(); !strings.HasPrefix(s, "restic") || strings.ContainsAny(s, "\n\r") || len(s) > 1200 {
		t.Fatalf("Error() = %q", s)
	}
	if e.Kind != KindFailed && !e.Is(sentinelOf(e.Kind)) {
		t.Fatalf("%v error does not match its sentinel", e.Kind)
	}
}

func sentinelOf(k Kind) error {
	return map[Kind]error{
		KindBinaryMissing: ErrBinaryMissing, KindRepoMissing: reader.ErrRepoMissing,
		KindWrongPassword: reader.ErrWrongPassword, KindLocked: ErrLocked,
		KindTimeout: ErrTimeout, KindNotFound: reader.ErrNotFound,
	}[k]
}

// urlSafe keeps the characters a URL's userinfo may hold unescaped (RFC 3986).
func urlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("-._~!$&'()*+,;=:%", r)) {
			return r
		}
		return -1
	}, s)
}
