package i18n

import (
	"encoding/json"
	"strings"
	"testing"
	"text/template"
)

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
		{[]string{"zh-TW"}, "en"},
		{[]string{"zh-Hant-HK", "ja-JP"}, "ja"},
		{[]string{"not a tag"}, ""},
	} {
		if got := closest(c.os); got != c.want {
			t.Errorf("closest(%q) = %q; want %q", c.os, got, c.want)
		}
	}
}

// English filed under a locale whose plural rules know only "other" (an
// English display language on a Windows set to Japanese formats) still
// says "1 lock" and "2 locks".
func TestPluralFormsUnderAnyRules(t *testing.T) {
	en, err := Catalogue("en")
	if err != nil {
		t.Fatal(err)
	}
	data, err := everyPluralForm(en)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	forms := c["Remove {{.Count}} lock from {{.Repo}}?"].(map[string]any)
	for _, form := range []string{"one", "other", "few"} {
		tmpl := template.Must(template.New(form).Parse(forms[form].(string)))
		for count, want := range map[int]string{1: "Remove 1 lock from nas?", 2: "Remove 2 locks from nas?"} {
			var b strings.Builder
			if err := tmpl.Execute(&b, map[string]any{"Count": count, "Repo": "nas"}); err != nil || b.String() != want {
				t.Errorf("form %s, count %d: %q, %v; want %q", form, count, b.String(), err, want)
			}
		}
	}
}
