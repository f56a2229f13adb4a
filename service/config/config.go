// Package config reads, validates and writes lockwatch's TOML configuration.
//
// A configuration has a [defaults] table and any number of [[repo]] tables,
// one per restic repository to watch. Parse applies defaults, expands ~ and
// environment variables in paths, and validates everything, reporting every
// problem it finds with the file name and line number.
//
// Secrets (env values, password_command, the content of password files and
// passwords embedded in repository URLs) never appear in error messages or in
// Location/String output; they reach restic only through Repo.Environ.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/lockwatch/lockwatch/platform/atomicfile"
	"github.com/lockwatch/lockwatch/service/lock"
)

// AutoUnlock selects which locks lockwatch removes by itself.
type AutoUnlock string

const (
	// AutoUnlockOff never removes locks; they are only reported.
	AutoUnlockOff AutoUnlock = "off"
	// AutoUnlockStale removes locks that are stale: created on this host by a
	// process that no longer exists.
	AutoUnlockStale AutoUnlock = "stale"
	// AutoUnlockUnrefreshed additionally removes locks that have not been
	// refreshed for longer than Defaults.UnrefreshedAfter.
	AutoUnlockUnrefreshed AutoUnlock = "unrefreshed"
)

// Verdicts is what the level lets lockwatch remove by itself (the service's
// auto-unlock, the run wrapper's unlock of a blocking lock); nil for off.
func (a AutoUnlock) Verdicts() []lock.Verdict {
	switch a {
	case AutoUnlockStale:
		return []lock.Verdict{lock.Orphaned, lock.Expired}
	case AutoUnlockUnrefreshed:
		return []lock.Verdict{lock.Orphaned, lock.Expired, lock.Unrefreshed}
	}
	return nil
}

// Default values applied by Parse.
const (
	DefaultRestic           = "restic"
	DefaultCheckInterval    = 5 * time.Minute
	DefaultUnrefreshedAfter = 15 * time.Minute
	DefaultTimeout          = 2 * time.Minute
	DefaultHistoryDays      = 90

	// MinCheckInterval is the smallest accepted check_interval.
	MinCheckInterval = time.Second
	// MinTimeout is the smallest accepted timeout.
	MinTimeout = time.Second
	// LockRefreshWindow is the lower bound (exclusive) for unrefreshed_after:
	// restic rewrites the lock of a live process every 5 minutes, so anything
	// at or below 7 minutes would flag healthy operations.
	LockRefreshWindow = 7 * time.Minute
)

// EnvConfigPath names the environment variable that overrides DefaultPath.
const EnvConfigPath = "LOCKWATCH_CONFIG"

// Duration is a time.Duration written in TOML as a Go duration string ("5m").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %s", b, durationHint)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler. It writes the shortest
// form: "5m" rather than "5m0s".
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(formatDuration(d.Duration)), nil
}

// String returns the same text as MarshalText.
func (d Duration) String() string { return formatDuration(d.Duration) }

func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Defaults holds the [defaults] table.
type Defaults struct {
	Restic           string   `toml:"restic"`
	CheckInterval    Duration `toml:"check_interval"`
	Hostname         string   `toml:"hostname"`
	UnrefreshedAfter Duration `toml:"unrefreshed_after"`
	Timeout          Duration `toml:"timeout"`
	// HistoryDays is how long the service keeps its history of removals and state changes.
	HistoryDays int `toml:"history_days"`
	// Notifications turns the tray's OS notifications on or off.
	Notifications bool `toml:"notifications"`
	// Watch lets the service re-check a repository the moment a backup
	// on this host ends or a lock appears in a local repository's locks/
	// (on by default); false checks on the schedule only.
	Watch bool `toml:"watch"`
	// MetricsListen, when set (host:port), serves Prometheus metrics at
	// /metrics there; TextfilePath writes them to a file after every
	// check, for node_exporter's textfile collector.
	MetricsListen string `toml:"metrics_listen,omitempty"`
	TextfilePath  string `toml:"textfile_path,omitempty"`
	// Language is the app's language: "auto" (the OS's), "en", "zh-Hans"
	// or "ja". The CLI speaks English whatever it says.
	Language string `toml:"language,omitempty"`
}

// Languages are the values of [defaults] language.
var Languages = []string{"auto", "en", "zh-Hans", "ja"}

// Repo is one [[repo]] table.
type Repo struct {
	Name            string `toml:"name"`
	Repository      string `toml:"repository,omitempty"`
	RepositoryFile  string `toml:"repository_file,omitempty"`
	PasswordFile    string `toml:"password_file,omitempty"`
	PasswordCommand string `toml:"password_command,omitempty"`
	// PasswordKeyring: the password is in the OS keyring; restic gets it
	// by running lockwatch itself (see SelfCommand).
	PasswordKeyring bool `toml:"password_keyring,omitempty"`
	// Reader says how locks are read: "auto" (natively where lockwatch
	// can — local, sftp, REST, S3 — else through restic), "native" or "restic".
	Reader string `toml:"reader,omitempty"`

	// Snapshot freshness: the repo is failed when its newest snapshot
	// matching host, tags and paths is older than MaxSnapshotAge (0: not checked).
	MaxSnapshotAge Duration `toml:"max_snapshot_age,omitempty"`
	SnapshotHost   string   `toml:"snapshot_host,omitempty"`
	SnapshotTags   []string `toml:"snapshot_tags,omitempty"`
	SnapshotPaths  []string `toml:"snapshot_paths,omitempty"`
	// resticprofile's status file and the profile in it whose failures count.
	ResticprofileStatus  string            `toml:"resticprofile_status,omitempty"`
	ResticprofileProfile string            `toml:"resticprofile_profile,omitempty"`
	Env                  map[string]string `toml:"env,omitempty"`
	AutoUnlock           AutoUnlock        `toml:"auto_unlock,omitempty"`
	CheckInterval        Duration          `toml:"check_interval,omitempty"`
}

// Config is a whole configuration file.
type Config struct {
	Path     string   `toml:"-"` // file it was loaded from
	Defaults Defaults `toml:"defaults"`
	Repos    []Repo   `toml:"repo"`
}

// Error is one problem in a configuration file. Parse returns either a single
// *Error or an errors.Join of several; use errors.As to get the first one.
type Error struct {
	File string // file name as given to Parse
	Line int    // 1-based; 0 if unknown
	Msg  string // what is wrong; never contains secrets
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// DefaultPath returns $LOCKWATCH_CONFIG if it is set (with a leading ~
// expanded), else os.UserConfigDir()/lockwatch/config.toml.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvConfigPath); p != "" {
		return expandHome(p)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locating the lockwatch config file: %w (set %s)", err, EnvConfigPath)
	}
	return filepath.Join(dir, "lockwatch", "config.toml"), nil
}

// Load reads and parses the configuration file at path. A missing file gives
// an error that names the path and satisfies errors.Is(err, fs.ErrNotExist).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading lockwatch config: %w", err)
	}
	return Parse(path, data)
}

// Save encodes c and writes it atomically to c.Path with mode 0600 (the file
// may hold secrets). It refuses to write a configuration that would not load
// again. Comments in an existing file are not preserved.
func Save(c *Config) error {
	if c == nil {
		return errors.New("config: Save of nil Config")
	}
	if c.Path == "" {
		return errors.New("config: Save: Config has no Path")
	}
	data, err := c.encode()
	if err != nil {
		return err
	}
	if _, err := Parse(c.Path+" (unsaved)", data); err != nil {
		return fmt.Errorf("not saving invalid configuration:\n%w", err)
	}
	return atomicfile.Replace(c.Path, data, 0o600)
}

func (c *Config) encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# lockwatch configuration (written by lockwatch)\n\n")
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	return buf.Bytes(), nil
}

// Repo returns the repository with the given name.
func (c *Config) Repo(name string) (*Repo, bool) {
	for i := range c.Repos {
		if c.Repos[i].Name == name {
			return &c.Repos[i], true
		}
	}
	return nil, false
}

// HostName returns the host name used to decide whether a lock was created on
// this machine: Defaults.Hostname if set, else os.Hostname().
func (c *Config) HostName() (string, error) {
	if c.Defaults.Hostname != "" {
		return c.Defaults.Hostname, nil
	}
	h, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("determining host name: %w (set hostname in [defaults])", err)
	}
	return h, nil
}

// Interval returns how often r is checked: its own check_interval if set,
// else the default one.
func (c *Config) Interval(r *Repo) time.Duration {
	if r != nil && r.CheckInterval.Duration > 0 {
		return r.CheckInterval.Duration
	}
	if c.Defaults.CheckInterval.Duration > 0 {
		return c.Defaults.CheckInterval.Duration
	}
	return DefaultCheckInterval
}

// The values of a repo's reader key.
const (
	ReaderAuto   = "auto"
	ReaderNative = "native"
	ReaderRestic = "restic"
)

// SelfCommand is how restic runs this lockwatch binary for a password kept
// in the keyring: its path, quoted for restic's own word splitting. main
// sets it; "lockwatch" (found on PATH) is the fallback.
var SelfCommand = "lockwatch"

// quoteArg quotes s for restic's splitting of RESTIC_PASSWORD_COMMAND,
// which follows shell-style quoting.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Environ returns the environment entries that tell restic where r is and
// how to get its password, followed by r.Env sorted by key. This is the only
// way secrets are handed to restic.
func (r *Repo) Environ() []string {
	env := make([]string, 0, 2+len(r.Env))
	switch {
	case r.Repository != "":
		env = append(env, "RESTIC_REPOSITORY="+r.Repository)
	case r.RepositoryFile != "":
		env = append(env, "RESTIC_REPOSITORY_FILE="+r.RepositoryFile)
	}
	switch {
	case r.PasswordFile != "":
		env = append(env, "RESTIC_PASSWORD_FILE="+r.PasswordFile)
	case r.PasswordCommand != "":
		env = append(env, "RESTIC_PASSWORD_COMMAND="+r.PasswordCommand)
	case r.PasswordKeyring:
		env = append(env, "RESTIC_PASSWORD_COMMAND="+SelfCommand+" keyring get "+quoteArg(r.Name))
	}
	keys := make([]string, 0, len(r.Env))
	for k := range r.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+r.Env[k])
	}
	return env
}

// ResticEnviron is the environment restic runs with for repo (its
// Environ): base without any restic settings of its own, plus repo's. A
// RESTIC_PASSWORD inherited from the user's shell must not win over the
// configured source, nor reach a repository it was never meant for.
func ResticEnviron(base, repo []string) []string {
	env := make([]string, 0, len(base)+len(repo))
	for _, kv := range base {
		if !strings.HasPrefix(kv, "RESTIC_") {
			env = append(env, kv)
		}
	}
	return append(env, repo...)
}

// Location describes where r is, for display. A password embedded in a URL
// (rest:https://user:pass@host/) is replaced by ***.
func (r *Repo) Location() string {
	if r.Repository != "" {
		return redactURL(r.Repository)
	}
	if r.RepositoryFile != "" {
		return "file " + r.RepositoryFile
	}
	return ""
}

// String describes r without any secret, so that logging a Repo (or a
// Config) with %v is safe.
func (r Repo) String() string {
	return fmt.Sprintf("repo %q (%s)", r.Name, r.Location())
}

// GoString is like String, for %#v.
func (r Repo) GoString() string { return "config.Repo{" + r.String() + "}" }

// redactURL replaces the password of a "scheme://user:password@host" part
// of s by ***. Like net/url, the user info ends at the last '@' before the
// first '/'. If that leaves something that cannot be host:port, the password
// probably contains a raw '/', and the user info is taken to end at the last
// '@' before the next '/'.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	head, rest := s[:i+3], s[i+3:]
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		slash = len(rest)
	}
	at := strings.LastIndexByte(rest[:slash], '@')
	if at < 0 {
		firstAt := strings.IndexByte(rest, '@')
		if firstAt < 0 {
			return s
		}
		_, port, hasColon := strings.Cut(rest[:slash], ":")
		if !hasColon || strings.Trim(port, "0123456789") == "" {
			return s // host or host:port, and an '@' in the path
		}
		end := len(rest)
		if j := strings.IndexByte(rest[firstAt:], '/'); j >= 0 {
			end = firstAt + j
		}
		at = strings.LastIndexByte(rest[:end], '@')
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return head + user + ":***" + rest[at:]
}

// backendPrefixes are the restic location prefixes of non-local backends.
var backendPrefixes = []string{"sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:"}

func isRemote(loc string) bool {
	for _, p := range backendPrefixes {
		if strings.HasPrefix(loc, p) {
			return true
		}
	}
	return false
}

// LocalPath returns the directory of a repository on the local file system,
// and false for remote backends. If only RepositoryFile is set, its first
// line decides.
func (r *Repo) LocalPath() (string, bool) {
	loc := r.Repository
	if loc == "" {
		if r.RepositoryFile == "" {
			return "", false
		}
		data, err := os.ReadFile(r.RepositoryFile)
		if err != nil {
			return "", false
		}
		line, _, _ := strings.Cut(string(data), "\n")
		loc = strings.TrimSpace(line)
	}
	return localPath(loc)
}

func localPath(loc string) (string, bool) {
	if loc == "" || isRemote(loc) {
		return "", false
	}
	loc = strings.TrimPrefix(loc, "local:")
	if loc == "" {
		return "", false
	}
	if isWindowsDrivePath(loc) {
		if runtime.GOOS == "windows" {
			return filepath.Clean(loc), true
		}
		return loc, true
	}
	abs, err := filepath.Abs(loc)
	if err != nil {
		return filepath.Clean(loc), true
	}
	return abs, true
}

// isWindowsDrivePath reports whether p looks like C:\dir or C:/dir.
func isWindowsDrivePath(p string) bool {
	if len(p) < 3 || p[1] != ':' || (p[2] != '\\' && p[2] != '/') {
		return false
	}
	c := p[0] | 0x20
	return 'a' <= c && c <= 'z'
}

// splitHome splits a leading "~" or "~/" (also "~\" on Windows) off s and
// returns the home directory it stands for and the rest of s. Without a
// leading ~ it returns "", s.
func splitHome(s string) (home, rest string, err error) {
	if s != "~" && !strings.HasPrefix(s, "~/") &&
		!(filepath.Separator == '\\' && strings.HasPrefix(s, `~\`)) {
		return "", s, nil
	}
	home, err = os.UserHomeDir()
	if err != nil || home == "" {
		return "", s, errors.New("cannot expand ~: the home directory is unknown")
	}
	return home, s[1:], nil
}

// expandHome replaces a leading ~ by the user's home directory.
func expandHome(s string) (string, error) {
	home, rest, err := splitHome(s)
	if err != nil {
		return s, err
	}
	return home + rest, nil
}

// expandPath expands a leading ~ and $VAR / ${VAR}. Referring to a variable
// that is not set is an error, because silently using "" would point at a
// different file.
func expandPath(s string) (string, error) {
	home, rest, err := splitHome(s)
	if err != nil {
		return s, err
	}
	var missing []string
	rest = os.Expand(rest, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return v
	})
	switch len(missing) {
	case 0:
		return home + rest, nil
	case 1:
		return s, fmt.Errorf("environment variable %s is not set", missing[0])
	default:
		return s, fmt.Errorf("environment variables %s are not set", strings.Join(missing, ", "))
	}
}

// expandRepository expands ~ and variables in a local repository location;
// remote locations are returned unchanged.
func expandRepository(loc string) (string, error) {
	if isRemote(loc) {
		return loc, nil
	}
	prefix := ""
	if strings.HasPrefix(loc, "local:") {
		prefix, loc = "local:", loc[len("local:"):]
	}
	exp, err := expandPath(loc)
	return prefix + exp, err
}

// Example returns a commented example configuration with one repository
// named "demo" at repoPath using passwordFile. Empty arguments are replaced
// by placeholders. The text parses cleanly.
func Example(repoPath, passwordFile string) string {
	if repoPath == "" {
		repoPath = "~/restic-repo"
	}
	if passwordFile == "" {
		passwordFile = "~/.config/restic/demo-password"
	}
	return fmt.Sprintf(exampleText, tomlString(repoPath), tomlString(passwordFile))
}

const exampleText = `# lockwatch configuration
#
# Durations are Go durations: "90s", "5m", "1h30m".

[defaults]
# restic binary: a path, or a name looked up on $PATH.
restic = "restic"
# How often each repository is checked for locks (at least 1s).
check_interval = "5m"
# Host name used to decide whether a lock was created on this machine.
# Empty means the system host name; set it in containers or flatpaks.
hostname = ""
# A lock that has not been refreshed for this long is considered abandoned.
# Must be longer than 7m: restic refreshes the locks of running commands
# every 5 minutes.
unrefreshed_after = "15m"
# Time limit for each restic invocation (at least 1s).
timeout = "2m"

# One [[repo]] table per repository.
[[repo]]
name = "demo"
# Where the repository is: set repository or repository_file, not both.
# ~ and $VARIABLES are expanded in local paths.
repository = %s
# repository_file = "~/.config/restic/demo-repository"

# The repository password: set password_file or password_command, not both.
password_file = %s
# password_command = "pass show restic/demo"

# Extra environment for the backend, e.g. cloud credentials:
# env = { AWS_ACCESS_KEY_ID = "...", AWS_SECRET_ACCESS_KEY = "..." }

# Remove locks automatically:
#   "off"          only report them (default)
#   "stale"        remove stale locks (process gone on this host)
#   "unrefreshed"  also remove locks not refreshed for unrefreshed_after
auto_unlock = "off"

# Check this repository at its own pace instead of [defaults] check_interval.
# check_interval = "10m"
`

// tomlString quotes s as a TOML string: a literal string when possible (so
// Windows paths stay readable), else a basic string with escapes.
func tomlString(s string) string {
	literalOK := !strings.ContainsAny(s, "'\n\r")
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			literalOK = false
		}
	}
	if literalOK {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// SetSelf records the path of the running lockwatch binary for SelfCommand.
func SetSelf(exe string) { SelfCommand = quoteArg(exe) }
