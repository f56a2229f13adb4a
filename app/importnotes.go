package app

import (
	"fyne.io/fyne/v2/lang"

	"github.com/lockwatch/lockwatch/app/present"
	"github.com/lockwatch/lockwatch/service/discover"
)

// noteText says an import note in the user's language from its ID and
// facts; ok is false for a note this app does not know, which is said in
// the English the service wrote.
func noteText(n discover.Note) (text string, ok bool) {
	f := present.Facts(n.Facts)
	switch n.ID {
	case discover.NoteEnvFileUnreadable:
		text = lang.X("note.env-file-unreadable", "{{.Path}} could not be read ({{.Error}}): autorestic may take the password or credentials from it", f)
	case discover.NoteEnvFilePassword:
		text = lang.X("note.env-file-password", "the password comes from .autorestic.env ({{.Var}}){{if .Preferred}}, which autorestic prefers to the one in the file{{end}}", f)
	case discover.NoteNoKey:
		text = lang.X("note.autorestic-no-key", "no key in the file: autorestic takes it from {{.Var}} or .autorestic.env", f)
	case discover.NoteOptions:
		text = lang.X("note.autorestic-options", "the backend's options (extra restic flags) are not carried over: lockwatch's config has no place for them")
	case discover.NoteRESTCredentials:
		text = lang.X("note.rest-credentials", "the REST user and password are passed as RESTIC_REST_USERNAME and RESTIC_REST_PASSWORD (restic 0.16.1 or later), not in the URL")
	case discover.NoteEnvEntry:
		text = lang.X("note.env-entry-malformed", "env entry #{{.N}} is not KEY=VALUE: left out", f)
	case discover.NoteEnvRef:
		text = lang.X("note.env-refers-to-backrest", "env {{.Name}} refers to a variable in Backrest's own environment: left out, set it yourself", f)
	case discover.NoteFlags:
		text = lang.X("note.flags-not-carried", "restic flags not carried over, as lockwatch's config has no place for them (the repository may need them to be reached): {{.Flags}}", f)
	case discover.NoteBackrestUnlock:
		text = lang.X("note.backrest-auto-unlock", `Backrest's autoUnlock becomes auto_unlock = "stale": lockwatch removes only locks whose process is gone, where Backrest removed every lock before its own runs`)
	case discover.NotePasswordFrom:
		text = lang.X("note.password-from", "the password source comes from {{.From}}", f)
	case discover.NoteOtherPassword:
		f["Source"] = passwordSource(n.Facts["Kind"], n.Facts["File"])
		text = lang.X("note.other-password", "{{.From}} gives another password source ({{.Source}}); this one is kept", f)
	case discover.NoteOtherEnv:
		text = lang.X("note.other-env", "env {{.Name}} has another value in {{.From}}; this one is kept", f)
	case discover.NotePlainAlso:
		text = lang.X("note.plain-password-also-set", "a plain-text password is also set, but restic uses the password file or command: it is not imported")
	case discover.NoteFileAndCommand:
		text = lang.X("note.password-file-and-command", "both a password file and a password command are set, which restic refuses: keep one when importing")
	case discover.NoteRepoAndFile:
		text = lang.X("note.repository-and-file", "both a repository and a repository file are set, which restic refuses: keep one when importing")
	case discover.NoteNoPassword:
		text = lang.X("note.no-password", "no password source found: type its password when importing (it goes to the OS keyring)")
	case discover.NoteStatusRelative:
		text = lang.X("note.status-file-relative", "the status-file is relative to the directory resticprofile runs in: not wired up")
	case discover.NoteUnreadable:
		text = lang.X("note.file-unreadable", "{{.What}} {{.Path}} could not be read: {{.Error}}", f)
	case discover.NoteRunsAs:
		text = lang.X("note.runs-as-user", "the unit runs as user {{.User}} (User=): the repository and its password source may be readable by that user only", f)
	default:
		return n.String(), false
	}
	if n.From != "" {
		text = n.From + ": " + text
	}
	return text, true
}

// passwordSource says how restic gets a password, without revealing it:
// kind is "file" (at path), "command", "plain" (found in plain text) or
// "" (none found).
func passwordSource(kind, path string) string {
	switch kind {
	case "file":
		return lang.L("file {{.Path}}", map[string]any{"Path": path})
	case "command":
		return lang.L("command")
	case "plain":
		return lang.L("plain text (to go to the keyring)")
	}
	return lang.L("none found")
}
