// Package darwin holds what the macOS bundle needs that can be checked
// without a Mac: its Info.plist (make mac-app builds the bundle on a Mac).
package darwin

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"testing"

	"howett.net/plist"

	"github.com/lockwatch/lockwatch/app/i18n"
)

type infoPlist struct {
	Name           string   `plist:"CFBundleName"`
	Executable     string   `plist:"CFBundleExecutable"`
	Identifier     string   `plist:"CFBundleIdentifier"`
	PackageType    string   `plist:"CFBundlePackageType"`
	ShortVersion   string   `plist:"CFBundleShortVersionString"`
	Version        string   `plist:"CFBundleVersion"`
	MinimumSystem  string   `plist:"LSMinimumSystemVersion"`
	UIElement      bool     `plist:"LSUIElement"`
	HighResolution bool     `plist:"NSHighResolutionCapable"`
	Localizations  []string `plist:"CFBundleLocalizations"`
	URLTypes       []struct {
		Name    string   `plist:"CFBundleURLName"`
		Schemes []string `plist:"CFBundleURLSchemes"`
	} `plist:"CFBundleURLTypes"`
}

// The Info.plist parses as a property list (as macOS reads it, after make
// mac-app fills in the version) and says what a tray app with lockwatch://
// links needs.
func TestInfoPlist(t *testing.T) {
	data, err := os.ReadFile("Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if m == nil {
		t.Fatal("no Version in FyneApp.toml")
	}
	data = bytes.ReplaceAll(data, []byte("@VERSION@"), m[1])

	var info infoPlist
	format, err := plist.Unmarshal(data, &info)
	if err != nil {
		t.Fatalf("Info.plist is not a property list: %v", err)
	}
	if format != plist.XMLFormat {
		t.Errorf("Info.plist is in format %d; want XML", format)
	}
	if info.Identifier != "io.github.lockwatch" || info.Executable != "lockwatch" || info.Name != "lockwatch" || info.PackageType != "APPL" {
		t.Errorf("bundle: %+v", info)
	}
	if !info.UIElement {
		t.Error("LSUIElement is not true: a tray app would get a Dock icon and a menu bar")
	}
	if info.ShortVersion != string(m[1]) || info.Version != string(m[1]) {
		t.Errorf("version %q/%q; want FyneApp.toml's %s", info.ShortVersion, info.Version, m[1])
	}
	if len(info.URLTypes) != 1 || len(info.URLTypes[0].Schemes) != 1 || info.URLTypes[0].Schemes[0] != "lockwatch" {
		t.Errorf("URL schemes %+v; want lockwatch://", info.URLTypes)
	}
	var languages []string
	for l := range i18n.Files {
		languages = append(languages, l)
	}
	slices.Sort(languages)
	if !slices.Equal(info.Localizations, languages) {
		t.Errorf("CFBundleLocalizations %q; want the app's languages %q", info.Localizations, languages)
	}
	if !info.HighResolution || info.MinimumSystem == "" {
		t.Errorf("NSHighResolutionCapable %v, LSMinimumSystemVersion %q", info.HighResolution, info.MinimumSystem)
	}
}
