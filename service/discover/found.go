package discover

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// The sources discovery reads, in the order Discover reads them: the
// tools with a configuration of their own first, because they say the
// most about a repository (its name, its status file).
const (
	SourceBackrest      = "backrest"
	SourceResticprofile = "resticprofile"
	SourceAutorestic    = "autorestic"
	SourceSystemd       = "systemd"
	SourceCron          = "cron"
	SourceEnv           = "env"
)

// Sources lists every source, in the order Discover reads them.
var Sources = []string{SourceBackrest, SourceResticprofile, SourceAutorestic, SourceSystemd, SourceCron, SourceEnv}

// Secret is a value that must never be shown: a plain-text password or an
// env value. Every way of printing it (fmt with any verb, slog, JSON) gives
// ***, so a Secret inside any struct, slice or map stays hidden; a Found
// sent somewhere as JSON carries no secret. string(s) is the only way to
// the value: do that only to hand it to the keyring or to restic.
type Secret string

// String returns *** (or "" for an empty Secret, so "is it set?" still shows).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// Format makes every fmt verb (%x and %q included) print String.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue keeps the value out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps the value out of JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Origin is where a repository was found: the source, the file and the
// line (0 when a source has no lines, like the environment).
type Origin struct {
	Source string
	File   string // "" for the environment
	Line   int
}

func (o Origin) String() string {
	switch {
	case o.File == "":
		return "the environment"
	case o.Line > 0:
		return fmt.Sprintf("%s %s:%d", o.Source, o.File, o.Line)
	}
	return o.Source + " " + o.File
}

// Found is one repository found in another tool's configuration, in the
// terms of lockwatch's config.Repo. Repository or RepositoryFile is set
// (both only if the source sets both, which a note then points out). The password source is referenced, never copied
// (PasswordFile, PasswordCommand), except where the source itself holds
// the password in plain text: then it is in Password, which the importer
// must put in the OS keyring and nowhere else.
//
// String, GoString, every fmt verb and slog show no secret: neither
// Password, nor Env values, nor PasswordCommand (which may carry a token),
// nor a password in a URL. Encoding a Found (JSON …) is not printing: it
// keeps Repository and PasswordCommand as they are, and Secrets as ***.
type Found struct {
	Source string // one of the Source constants
	File   string // where it was found; "" for the environment
	Line   int    // 1-based line in File; 0 if unknown

	// Name is what the repository would be called in lockwatch: the
	// source's own name for it, made acceptable to config (see SanitizeName).
	Name string

	Repository      string
	RepositoryFile  string
	PasswordFile    string
	PasswordCommand string
	// Password is a plain-text password held by the source (Backrest,
	// autorestic, RESTIC_PASSWORD). SECRET: it goes to the OS keyring only.
	Password Secret
	// Env holds the backend's extra environment (cloud credentials …),
	// without the RESTIC_* variables that lockwatch sets from the fields
	// above. SECRET values.
	Env map[string]Secret

	// AutoUnlock is what the source implies for auto_unlock ("" when it
	// says nothing); Notes say why.
	AutoUnlock config.AutoUnlock
	// resticprofile's status file and the profile in it.
	ResticprofileStatus  string
	ResticprofileProfile string

	// Also lists other places the same repository was found.
	Also []Origin
	// Notes are what the user should know before importing: settings
	// that could not be carried over, how a source's setting was mapped.
	// They never contain secrets.
	Notes []Note
}

// Origin returns where f was found.
func (f Found) Origin() Origin { return Origin{Source: f.Source, File: f.File, Line: f.Line} }

// Location is the repository for display, with a password in a URL hidden.
func (f Found) Location() string {
	r := config.Repo{Repository: f.Repository, RepositoryFile: f.RepositoryFile}
	return r.Location()
}

// PasswordKind is how restic gets the password: "file", "command",
// "plain" (found in plain text) or "" (none found).
func (f Found) PasswordKind() string {
	switch {
	case f.PasswordFile != "":
		return "file"
	case f.PasswordCommand != "":
		return "command"
	case f.Password != "":
		return "plain"
	}
	return ""
}

// PasswordSource says how restic gets the password, without revealing it.
func (f Found) PasswordSource() string {
	switch {
	case f.PasswordFile != "":
		return "file " + f.PasswordFile
	case f.PasswordCommand != "":
		return "command" // the command line may carry a token
	case f.Password != "":
		return "plain text (to go to the keyring)"
	}
	return "none found"
}

// String describes f without any secret, so logging a Found (or a slice of
// them) with %v is safe.
func (f Found) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %s (%s", f.Name, f.Location(), f.Origin())
	for _, o := range f.Also {
		b.WriteString("; also " + o.String())
	}
	b.WriteString("; password: " + f.PasswordSource())
	if len(f.Env) > 0 {
		b.WriteString("; env: " + strings.Join(envKeys(f.Env), ", "))
	}
	if f.AutoUnlock != "" {
		b.WriteString("; auto_unlock: " + string(f.AutoUnlock))
	}
	if f.ResticprofileStatus != "" {
		fmt.Fprintf(&b, "; status: %s profile %q", f.ResticprofileStatus, f.ResticprofileProfile)
	}
	b.WriteString(")")
	for _, n := range f.Notes {
		b.WriteString("\n  note: " + n.String())
	}
	return b.String()
}

// GoString is like String, for %#v.
func (f Found) GoString() string { return "discover.Found{" + f.String() + "}" }

// LogValue logs f as String does.
func (f Found) LogValue() slog.Value { return slog.StringValue(f.String()) }

// Repo returns f as the [[repo]] table an import adds. A plain-text
// password becomes password_keyring = true: the caller must first store
// f.Password in the keyring under r.Name.
func (f Found) Repo() config.Repo {
	r := config.Repo{
		Name:                 f.Name,
		Repository:           f.Repository,
		RepositoryFile:       f.RepositoryFile,
		PasswordFile:         f.PasswordFile,
		PasswordCommand:      f.PasswordCommand,
		PasswordKeyring:      f.PasswordFile == "" && f.PasswordCommand == "" && f.Password != "",
		AutoUnlock:           f.AutoUnlock,
		ResticprofileStatus:  f.ResticprofileStatus,
		ResticprofileProfile: f.ResticprofileProfile,
	}
	if len(f.Env) > 0 {
		r.Env = make(map[string]string, len(f.Env))
		for k, v := range f.Env {
			r.Env[k] = string(v)
		}
	}
	return r
}

func envKeys(env map[string]Secret) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Skipped is something that looks like a repository but cannot be
// resolved without guessing: a template, an include, an HCL file, a
// backend lockwatch does not know. Reason says which, in English, and ID
// and Facts the same for the app (the Skip… IDs); none holds a secret.
type Skipped struct {
	Source string
	File   string
	Line   int
	Reason string
	ID     string
	Facts  map[string]string
}

// skip is what was skipped at file:line of source, and why.
func skip(source, file string, line int, why Note) Skipped {
	return Skipped{Source: source, File: file, Line: line, Reason: why.Text, ID: why.ID, Facts: why.Facts}
}

func (s Skipped) String() string {
	o := Origin{Source: s.Source, File: s.File, Line: s.Line}
	return o.String() + ": " + s.Reason
}

// SourceError is a source that could not be read (a broken file, a
// crontab that would not list); the other sources are read regardless.
type SourceError struct {
	Source string
	Err    error // a *config.Error when a file is at fault: it names file and line
}

func (e *SourceError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }
