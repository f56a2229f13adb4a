// Package i18n is the app's catalogue of what it says to people, in
// English, Simplified Chinese and Japanese, for Fyne's lang package
// (lang.L, lang.N, lang.X): the windows, the notifications and the tray
// menu all read it. Importing this package registers the catalogue.
//
// The message IDs are the English texts (gettext's way): code reads as
// what the user sees, and a message missing from a catalogue still shows,
// in English. The CLI and --json do not use it: scripts read English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"golang.org/x/text/language"

	"github.com/lockwatch/lockwatch/service/config"
)

//go:embed translations
var translations embed.FS

// Languages are the values of [defaults] language: "auto" follows the OS
// (LANGUAGE, LC_MESSAGES, LANG on Linux; the user's UI language on
// Windows and macOS).
var Languages = config.Languages

// Endonyms are the languages' names as their speakers write them, as the
// settings offer them.
var Endonyms = map[string]string{"en": "English", "zh-Hans": "简体中文", "ja": "日本語"}

// UseConfigured makes the app speak the language the config at path asks
// for; without a config that can be read, the OS's.
func UseConfigured(path string) {
	language := "auto"
	if cfg, err := config.Load(path); err == nil {
		language = cfg.Defaults.Language
	}
	if err := Use(language); err != nil {
		fyne.LogError("language", err)
	}
}

// Files maps each language to its catalogue.
var Files = map[string]string{"en": "en.json", "zh-Hans": "zh-Hans.json", "ja": "ja.json"}

func init() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("lockwatch's translations", err)
	}
}

// localeOf is each language as gettext's LANGUAGE names it.
var localeOf = map[string]string{"en": "en", "zh-Hans": "zh_CN", "ja": "ja"}

// Use makes the app speak language ("auto" or "": the OS's). Call it once,
// before the first window or menu is drawn: what is drawn keeps its words.
//
// Fyne picks the catalogue closest to the OS's languages and has no setter.
// Where those come from the environment (Linux, the BSDs), LANGUAGE is set
// and Fyne asked to match again: the chosen language then has its own
// plural rules, and Fyne's own words (OK, Cancel) follow it. Elsewhere
// (Windows, macOS read the OS's settings) the chosen catalogue is
// registered once more under the OS's own locale, which then matches it
// exactly; Fyne's own words stay in the OS's language there.
func Use(language string) error {
	if language == "" || language == "auto" {
		// On Windows the display language decides, not the locale Fyne reads.
		if best := closest(osLanguages()); best != "" {
			return register(best)
		}
		return nil
	}
	if _, ok := Files[language]; !ok {
		return fmt.Errorf("language %q: choose one of %v", language, Languages)
	}
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" && runtime.GOOS != "android" && runtime.GOOS != "ios" {
		os.Setenv("LANGUAGE", localeOf[language])
		// Any registration makes Fyne match the locale again.
		if err := lang.AddTranslationsForLocale([]byte("{}"), "en"); err != nil {
			return err
		}
		if strings.HasPrefix(string(lang.SystemLocale()), strings.SplitN(language, "-", 2)[0]) {
			return nil
		}
		// LC_ALL or LANG is C: Fyne ignores LANGUAGE then.
	}
	return register(language)
}

// register files language's catalogue under the OS's locale, which Fyne
// then matches exactly.
func register(language string) error {
	data, err := translations.ReadFile(path.Join("translations", Files[language]))
	if err != nil {
		return err
	}
	data, err = everyPluralForm(data)
	if err != nil {
		return err
	}
	return lang.AddTranslationsForLocale(data, lang.SystemLocale())
}

// ours are the languages of the catalogue, in the order closest answers.
var ours = []string{"en", "zh-Hans", "ja"}

// closest is the language of ours closest to the OS's languages (BCP 47
// tags, most preferred first), "" when none is given.
func closest(osLanguages []string) string {
	var tags []language.Tag
	for _, l := range osLanguages {
		if t, err := language.Parse(l); err == nil {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return ""
	}
	supported := make([]language.Tag, len(ours))
	for i, l := range ours {
		supported[i] = language.MustParse(l)
	}
	// A language only close to one of ours (Traditional Chinese to
	// Simplified) gets English, as one we do not speak at all does.
	_, i, confidence := language.NewMatcher(supported).Match(tags...)
	if confidence < language.High {
		return "en"
	}
	return ours[i]
}

// everyPluralForm makes each plural message of a catalogue right under
// any locale's plural rules: filed under the OS's locale, a message is
// looked up with that locale's rules, not its language's. A Japanese
// message has only "other", which then fills every form; an English one
// under Japanese rules (which know only "other") would say "1 locks", so
// its forms choose by the count themselves (every lang.N passes Count).
func everyPluralForm(data []byte) ([]byte, error) {
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	for id, m := range c {
		forms, ok := m.(map[string]any)
		if !ok {
			continue
		}
		other := forms["other"]
		if one, ok := forms["one"].(string); ok && one != other {
			other = "{{if eq .Count 1}}" + one + "{{else}}" + other.(string) + "{{end}}"
		}
		for _, f := range []string{"zero", "one", "two", "few", "many", "other"} {
			forms[f] = other
		}
		c[id] = forms
	}
	return json.Marshal(c)
}

// Catalogue returns a language's messages as embedded, for tests.
func Catalogue(language string) ([]byte, error) {
	return translations.ReadFile(path.Join("translations", Files[language]))
}
