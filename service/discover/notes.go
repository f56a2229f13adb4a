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

// NoteIDs are every note's ID, for the app's test that it says each.
var NoteIDs = []string{NoteEnvFileUnreadable, NoteEnvFilePassword, NoteNoKey, NoteOptions, NoteRESTCredentials,
	NoteEnvEntry, NoteEnvRef, NoteFlags, NoteBackrestUnlock, NotePasswordFrom, NoteOtherPassword, NoteOtherEnv,
	NotePlainAlso, NoteFileAndCommand, NoteRepoAndFile, NoteNoPassword, NoteStatusRelative, NoteUnreadable, NoteRunsAs}

// note adds a note to f: its ID, its English, and its facts as pairs of
// name and value.
func (f *Found) note(id, text string, facts ...string) {
	f.Notes = append(f.Notes, newNote(id, text, facts...))
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
