package discover

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// A repository is the same when its location is: a local path after ~ and
// $VARIABLES are expanded and the path cleaned, a remote one without a
// trailing slash. Two tools pointing at one repository must give one
// entry, and a repository lockwatch already watches must not be added again.

// backendPrefixes are restic's location prefixes of non-local backends.
var backendPrefixes = []string{"sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:"}

func hasBackendPrefix(loc string) bool {
	for _, p := range backendPrefixes {
		if strings.HasPrefix(loc, p) {
			return true
		}
	}
	return false
}

// locationKey is what two entries for the same repository have in common;
// "" if neither a repository nor a repository file is given.
func locationKey(repository, repositoryFile, home string) string {
	switch {
	case repository != "" && hasBackendPrefix(repository):
		return "repo " + strings.TrimRight(repository, "/")
	case repository != "":
		return "repo " + cleanLocal(strings.TrimPrefix(repository, "local:"), home)
	case repositoryFile != "":
		return "file " + cleanLocal(repositoryFile, home)
	}
	return ""
}

func cleanLocal(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`)) {
		p = home + p[1:]
	}
	p = os.Expand(p, func(name string) string {
		if name == "HOME" && home != "" {
			return home
		}
		return os.Getenv(name)
	})
	return filepath.Clean(p)
}

// Dedup merges entries for the same repository: the first one stays (the
// sources are read richest first), the others are listed in its Also, and
// what it lacks — a password source, env variables, a status file — is
// taken from them. Where they disagree, a note says so; no secret is shown.
// home expands ~ in local paths.
func Dedup(found []Found, home string) []Found {
	var out []Found
	index := map[string]int{}
	for _, f := range found {
		key := locationKey(f.Repository, f.RepositoryFile, home)
		i, dup := index[key]
		if !dup || key == "" {
			index[key] = len(out)
			out = append(out, f)
			continue
		}
		merge(&out[i], f)
	}
	return out
}

func merge(into *Found, dup Found) {
	if dup.Origin() == into.Origin() {
		return // one line that runs restic twice on the same repository
	}
	for _, o := range append([]Origin{dup.Origin()}, dup.Also...) {
		if o != into.Origin() && !slices.Contains(into.Also, o) {
			into.Also = append(into.Also, o)
		}
	}
	from := dup.Origin().String()
	hasPassword := func(f *Found) bool { return f.PasswordFile != "" || f.PasswordCommand != "" || f.Password != "" }
	switch {
	case !hasPassword(into) && hasPassword(&dup):
		into.PasswordFile, into.PasswordCommand, into.Password = dup.PasswordFile, dup.PasswordCommand, dup.Password
		into.Notes = dropNote(into.Notes, NoteNoPassword)
		into.note(NotePasswordFrom, "the password source comes from "+from, "From", from)
	case hasPassword(&dup) && (into.PasswordFile != dup.PasswordFile || into.PasswordCommand != dup.PasswordCommand || into.Password != dup.Password):
		into.note(NoteOtherPassword, fmt.Sprintf("%s gives another password source (%s); this one is kept", from, dup.PasswordSource()),
			"From", from, "Kind", dup.PasswordKind(), "File", dup.PasswordFile)
	}
	for _, k := range envKeys(dup.Env) {
		switch v, has := into.Env[k]; {
		case !has:
			if into.Env == nil {
				into.Env = map[string]Secret{}
			}
			into.Env[k] = dup.Env[k]
		case v != dup.Env[k]:
			into.note(NoteOtherEnv, fmt.Sprintf("env %s has another value in %s; this one is kept", k, from), "Name", k, "From", from)
		}
	}
	if into.ResticprofileStatus == "" && dup.ResticprofileStatus != "" {
		into.ResticprofileStatus, into.ResticprofileProfile = dup.ResticprofileStatus, dup.ResticprofileProfile
	}
	if into.AutoUnlock == "" && dup.AutoUnlock != "" {
		into.AutoUnlock = dup.AutoUnlock
	}
	for _, n := range dup.Notes {
		if n.ID != NoteNoPassword {
			n.From = dup.Source
			into.Notes = append(into.Notes, n)
		}
	}
}

func dropNote(notes []Note, id string) []Note {
	out := notes[:0:0]
	for _, n := range notes {
		if n.ID != id {
			out = append(out, n)
		}
	}
	return out
}

// ConfiguredAs returns the name of the repository in cfg that f points at
// ("" if none): the same repository location (local paths cleaned and with
// ~ expanded, a trailing slash on remote ones ignored), or the same
// repository file.
func ConfiguredAs(f Found, cfg *config.Config) string {
	if cfg == nil {
		return ""
	}
	home, _ := os.UserHomeDir()
	key := locationKey(f.Repository, f.RepositoryFile, home)
	if key == "" {
		return ""
	}
	for _, r := range cfg.Repos {
		if locationKey(r.Repository, r.RepositoryFile, home) == key {
			return r.Name
		}
	}
	return ""
}
