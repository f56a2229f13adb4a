package discover

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/service/config"
)

// The import: what discovery found, offered against lockwatch's config,
// and added through the settings' own writer (the service's when one
// runs), so that an import is exactly what typing the same repositories
// into the settings window would do.

// Candidate is a found repository as an import offers it.
type Candidate struct {
	Found
	// Configured names the repository in lockwatch's config at the same
	// location ("" when there is none): such a candidate is never added
	// again.
	Configured string
	// Missing is the folder of a local repository that is not there (""
	// when it is, or when it is remote and not looked at): a profile that
	// is only other profiles' template, a disk not plugged in. Such a
	// candidate is imported only when the user picks it.
	Missing string
}

// NeedsPassword reports whether the source gave no password source: the
// user types the password when importing (it goes to the OS keyring).
func (c Candidate) NeedsPassword() bool {
	return c.PasswordFile == "" && c.PasswordCommand == "" && c.Password == ""
}

// NeedsKeyring reports whether importing c stores a password in the OS
// keyring: one found in plain text, or one the user types.
func (c Candidate) NeedsKeyring() bool {
	return c.PasswordFile == "" && c.PasswordCommand == ""
}

// Offer returns found as an import offers it: each marked with the
// configured repository at its location, and the names of the others made
// unique against the names cfg already uses (nas → nas-2).
func Offer(found []Found, cfg *config.Config) []Candidate {
	used := map[string]bool{}
	if cfg != nil {
		for _, r := range cfg.Repos {
			used[r.Name] = true
		}
	}
	out := make([]Candidate, 0, len(found))
	for _, f := range found {
		c := Candidate{Found: f, Configured: ConfiguredAs(f, cfg)}
		if c.Configured == "" {
			c.Missing = missingLocal(f)
			base := c.Name
			for n := 2; used[c.Name]; n++ {
				c.Name = fmt.Sprintf("%s-%d", base, n)
			}
			used[c.Name] = true
		}
		out = append(out, c)
	}
	return out
}

// missingLocal is the folder of f's repository if it is local and has no
// restic config file ("" otherwise).
func missingLocal(f Found) string {
	if f.Repository == "" || hasBackendPrefix(f.Repository) {
		return ""
	}
	home, _ := os.UserHomeDir()
	dir := cleanLocal(strings.TrimPrefix(f.Repository, "local:"), home)
	if _, err := os.Stat(filepath.Join(dir, "config")); errors.Is(err, fs.ErrNotExist) {
		return dir
	}
	return ""
}

// StatusDirs are the folders of the resticprofile status files cfg reads
// (nil for a nil cfg): resticprofile's config is often kept beside them,
// so Options.ResticprofileDirs searches them.
func StatusDirs(cfg *config.Config) []string {
	if cfg == nil {
		return nil
	}
	var dirs []string
	for _, r := range cfg.Repos {
		if r.ResticprofileStatus != "" {
			dirs = append(dirs, filepath.Dir(r.ResticprofileStatus))
		}
	}
	return dirs
}

// Adder adds a repository to lockwatch's config, as the settings window
// does: api.SettingsBackend (the running service, or the daemon in this
// process) is one. Invalid input comes back as field errors.
type Adder interface {
	AddRepo(ctx context.Context, in config.RepoInput) (config.ConfigView, config.FieldErrors, error)
}

// ImportOptions are the user's answers for one candidate.
type ImportOptions struct {
	// Password is the password typed for a candidate that has none
	// (NeedsPassword). SECRET: it goes to the OS keyring only.
	Password string
	// PasswordDir, when set, is where a password that would go to the OS
	// keyring is written instead (a file only the user can read, named
	// after the repository), because the user chose that when told no
	// keyring is available.
	PasswordDir string
}

// ErrAlreadyConfigured is Import's answer for a candidate whose location
// lockwatch already watches.
var ErrAlreadyConfigured = errors.New("already configured")

// ErrNoPassword is Import's answer for a candidate without a password
// source when none was typed.
var ErrNoPassword = errors.New("no password source found: type its password, or add it in Settings")

// Import adds c to lockwatch's config through a. A password found in
// plain text (or typed) goes to the OS keyring, or with opts.PasswordDir
// to a file there; a password file or command is referenced, never
// copied. It returns the repository as the config now holds it; the error
// of a refused input names the fields, never a secret.
func Import(ctx context.Context, a Adder, c Candidate, opts ImportOptions) (config.RepoView, error) {
	if c.Configured != "" {
		return config.RepoView{}, fmt.Errorf("%w as %q", ErrAlreadyConfigured, c.Configured)
	}
	in := c.Input()
	if c.NeedsPassword() {
		if opts.Password == "" {
			return config.RepoView{}, ErrNoPassword
		}
		in.Password = opts.Password
	}
	written := ""
	if in.PasswordKeyring && opts.PasswordDir != "" {
		file, err := WritePasswordFile(opts.PasswordDir, in.Name, in.Password)
		if err != nil {
			return config.RepoView{}, err
		}
		in.PasswordKeyring, in.Password, in.PasswordFile = false, "", file
		written = file
	}
	view, fields, err := a.AddRepo(ctx, in)
	if err == nil && len(fields) > 0 {
		err = errors.New(fields.String())
	}
	if err != nil {
		if written != "" {
			os.Remove(written) // no password is left on disk for a repository not added
		}
		return config.RepoView{}, err
	}
	r, _ := view.Repo(in.Name)
	return r, nil
}

// Input is c as the settings' form would send it: the name, the location,
// the password source, env, auto-unlock and resticprofile's status file.
// It carries secrets (a plain-text password, env values) inward only.
func (f Found) Input() config.RepoInput {
	r := f.Repo()
	in := config.RepoInput{
		Name:                 r.Name,
		Repository:           r.Repository,
		RepositoryFile:       r.RepositoryFile,
		PasswordFile:         r.PasswordFile,
		PasswordCommand:      r.PasswordCommand,
		PasswordKeyring:      r.PasswordFile == "" && r.PasswordCommand == "",
		Password:             string(f.Password),
		Env:                  r.Env,
		AutoUnlock:           r.AutoUnlock,
		ResticprofileStatus:  r.ResticprofileStatus,
		ResticprofileProfile: r.ResticprofileProfile,
	}
	if !in.PasswordKeyring {
		in.Password = "" // a file or command is the source; a plain one beside it stays behind
	}
	return in
}

// PasswordDir is where an import writes passwords when the user chose
// files over an OS keyring that is not there: beside the config file.
func PasswordDir(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), "passwords")
}

// WritePasswordFile writes password to a new file in dir named after the
// repository (mode 0600, the directory 0700) and returns its path. It never
// replaces a file: another repository's password may be in it (one renamed
// since, or a name that maps to the same file name), so a taken name gets
// -2, -3 …
func WritePasswordFile(dir, name, password string) (string, error) {
	if password == "" {
		return "", errors.New("no password to write")
	}
	if strings.TrimSpace(password) != password {
		// restic trims a password file's content: this one would not open the repository.
		return "", errors.New("the password begins or ends with white space, which restic drops from a password file; choose the OS keyring for it")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the password directory: %w", err)
	}
	base := fileName(name)
	for n := 1; n < 1000; n++ {
		path := filepath.Join(dir, base)
		if n > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d", base, n))
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("writing the password file %s: %w", path, err)
		}
		_, err = f.WriteString(password + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("writing the password file %s: %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("no free file name for %q's password in %s", name, dir)
}

// fileName keeps the letters, digits, '.', '-' and '_' of a repository
// name, so that the name is a file name on every system.
func fileName(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	if strings.Trim(s, ".") == "" {
		s = "repo"
	}
	return s
}
