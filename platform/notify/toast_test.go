package notify

import (
	"encoding/xml"
	"strings"
	"testing"
)

// hostile is text a notification must show as it is, and must never run.
const hostile = `It's "stale" <b>&amp;</b> '@ $(calc) ` + "`" + `whoami` + "`" + ` ’quoted‘ ü €` + "\n2nd line\ttab\x00\x07"

// shown is hostile as a notification can carry it: control characters other
// than line breaks and tabs are dropped.
var shown = strings.NewReplacer("\x00", "", "\x07", "").Replace(hostile)

// psStrings splits a PowerShell script into its code and its single-quoted
// strings, following PowerShell's rule that any single-quote character ends
// a string unless it is doubled.
func psStrings(t *testing.T, script string) (code string, strs []string) {
	t.Helper()
	isQuote := func(r rune) bool { return strings.ContainsRune("'‘’‚‛", r) }
	rs := []rune(script)
	var c strings.Builder
	for i := 0; i < len(rs); i++ {
		if !isQuote(rs[i]) {
			c.WriteRune(rs[i])
			continue
		}
		var s strings.Builder
		for i++; ; i++ {
			if i >= len(rs) {
				t.Fatalf("unterminated string in %s", script)
			}
			if isQuote(rs[i]) {
				if i+1 < len(rs) && isQuote(rs[i+1]) {
					s.WriteRune(rs[i+1])
					i++
					continue
				}
				break
			}
			s.WriteRune(rs[i])
		}
		c.WriteString("'…'")
		strs = append(strs, s.String())
	}
	return c.String(), strs
}

type toastXML struct {
	ActivationType string `xml:"activationType,attr"`
	Launch         string `xml:"launch,attr"`
	Texts          []struct {
		Placement string `xml:"placement,attr"`
		Text      string `xml:",chardata"`
	} `xml:"visual>binding>text"`
	Image struct {
		Src string `xml:"src,attr"`
	} `xml:"visual>binding>image"`
}

func TestToastScriptKeepsTextInsideTheXMLString(t *testing.T) {
	n := Notification{Title: hostile, Body: hostile, Target: "repo/my nas", Icon: `C:\Program Files\lockwatch\icon.png`}
	script := toastScript(n, "lock'watch")

	if strings.Count(script, "\n") != 1 || !strings.HasSuffix(script, "\n") {
		t.Errorf("script is not one line: %q", script)
	}
	for _, r := range script {
		if r > 0x7E || r < 0x20 && r != '\n' {
			t.Fatalf("script is not printable ASCII: %q in %q", r, script)
		}
	}
	// The code around the strings is the same whatever the text says.
	code, strs := psStrings(t, script)
	plainCode, _ := psStrings(t, toastScript(Notification{}, ""))
	if code != plainCode {
		t.Errorf("user text changed the script's code:\n%s\nwant\n%s", code, plainCode)
	}

	var toastXMLText string
	for _, s := range strs {
		if strings.HasPrefix(s, "<toast") {
			toastXMLText = s
		}
	}
	var got toastXML
	if err := xml.Unmarshal([]byte(toastXMLText), &got); err != nil {
		t.Fatalf("toast XML does not parse: %v\n%s", err, toastXMLText)
	}
	if got.ActivationType != "protocol" || got.Launch != "lockwatch://repo/my%20nas" {
		t.Errorf("activationType=%q launch=%q; want protocol, lockwatch://repo/my%%20nas", got.ActivationType, got.Launch)
	}
	if len(got.Texts) != 3 {
		t.Fatalf("got %d <text> elements, want title, body, attribution: %+v", len(got.Texts), got.Texts)
	}
	if got.Texts[0].Text != shown || got.Texts[1].Text != shown {
		t.Errorf("title/body came back as\n%q\n%q\nwant %q", got.Texts[0].Text, got.Texts[1].Text, shown)
	}
	if got.Texts[2].Placement != "attribution" || got.Texts[2].Text != "lock'watch" {
		t.Errorf("attribution = %+v", got.Texts[2])
	}
	if got.Image.Src != "file:///C:/Program Files/lockwatch/icon.png" {
		t.Errorf("image src = %q", got.Image.Src)
	}
}

func TestToastWithoutTargetLaunchesNothing(t *testing.T) {
	script := toastScript(Notification{Title: "t", Body: "b"}, "")
	if strings.Contains(script, "launch=") || strings.Contains(script, "activationType") {
		t.Errorf("a toast without Target has an activation: %s", script)
	}
}

func TestXMLEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a&b":          "a&amp;b",
		`<"'>`:         "&lt;&quot;&apos;&gt;",
		"ü€😀":          "&#xFC;&#x20AC;&#x1F600;",
		"a\nb\r\tc":    "a&#xA;b&#xD;&#x9;c",
		"nul\x00bel\a": "nulbel",
		"bad\xffbyte":  "bad&#xFFFD;byte",
		"\uFFFE":       "",
	} {
		if got := xmlEscape(in); got != want {
			t.Errorf("xmlEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// A toast with a tag replaces its predecessor and can be withdrawn; its
// Unlock button opens lockwatch://unlock/NAME.
func TestToastTagActionsAndWithdraw(t *testing.T) {
	s := toastScript(Notification{Title: "nas has a stale lock", Target: "repo/my nas", Tag: "repo/my nas",
		Actions: []Action{{ID: "unlock", Label: "Unlock"}}, Critical: true}, "lockwatch")
	for _, want := range []string{
		`<action content="Unlock" activationType="protocol" arguments="lockwatch://unlock/my%20nas"/>`,
		`launch="lockwatch://repo/my%20nas"`,
		`scenario="urgent"`,
		"$t.Tag = 'repo/my nas'; $t.Group = 'lockwatch'; ",
		".Show($t)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("toast script lacks %s:\n%s", want, s)
		}
	}
	if target, ok := ParseURL("lockwatch://unlock/my%20nas/"); !ok || target != "unlock/my nas" {
		t.Errorf("the button's link parses as %q, %v", target, ok)
	}
	plain := toastScript(Notification{Title: "t"}, "")
	if strings.Contains(plain, "$t.Tag") || strings.Contains(plain, "<actions>") || strings.Contains(plain, "scenario") {
		t.Errorf("a plain toast has a tag, actions or a scenario:\n%s", plain)
	}
	w := withdrawScript("repo/it's")
	if !strings.Contains(w, "History.Remove('repo/it''s', 'lockwatch', ") || strings.Count(w, "\n") != 1 {
		t.Errorf("withdraw script:\n%s", w)
	}
}
