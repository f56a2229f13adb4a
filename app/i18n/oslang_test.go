package i18n

import "testing"

// The OS's display languages, most preferred first, pick the closest of
// the catalogue's; one the app does not speak falls back to English.
func TestClosestLanguage(t *testing.T) {
	for _, c := range []struct {
		os   []string
		want string
	}{
		{nil, ""},
		{[]string{"ja-JP"}, "ja"},
		{[]string{"zh-CN"}, "zh-Hans"},
		{[]string{"zh-Hans-SG", "en-US"}, "zh-Hans"},
		{[]string{"en-GB", "ja-JP"}, "en"},
		{[]string{"de-DE", "ja-JP"}, "ja"},
		{[]string{"fr-FR"}, "en"},
		{[]string{"not a tag"}, ""},
	} {
		if got := closest(c.os); got != c.want {
			t.Errorf("closest(%q) = %q; want %q", c.os, got, c.want)
		}
	}
}
