package discover

// Note is something the user should know before importing a repository:
// in English (Text, as the CLI prints it) and as a message ID with its
// facts, for the app to say in its user's language. A note carried over
// from another place the same repository was found names that source in
// From. Notes never contain secrets.
type Note struct {
	ID    string
	Facts map[string]string
	Text  string
	From  string
}

func (n Note) String() string {
	if n.From != "" {
		return n.From + ": " + n.Text
	}
	return n.Text
}

// The notes' IDs, with their facts.
const (
	NoteEnvFileUnreadable = "env-file-unreadable"       // Path, Error
	NoteEnvFilePassword   = "env-file-password"         // Var, Preferred ("yes" when the file's key lost)
	NoteNoKey             = "autorestic-no-key"         // Var
	NoteOptions           = "autorestic-options"        //
	NoteRESTCredentials   = "rest-credentials"          //
	NoteEnvEntry          = "env-entry-malformed"       // N
	NoteEnvRef            = "env-refers-to-backrest"    // Name
	NoteFlags             = "flags-not-carried"         // Flags
	NoteBackrestUnlock    = "backrest-auto-unlock"      //
	NotePasswordFrom      = "password-from"             // From
	NoteOtherPassword     = "other-password"            // From, Kind (file, command, plain), File
	NoteOtherEnv          = "other-env"                 // Name, From
	NotePlainAlso         = "plain-password-also-set"   //
	NoteFileAndCommand    = "password-file-and-command" //
	NoteRepoAndFile       = "repository-and-file"       //
	NoteNoPassword        = "no-password"               //
	NoteStatusRelative    = "status-file-relative"      //
	NoteUnreadable        = "file-unreadable"           // What (drop-in, EnvironmentFile), Path, Error
	NoteRunsAs            = "runs-as-user"              // User
)

// The IDs of the reasons something was skipped (Skipped.ID), with their
// facts. A quoted fact (Backend, Type, Repo, Profile) is Go-quoted, as the
// English shows it.
const (
	SkipAutoresticNotMap    = "autorestic-not-a-map"       // Backend
	SkipAutoresticNoPath    = "autorestic-no-path"         // Backend
	SkipAutoresticNotURL    = "autorestic-rest-not-url"    // Backend
	SkipAutoresticNoType    = "autorestic-no-type"         // Backend
	SkipAutoresticType      = "autorestic-unknown-type"    // Backend, Type
	SkipBackrestNotObject   = "backrest-not-an-object"     // Index
	SkipBackrestNoURI       = "backrest-no-uri"            // Index, Repo ("" without an id)
	SkipBackrestURIVariable = "backrest-uri-variable"      // Index, Repo
	SkipFlagVariables       = "flags-refer-to-variables"   // Vars
	SkipNoRepository        = "no-repository"              //
	SkipCronQuote           = "cron-unterminated-quote"    //
	SkipExecQuote           = "exec-unterminated-quote"    //
	SkipEnvQuote            = "env-unterminated-quote"     //
	SkipFlagSpecifier       = "flags-systemd-specifier"    // Specifier
	SkipEnvSpecifier        = "env-systemd-specifier"      // Name, Specifier
	SkipEnvFileSpecifier    = "envfile-systemd-specifier"  // Specifier
	SkipSettingsUnreadable  = "settings-unreadable"        //
	SkipHCL                 = "resticprofile-hcl"          //
	SkipTemplatesFile       = "resticprofile-templates"    //
	SkipIncludes            = "resticprofile-includes"     //
	SkipInheritLoop         = "resticprofile-inherit-loop" // Chain
	SkipInheritMissing      = "resticprofile-no-parent"    // Profile
	SkipMixins              = "resticprofile-mixins"       //
	SkipTemplate            = "resticprofile-template"     // What, Template
	SkipRepoVariables       = "resticprofile-repo-variables"
	SkipRepoRelative        = "resticprofile-repo-relative"
	// Any of them may add Sourced ("yes": the cron line reads a file with
	// . or source) or Unreadable (the unit's files that could not be read,
	// in English).
)

// SkipIDs are every skip reason's ID, for the app's test that it says each.
var SkipIDs = []string{SkipAutoresticNotMap, SkipAutoresticNoPath, SkipAutoresticNotURL, SkipAutoresticNoType, SkipAutoresticType,
	SkipBackrestNotObject, SkipBackrestNoURI, SkipBackrestURIVariable, SkipFlagVariables, SkipNoRepository,
	SkipCronQuote, SkipExecQuote, SkipEnvQuote, SkipFlagSpecifier, SkipEnvSpecifier, SkipEnvFileSpecifier, SkipSettingsUnreadable,
	SkipHCL, SkipTemplatesFile, SkipIncludes, SkipInheritLoop, SkipInheritMissing, SkipMixins, SkipTemplate, SkipRepoVariables, SkipRepoRelative}

// NoteIDs are every note's ID, for the app's test that it says each.
var NoteIDs = []string{NoteEnvFileUnreadable, NoteEnvFilePassword, NoteNoKey, NoteOptions, NoteRESTCredentials,
	NoteEnvEntry, NoteEnvRef, NoteFlags, NoteBackrestUnlock, NotePasswordFrom, NoteOtherPassword, NoteOtherEnv,
	NotePlainAlso, NoteFileAndCommand, NoteRepoAndFile, NoteNoPassword, NoteStatusRelative, NoteUnreadable, NoteRunsAs}

// note adds a note to f: its ID, its English, and its facts as pairs of
// name and value.
func (f *Found) note(id, text string, facts ...string) {
	f.Notes = append(f.Notes, newNote(id, text, facts...))
}

// also is n with one more fact, and its English with more words.
func (n Note) also(fact, value, more string) Note {
	facts := map[string]string{fact: value}
	for k, v := range n.Facts {
		facts[k] = v
	}
	n.Facts, n.Text = facts, n.Text+more
	return n
}

func newNote(id, text string, facts ...string) Note {
	n := Note{ID: id, Text: text}
	if len(facts) > 0 {
		n.Facts = map[string]string{}
		for i := 0; i+1 < len(facts); i += 2 {
			n.Facts[facts[i]] = facts[i+1]
		}
	}
	return n
}
