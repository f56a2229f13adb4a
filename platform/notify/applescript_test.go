package notify

import (
	"strings"
	"testing"
)

// readAppleString reads the AppleScript string literal at the start of s
// and returns its value and the rest of s.
func readAppleString(t *testing.T, s string) (value, rest string) {
	t.Helper()
	if !strings.HasPrefix(s, `"`) {
		t.Fatalf("no string literal at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), s[i+1:]
		case '\\':
			i++
			if i == len(s) {
				t.Fatalf("dangling backslash in %q", s)
			}
			switch c := s[i]; c {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(c)
			default:
				t.Fatalf("unknown escape \\%c in %q", c, s)
			}
		default:
			b.WriteByte(s[i])
		}
	}
	t.Fatalf("unterminated string literal in %q", s)
	return "", ""
}

func TestAppleScriptKeepsTextInsideStrings(t *testing.T) {
	for _, text := range []string{
		hostile,
		`" & (do shell script "touch /tmp/pwned") & "`,
		`\" & (do shell script "id") & \"`,
		`trailing backslash \`,
		"",
	} {
		want := strings.NewReplacer("\x00", "", "\x07", "").Replace(text)
		script := appleScript(Notification{Title: text, Body: text + "!"})
		if strings.Count(script, "\n") != 1 || !strings.HasSuffix(script, "\n") {
			t.Errorf("script is not one line: %q", script)
		}
		rest, ok := strings.CutPrefix(script, "display notification ")
		if !ok {
			t.Fatalf("script = %q", script)
		}
		body, rest := readAppleString(t, rest)
		rest, ok = strings.CutPrefix(rest, " with title ")
		if !ok {
			t.Fatalf("no title after the body in %q", script)
		}
		title, rest := readAppleString(t, rest)
		if rest != "\n" {
			t.Errorf("script goes on after the title: %q", rest)
		}
		if title != want || body != want+"!" {
			t.Errorf("text came back as title %q body %q; want %q", title, body, want)
		}
	}
}
