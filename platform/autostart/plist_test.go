package autostart

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"testing"
)

// parsePlist reads a plist's top-level dict: string values as string,
// <true/>/<false/> as bool, arrays of strings as []string.
func parsePlist(t *testing.T, data []byte) map[string]any {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	next := func() xml.StartElement {
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatalf("plist: %v\n%s", err, data)
			}
			if se, ok := tok.(xml.StartElement); ok {
				return se
			}
			if ee, ok := tok.(xml.EndElement); ok && (ee.Name.Local == "dict" || ee.Name.Local == "array") {
				return xml.StartElement{Name: xml.Name{Local: "/" + ee.Name.Local}}
			}
		}
	}
	text := func(se xml.StartElement) string {
		var s string
		if err := d.DecodeElement(&s, &se); err != nil {
			t.Fatalf("plist <%s>: %v", se.Name.Local, err)
		}
		return s
	}
	if se := next(); se.Name.Local != "plist" {
		t.Fatalf("root is <%s>", se.Name.Local)
	}
	if se := next(); se.Name.Local != "dict" {
		t.Fatalf("plist holds <%s>, not <dict>", se.Name.Local)
	}
	dict := map[string]any{}
	for {
		se := next()
		if se.Name.Local == "/dict" {
			break
		}
		if se.Name.Local != "key" {
			t.Fatalf("<%s> where a <key> belongs", se.Name.Local)
		}
		key := text(se)
		val := next()
		switch val.Name.Local {
		case "string":
			dict[key] = text(val)
		case "true", "false":
			dict[key] = val.Name.Local == "true"
			d.Skip()
		case "array":
			var items []string
			for item := next(); item.Name.Local != "/array"; item = next() {
				items = append(items, text(item))
			}
			dict[key] = items
		default:
			t.Fatalf("unexpected <%s> for %s", val.Name.Local, key)
		}
	}
	if _, err := d.Token(); err != nil && err != io.EOF {
		t.Fatalf("after the dict: %v", err)
	}
	return dict
}

func TestLaunchAgentPlist(t *testing.T) {
	exe := "/Applications/lock watch.app/Contents/MacOS/lockwatch"
	args := []string{"tray", `--config=/Users/me/<a & "b">'c'.toml`, "ü", ""}
	dict := parsePlist(t, launchAgentPlist(exe, args))

	if dict["Label"] != "io.github.lockwatch.tray" {
		t.Errorf("Label = %v", dict["Label"])
	}
	if got, want := dict["ProgramArguments"], append([]string{exe}, args...); !slices.Equal(got.([]string), want) {
		t.Errorf("ProgramArguments = %q, want %q", got, want)
	}
	if dict["RunAtLoad"] != true {
		t.Errorf("RunAtLoad = %v, want true", dict["RunAtLoad"])
	}
	if _, ok := dict["KeepAlive"]; ok {
		t.Error("KeepAlive set: quitting the tray would not stick")
	}
	if dict["LimitLoadToSessionType"] != "Aqua" || dict["ProcessType"] != "Interactive" {
		t.Errorf("LimitLoadToSessionType=%v ProcessType=%v", dict["LimitLoadToSessionType"], dict["ProcessType"])
	}
	if len(dict) != 5 {
		t.Errorf("unexpected keys: %v", dict)
	}
}
