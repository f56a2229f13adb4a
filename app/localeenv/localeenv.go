// Package localeenv keeps Fyne from logging a locale error on every start
// under LANG=C.UTF-8, the default of many servers and containers.
//
// Fyne's lang package reads the locale in its init and cannot parse "C"
// (go-locale turns C.UTF-8 into "C"). gettext's LANGUAGE variable takes
// precedence there, so when the locale is C or POSIX with an encoding and
// LANGUAGE is unset, we set LANGUAGE=en. Only gettext translations read it:
// the C locale's messages are English anyway.
//
// main imports this package first. Go initialises packages in import-path
// order among those whose dependencies are ready (Go 1.21+), and this one
// depends only on the standard library, so it runs before Fyne's lang.
package localeenv

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(name); v != "" {
			if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
				os.Setenv("LANGUAGE", "en")
			}
			return
		}
	}
}
