package i18n

import "golang.org/x/sys/windows"

// osLanguages are the user's Windows display languages, most preferred
// first ("ja-JP"). Fyne asks for the user's locale instead, which is how
// dates and numbers are written: a Japanese Windows set to British dates
// would then get English.
func osLanguages() []string {
	langs, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME)
	if err != nil {
		return nil
	}
	return langs
}
