package discover

import "strings"

// FromEnviron reads the repository restic would use in an environment
// (os.Environ()): RESTIC_REPOSITORY or RESTIC_REPOSITORY_FILE, the password
// variables, and the backends' credentials. Other variables are left out.
func FromEnviron(environ []string) []Found {
	f := Found{Source: SourceEnv}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			applyEnv(&f, k, v, false)
		}
	}
	if f.Repository == "" && f.RepositoryFile == "" {
		return nil
	}
	f.Name = nameFromLocation(f.Repository+f.RepositoryFile, "environment")
	settle(&f)
	return []Found{f}
}
