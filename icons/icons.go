// Package icons holds lockwatch's embedded tray status icons and app icon as PNG bytes.
package icons

import "embed"

//go:generate go run gen.go

//go:embed ok.png busy.png stale.png failed.png error.png
//go:embed ok_template.png busy_template.png stale_template.png failed_template.png error_template.png
//go:embed app.png
var files embed.FS

// Status names the five tray states, worst last.
type Status string

// The tray states, from best to worst.
const (
	OK     Status = "ok"     // all repositories fine: green closed padlock
	Busy   Status = "busy"   // a check is running: blue padlock with three dots
	Stale  Status = "stale"  // a stale lock was found: amber open padlock
	Failed Status = "failed" // an unlock or check failed: red padlock with "!"
	Error  Status = "error"  // a repository could not be read: grey padlock with "×"
)

// All lists every status, worst last.
var All = []Status{OK, Busy, Stale, Failed, Error}

// PNG returns the 64×64 colored tray icon for s; an unknown status gets
// Error's icon. The caller owns the returned slice.
func PNG(s Status) []byte { return read(string(known(s)) + ".png") }

// TemplatePNG returns the 64×64 macOS template variant of s's icon: the
// same shape in black with alpha only, for the menu bar to tint.
func TemplatePNG(s Status) []byte { return read(string(known(s)) + "_template.png") }

// App returns the 512×512 application icon.
func App() []byte { return read("app.png") }

func known(s Status) Status {
	switch s {
	case OK, Busy, Stale, Failed, Error:
		return s
	}
	return Error
}

func read(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("icons: " + err.Error()) // embedded at build time; cannot happen
	}
	return b
}
