// Package discover finds the restic repositories a user already has set up
// in other tools — Backrest, resticprofile, autorestic, systemd units,
// crontabs, the environment — so that lockwatch can offer to watch them.
//
// Each source has a reader of its own (ReadBackrest, ReadResticprofile,
// ReadAutorestic, ReadSystemdUnit, ParseCrontab, FromEnviron) that takes
// explicit input; Discover runs them all on the places those tools keep
// their configuration. Readers only read: writing the config and the
// keyring is the importer's job.
//
// Nothing is guessed: what cannot be resolved (templates, includes,
// unknown backends) comes back as Skipped with the reason. Secrets found in
// plain text stay in Secret values that never print; messages name file
// and line but never quote a value.
package discover

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Options says where Discover looks. The zero value looks where the tools
// keep their configuration for the current user.
type Options struct {
	// Home is the user's home directory; "" means os.UserHomeDir().
	Home string
	// Environ is the environment the tools' locations are taken from
	// (XDG_CONFIG_HOME, BACKREST_CONFIG, APPDATA …) and the env source
	// reads; nil means os.Environ().
	Environ []string
	// WorkDir, if set, is searched too, as resticprofile and autorestic
	// search the directory they are started in.
	WorkDir string
	// Root is prepended to system-wide paths (/etc/…), so tests can point
	// them at a directory of fixtures; "" means the real ones.
	Root string
	// GOOS selects the locations of that system; "" means runtime.GOOS.
	GOOS string
	// Crontab returns the user's crontab, as `crontab -l` prints it; nil
	// runs crontab -l. ("", nil) means there is none.
	Crontab func(ctx context.Context) (string, error)
	// Sources limits discovery to these sources; empty means all.
	Sources []string
	// ResticprofileDirs are searched for resticprofile's profiles too: the
	// folders of the status files lockwatch already reads, as its config is
	// often kept beside them.
	ResticprofileDirs []string
}

// Discover reads every source and returns the repositories found, one
// entry per repository location (see Dedup) with names made unique; what
// was skipped; and an error per file or source that could not be read,
// which never stops the others. Missing files are not errors.
func Discover(ctx context.Context, opts Options) (found []Found, skipped []Skipped, errs []error) {
	opts = opts.withDefaults()
	env := lookupIn(opts.Environ)
	report := func(source string, f []Found, s []Skipped, err error) {
		found = append(found, f...)
		skipped = append(skipped, s...)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, &SourceError{Source: source, Err: err})
		}
	}
	readAll := func(source string, paths []string, read func(string) ([]Found, []Skipped, error)) {
		for _, p := range paths {
			f, s, err := read(p)
			report(source, f, s, err)
		}
	}
	for _, source := range Sources {
		if len(opts.Sources) > 0 && !slices.Contains(opts.Sources, source) {
			continue
		}
		switch source {
		case SourceBackrest:
			readAll(source, opts.backrestPaths(env), ReadBackrest)
		case SourceResticprofile:
			readAll(source, opts.resticprofilePaths(env), ReadResticprofile)
		case SourceAutorestic:
			readAll(source, opts.autoresticPaths(env), ReadAutorestic)
		case SourceSystemd:
			user, system := opts.systemdUnits(env)
			readAll(source, user, func(p string) ([]Found, []Skipped, error) { return ReadSystemdUnit(p, opts.Home) })
			// A system unit's %h is root's home (unless it sets User=, which is rare for backups).
			readAll(source, system, func(p string) ([]Found, []Skipped, error) { return ReadSystemdUnit(p, "/root") })
		case SourceCron:
			text, err := opts.Crontab(ctx)
			if err != nil {
				report(source, nil, nil, err)
			} else {
				f, s, err := ParseCrontab("crontab -l", []byte(text))
				report(source, f, s, err)
			}
			readAll(source, opts.systemCrontabs(), func(p string) ([]Found, []Skipped, error) {
				data, err := readFile(p)
				if err != nil {
					return nil, nil, err
				}
				return ParseCrontab(p, data)
			})
		case SourceEnv:
			report(source, FromEnviron(opts.Environ), nil, nil)
		}
	}
	found = Dedup(found, opts.Home)
	uniqueNames(found)
	return found, skipped, errs
}

func (o Options) withDefaults() Options {
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.Crontab == nil {
		o.Crontab = crontabList
	}
	return o
}

// lookupIn returns a getenv over environ (the last setting wins, as in the C library).
func lookupIn(environ []string) func(string) string {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// system returns a system-wide path under o.Root.
func (o Options) system(p string) string {
	if o.Root == "" {
		return p
	}
	return filepath.Join(o.Root, p)
}

// configHome is $XDG_CONFIG_HOME when it is absolute, else ~/.config.
func (o Options) configHome(env func(string) string) string {
	if d := env("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(o.Home, ".config")
}

// backrestPaths: BACKREST_CONFIG, else %APPDATA%\backrest on Windows,
// else $XDG_CONFIG_HOME/backrest (macOS too), as Backrest's env package has it.
func (o Options) backrestPaths(env func(string) string) []string {
	if p := env("BACKREST_CONFIG"); p != "" {
		return []string{p}
	}
	if o.GOOS == "windows" {
		if d := env("APPDATA"); d != "" {
			return []string{filepath.Join(d, "backrest", "config.json")}
		}
		return nil
	}
	return []string{filepath.Join(o.configHome(env), "backrest", "config.json")}
}

// resticprofileExts are the extensions resticprofile tries, in its order
// (.yml besides .yaml, which people use); the first file found in a
// directory is the one it would load.
var resticprofileExts = []string{".conf", ".yaml", ".yml", ".toml", ".json", ".hcl"}

// resticprofilePaths: RESTICPROFILE_CONFIG, and profiles.* in the
// directories resticprofile searches (its documentation lists them per system).
func (o Options) resticprofilePaths(env func(string) string) []string {
	var dirs []string
	if o.WorkDir != "" {
		dirs = append(dirs, o.WorkDir)
	}
	dirs = append(dirs, o.ResticprofileDirs...)
	switch o.GOOS {
	case "windows":
		for _, v := range []string{"LOCALAPPDATA", "APPDATA"} {
			if d := env(v); d != "" {
				dirs = append(dirs, filepath.Join(d, "resticprofile"))
			}
		}
		dirs = append(dirs, `C:\ProgramData\resticprofile`, `C:\restic`, `C:\resticprofile`, filepath.Join(o.Home, "resticprofile"))
	default:
		dirs = append(dirs, filepath.Join(o.configHome(env), "resticprofile"))
		system := []string{"/etc/xdg/resticprofile"}
		if o.GOOS == "darwin" {
			dirs = append(dirs, filepath.Join(o.Home, "Library", "Preferences", "resticprofile"))
			system = []string{"/Library/Preferences/resticprofile"}
		}
		system = append(system, "/usr/local/etc", "/usr/local/etc/restic", "/usr/local/etc/resticprofile",
			"/etc", "/etc/restic", "/etc/resticprofile", "/opt/local/etc", "/opt/local/etc/restic", "/opt/local/etc/resticprofile")
		for _, d := range system {
			dirs = append(dirs, o.system(d))
		}
		dirs = append(dirs, o.Home)
	}
	var paths []string
	if p := env("RESTICPROFILE_CONFIG"); p != "" {
		paths = append(paths, withExtension(p)...)
	}
	for _, d := range dirs {
		paths = append(paths, withExtension(filepath.Join(d, "profiles"))...)
	}
	return unique(paths)
}

// withExtension returns p if it has an extension, else the first of
// p.conf, p.yaml … that exists, as resticprofile picks it.
func withExtension(p string) []string {
	if filepath.Ext(p) != "" {
		return []string{p}
	}
	for _, ext := range resticprofileExts {
		if isFile(p + ext) {
			return []string{p + ext}
		}
	}
	return nil
}

// autoresticPaths: where autorestic looks for .autorestic.yml.
func (o Options) autoresticPaths(env func(string) string) []string {
	var dirs []string
	if o.WorkDir != "" {
		dirs = append(dirs, o.WorkDir)
	}
	dirs = append(dirs, o.Home, filepath.Join(o.configHome(env), "autorestic"))
	var paths []string
	for _, d := range dirs {
		for _, name := range []string{".autorestic.yml", ".autorestic.yaml"} {
			paths = append(paths, filepath.Join(d, name))
		}
	}
	return unique(paths)
}

// systemdUnits lists the user's and the system's service units that
// mention restic; the others are not worth reading.
func (o Options) systemdUnits(env func(string) string) (user, system []string) {
	if o.GOOS != "linux" {
		return nil, nil
	}
	return unitsIn(filepath.Join(o.configHome(env), "systemd", "user")), unitsIn(o.system("/etc/systemd/system"))
}

func unitsIn(dir string) []string {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.service"))
	sort.Strings(paths)
	return paths
}

// systemCrontabs are /etc/crontab and /etc/cron.d/*.
func (o Options) systemCrontabs() []string {
	if o.GOOS == "windows" {
		return nil
	}
	paths := []string{o.system("/etc/crontab")}
	more, _ := filepath.Glob(filepath.Join(o.system("/etc/cron.d"), "*"))
	sort.Strings(more)
	return append(paths, more...)
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func unique(paths []string) []string {
	var out []string
	for _, p := range paths {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// crontabList runs `crontab -l`. No crontab program, or no crontab for
// the user, is not an error: there is nothing to find.
func crontabList(ctx context.Context) (string, error) {
	if runtime.GOOS == "windows" {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "crontab", "-l")
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", errors.New("crontab -l: " + err.Error())
	}
	data, readErr := readBounded("crontab -l", stdout)
	if readErr != nil {
		cancel() // stop a crontab -l that has more to say than any crontab
	}
	err = cmd.Wait()
	switch {
	case readErr != nil:
		return "", readErr
	case err != nil && strings.Contains(strings.ToLower(stderr.String()), "no crontab"):
		return "", nil
	case err != nil:
		return "", errors.New("crontab -l: " + err.Error())
	}
	return string(data), err
}
