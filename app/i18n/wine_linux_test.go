package i18n

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/platform/winetest"
)

// The Windows build speaks the display language Windows reports: under
// Wine that follows LC_MESSAGES/LANG, so each run gets a real Japanese,
// Chinese or English Windows. (Wine cannot set a display language apart
// from the user's locale, so what this cannot show is that the display
// language wins over a locale set to another; that is the documented
// difference between GetUserPreferredUILanguages and the locale Fyne reads.)
func TestWindowsDisplayLanguageUnderWine(t *testing.T) {
	w := winetest.Start(t)
	exe := winetest.TestBinary(t, ".")
	// The Linux locales Wine takes its languages from, compiled here so
	// that no system locale needs generating.
	locales := t.TempDir()
	for _, l := range []string{"ja_JP", "zh_CN", "en_US"} {
		if out, err := exec.Command("localedef", "-i", l, "-f", "UTF-8", filepath.Join(locales, l+".UTF-8")).CombinedOutput(); err != nil {
			t.Fatalf("localedef %s (apt-get install locales): %v\n%s", l, err, out)
		}
	}
	for _, c := range []struct{ locale, want string }{
		{"ja_JP.UTF-8", "ja"},
		{"zh_CN.UTF-8", "zh-Hans"},
		{"en_US.UTF-8", "en"},
	} {
		w.KillAll(t) // a new Wine session reads the language anew
		cmd := w.Command(exe, "-test.run", "^TestWindowsDisplayLanguage$", "-test.v", "-test.count=1")
		cmd.Env = append(cmd.Env, "LOCPATH="+locales, "LANG="+c.locale, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=",
			"LOCKWATCH_TEST_DISPLAY_LANGUAGE="+c.want)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestWindowsDisplayLanguage") {
			t.Errorf("Windows in %s: %v\n%s", c.locale, err, out)
			continue
		}
		t.Logf("Windows in %s:\n%s", c.locale, out)
	}
}
