package discover

import (
	"strings"
	"unicode"
)

// restic's environment variables, the same whichever tool sets them.

// applyEnv files one environment variable given to restic into f. The
// five variables lockwatch sets itself become fields; the rest goes to
// f.Env if it is the backend's (carryAll: a tool's per-repository env,
// where everything was put there for restic) or, in a general environment
// (a unit, a crontab, the shell), only if it is a credential or setting
// restic's backends read.
func applyEnv(f *Found, key, value string, carryAll bool) {
	switch key {
	case "RESTIC_REPOSITORY":
		f.Repository = value
	case "RESTIC_REPOSITORY_FILE":
		f.RepositoryFile = value
	case "RESTIC_PASSWORD":
		f.Password = Secret(value)
	case "RESTIC_PASSWORD_FILE":
		f.PasswordFile = value
	case "RESTIC_PASSWORD_COMMAND":
		f.PasswordCommand = value
	default:
		if carryAll || backendEnv(key) {
			if f.Env == nil {
				f.Env = map[string]Secret{}
			}
			f.Env[key] = Secret(value)
		}
	}
}

// backendEnvPrefixes are the variables restic's backends read: S3, B2,
// Azure, Google Cloud Storage, Swift (OS_, ST_) and rclone.
var backendEnvPrefixes = []string{"AWS_", "B2_", "AZURE_", "GOOGLE_", "OS_", "ST_", "RCLONE_"}

// resticAccessEnv are restic's own variables, besides the five above,
// that change whether it can reach a repository.
var resticAccessEnv = map[string]bool{
	"RESTIC_REST_USERNAME": true, "RESTIC_REST_PASSWORD": true,
	"RESTIC_CACERT": true, "RESTIC_TLS_CLIENT_CERT": true, "RESTIC_KEY_HINT": true,
}

func backendEnv(key string) bool {
	if resticAccessEnv[key] {
		return true
	}
	for _, p := range backendEnvPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// settle resolves what restic itself would do when a source sets more than
// one of a kind, and notes what cannot be imported as it is.
func settle(f *Found) {
	if f.Password != "" && (f.PasswordFile != "" || f.PasswordCommand != "") {
		// restic prefers the file or command; the plain-text copy is not needed.
		f.Password = ""
		f.note(NotePlainAlso, "a plain-text password is also set, but restic uses the password file or command: it is not imported")
	}
	if f.PasswordFile != "" && f.PasswordCommand != "" {
		f.note(NoteFileAndCommand, "both a password file and a password command are set, which restic refuses: keep one when importing")
	}
	if f.Repository != "" && f.RepositoryFile != "" {
		f.note(NoteRepoAndFile, "both a repository and a repository file are set, which restic refuses: keep one when importing")
	}
	if f.PasswordFile == "" && f.PasswordCommand == "" && f.Password == "" {
		f.note(NoteNoPassword, "no password source found: type its password when importing (it goes to the OS keyring)")
	}
}

func isEnvName(s string) bool {
	if s == "" || unicode.IsDigit(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if r != '_' && !('A' <= r && r <= 'Z') && !('a' <= r && r <= 'z') && !('0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
