package i18n

import (
	"os"
	"testing"

	"fyne.io/fyne/v2/lang"
)

// On Windows the display language picks the catalogue. Run under Wine by
// TestWindowsDisplayLanguageUnderWine, which sets the display language
// and says which catalogue it must pick; skipped when run alone.
func TestWindowsDisplayLanguage(t *testing.T) {
	want := os.Getenv("LOCKWATCH_TEST_DISPLAY_LANGUAGE")
	if want == "" {
		t.Skip("run by TestWindowsDisplayLanguageUnderWine")
	}
	langs := osLanguages()
	if got := closest(langs); got != want {
		t.Fatalf("display languages %q pick %q; want %q", langs, got, want)
	}
	if err := Use("auto"); err != nil {
		t.Fatal(err)
	}
	quit := map[string]string{"en": "Quit", "ja": "終了", "zh-Hans": "退出"}[want]
	if got := lang.L("Quit"); got != quit {
		t.Errorf("display languages %q: Quit is %q; want %q", langs, got, quit)
	}
	t.Logf("display languages %q: Quit is %q", langs, lang.L("Quit"))
}
