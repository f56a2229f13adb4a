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

// skipReason says why the import skipped something, in the user's
// language from its ID and facts; ok is false for a reason this app does
// not know, which is said in the service's English.
func skipReason(s discover.Skipped) (text string, ok bool) {
	f := present.Facts(s.Facts)
	f["Braces"] = "{{ … }}"
	switch s.ID {
	case discover.SkipAutoresticNotMap:
		text = lang.X("skip.autorestic-not-a-map", "backend {{.Backend}} is not a map", f)
	case discover.SkipAutoresticNoPath:
		text = lang.X("skip.autorestic-no-path", "backend {{.Backend}} has no path", f)
	case discover.SkipAutoresticNotURL:
		text = lang.X("skip.autorestic-rest-not-url", "backend {{.Backend}}: path is not a URL", f)
	case discover.SkipAutoresticNoType:
		text = lang.X("skip.autorestic-no-type", "backend {{.Backend}} has no type", f)
	case discover.SkipAutoresticType:
		text = lang.X("skip.autorestic-unknown-type", "backend {{.Backend}} has type {{.Type}}, which is not a backend lockwatch knows", f)
	case discover.SkipBackrestNotObject:
		text = lang.X("skip.backrest-not-an-object", "repos[{{.Index}}] is not an object", f)
	case discover.SkipBackrestNoURI:
		text = lang.X("skip.backrest-no-uri", "{{if .Repo}}repo {{.Repo}}{{else}}repos[{{.Index}}]{{end}} has no uri", f)
	case discover.SkipBackrestURIVariable:
		text = lang.X("skip.backrest-uri-variable", "{{if .Repo}}repo {{.Repo}}{{else}}repos[{{.Index}}]{{end}}'s uri refers to an environment variable (${…}) that Backrest fills in from its own environment", f)
	case discover.SkipFlagVariables:
		text = lang.X("skip.flags-refer-to-variables", "restic's flags refer to {{.Vars}}, which is set somewhere lockwatch cannot see", f)
	case discover.SkipNoRepository:
		text = lang.X("skip.no-repository", "runs restic without a repository (-r) and sets no RESTIC_REPOSITORY")
	case discover.SkipCronQuote:
		text = lang.X("skip.cron-unterminated-quote", "a restic command with an unterminated quote")
	case discover.SkipExecQuote:
		text = lang.X("skip.exec-unterminated-quote", "ExecStart has an unterminated quote")
	case discover.SkipEnvQuote:
		text = lang.X("skip.env-unterminated-quote", "Environment= has an unterminated quote")
	case discover.SkipFlagSpecifier:
		text = lang.X("skip.flags-systemd-specifier", "restic's flags use the systemd specifier {{.Specifier}}, which lockwatch does not resolve", f)
	case discover.SkipEnvSpecifier:
		text = lang.X("skip.env-systemd-specifier", "{{.Name}} uses the systemd specifier {{.Specifier}}, which lockwatch does not resolve", f)
	case discover.SkipEnvFileSpecifier:
		text = lang.X("skip.envfile-systemd-specifier", "EnvironmentFile uses the systemd specifier {{.Specifier}}, which lockwatch does not resolve", f)
	case discover.SkipSettingsUnreadable:
		text = lang.X("skip.settings-unreadable", "mentions restic, but its settings may be in a file that could not be read")
	case discover.SkipHCL:
		text = lang.X("skip.resticprofile-hcl", "HCL configurations are not read; a TOML, YAML or JSON one would be")
	case discover.SkipTemplatesFile:
		text = lang.X("skip.resticprofile-templates", "uses templates ({{.Braces}}) that lockwatch does not evaluate, and cannot be read without them", f)
	case discover.SkipIncludes:
		text = lang.X("skip.resticprofile-includes", "includes other files, which may change any profile: not read")
	case discover.SkipInheritLoop:
		text = lang.X("skip.resticprofile-inherit-loop", "inherit loop: {{.Chain}}", f)
	case discover.SkipInheritMissing:
		text = lang.X("skip.resticprofile-no-parent", "inherits from profile {{.Profile}}, which is not in the file", f)
	case discover.SkipMixins:
		text = lang.X("skip.resticprofile-mixins", "uses mixins (use), which lockwatch does not apply")
	case discover.SkipTemplate:
		text = lang.X("skip.resticprofile-template", "{{.What}} uses the template {{.Template}}, which lockwatch does not evaluate", f)
	case discover.SkipRepoVariables:
		text = lang.X("skip.resticprofile-repo-variables", "the repository refers to environment variables that resticprofile expands when it runs")
	case discover.SkipRepoRelative:
		text = lang.X("skip.resticprofile-repo-relative", "the repository is a relative path, resolved from the directory resticprofile is started in")
	default:
		return s.Reason, false
	}
	if s.Facts["Sourced"] != "" {
		text += lang.X("skip.sourced", " (the command reads a file with . or source, which may set it)")
	}
	if u := s.Facts["Unreadable"]; u != "" {
		text += " (" + u + ")" // the files' own errors, as they came
	}
	return text, true
}
