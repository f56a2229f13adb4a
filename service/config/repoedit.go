package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// MaskedValue stands in for a secret the settings show but never hand out:
// every env value in a RepoView is MaskedValue, and a RepoInput env value
// equal to it means "keep the stored value".
const MaskedValue = "••••••"

// Password sources, as RepoView.PasswordSource names them.
const (
	PasswordFromFile    = "file"
	PasswordFromCommand = "command"
	PasswordFromKeyring = "keyring"
)

// RepoInput is one repository as the settings form sends it. Secrets only
// ever travel inward: Password goes to the OS keyring, Env values and a
// password command may be new secrets, and none of them is sent back.
type RepoInput struct {
	Name           string `json:"name"`
	Repository     string `json:"repository,omitempty"`
	RepositoryFile string `json:"repository_file,omitempty"`
	PasswordFile   string `json:"password_file,omitempty"`
	// PasswordCommand "" keeps the repository's current command when it has
	// one and no other source is chosen: the view never shows the command
	// (it may embed a secret), so the form cannot send it back.
	PasswordCommand string `json:"password_command,omitempty"`
	PasswordKeyring bool   `json:"password_keyring,omitempty"`
	// Password is write-only: with PasswordKeyring it goes into the OS
	// keyring; "" keeps the password already there.
	Password string `json:"password,omitempty"`
	// Env values equal to MaskedValue keep the current value of that variable.
	Env           map[string]string `json:"env,omitempty"`
	CheckInterval string            `json:"check_interval,omitempty"` // "" uses [defaults]
	AutoUnlock    AutoUnlock        `json:"auto_unlock,omitempty"`    // "" is off
	// The resticprofile status file and profile whose runs this repository
	// shows (an import from resticprofile sets them; the form does not
	// show them): "" keeps what the file says.
	ResticprofileStatus  string `json:"resticprofile_status,omitempty"`
	ResticprofileProfile string `json:"resticprofile_profile,omitempty"`
}

// String describes in without secrets, so that logging it is safe.
func (in RepoInput) String() string {
	keys := slices.Sorted(maps.Keys(in.Env))
	return fmt.Sprintf("repo input %q (%s; env %v)", in.Name, redactURL(in.Repository), keys)
}

// GoString is like String, for %#v.
func (in RepoInput) GoString() string { return "config.RepoInput{" + in.String() + "}" }

// FieldErrors maps a settings field to what is wrong with it. The fields
// are "name", "repository", "password", "env", "check_interval" and
// "auto_unlock"; "" holds a problem that belongs to no single field. The
// messages never contain secrets.
type FieldErrors map[string]string

// add appends msg to the field's message.
func (f FieldErrors) add(field, msg string) {
	if prev, ok := f[field]; ok && prev != "" {
		if strings.Contains(prev, msg) {
			return
		}
		msg = prev + "; " + msg
	}
	f[field] = msg
}

// String lists the problems on one line, fields sorted: for an error
// message when there is no form to show them next to.
func (f FieldErrors) String() string {
	parts := make([]string, 0, len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if k == "" {
			parts = append(parts, f[k])
		} else {
			parts = append(parts, k+": "+f[k])
		}
	}
	return strings.Join(parts, "; ")
}

// ConfigView is what the settings may show of a configuration: no password
// command, no env value, no password embedded in a repository URL.
type ConfigView struct {
	Path          string `json:"path"`
	Notifications bool   `json:"notifications"`
	// CheckInterval is [defaults] check_interval, what a repository without
	// its own interval uses.
	CheckInterval string `json:"check_interval"`
	// Language is [defaults] language ("auto" when not set).
	Language string     `json:"language"`
	Repos    []RepoView `json:"repos"`
}

// RepoView is one repository in a ConfigView.
type RepoView struct {
	Name           string            `json:"name"`
	Repository     string            `json:"repository,omitempty"` // a URL's password replaced by ***
	RepositoryFile string            `json:"repository_file,omitempty"`
	PasswordSource string            `json:"password_source"` // PasswordFromFile, …Command or …Keyring
	PasswordFile   string            `json:"password_file,omitempty"`
	Env            map[string]string `json:"env,omitempty"`            // every value is MaskedValue
	CheckInterval  string            `json:"check_interval,omitempty"` // "" uses ConfigView.CheckInterval
	AutoUnlock     AutoUnlock        `json:"auto_unlock"`
}

// Repo returns the repository named name.
func (v ConfigView) Repo(name string) (RepoView, bool) {
	for _, r := range v.Repos {
		if r.Name == name {
			return r, true
		}
	}
	return RepoView{}, false
}

// PasswordSource is where r's password comes from: PasswordFromFile,
// PasswordFromCommand or PasswordFromKeyring ("" if none is set).
func (r *Repo) PasswordSource() string {
	switch {
	case r.PasswordFile != "":
		return PasswordFromFile
	case r.PasswordCommand != "":
		return PasswordFromCommand
	case r.PasswordKeyring:
		return PasswordFromKeyring
	}
	return ""
}

// View returns what the settings may show of c.
func (c *Config) View() ConfigView {
	v := ConfigView{
		Path:          c.Path,
		Notifications: c.Defaults.Notifications,
		Language:      c.Defaults.Language,
		CheckInterval: formatDuration(c.Interval(nil)),
		Repos:         make([]RepoView, 0, len(c.Repos)),
	}
	for i := range c.Repos {
		r := &c.Repos[i]
		rv := RepoView{
			Name:           r.Name,
			Repository:     redactURL(r.Repository),
			RepositoryFile: r.RepositoryFile,
			PasswordSource: r.PasswordSource(),
			PasswordFile:   r.PasswordFile,
			AutoUnlock:     r.AutoUnlock,
		}
		if rv.AutoUnlock == "" {
			rv.AutoUnlock = AutoUnlockOff
		}
		if r.CheckInterval.Duration > 0 {
			rv.CheckInterval = r.CheckInterval.String()
		}
		if len(r.Env) > 0 {
			rv.Env = make(map[string]string, len(r.Env))
			for k := range r.Env {
				rv.Env[k] = MaskedValue
			}
		}
		v.Repos = append(v.Repos, rv)
	}
	return v
}

// PutRepo returns a new configuration with the repository oldName replaced
// by in (renaming it if in.Name differs), or with in added when oldName is
// "". Nothing is written: the caller saves the result with Save. Every
// problem is reported against the form field it concerns.
//
// Merging with the stored repository: an env value of MaskedValue keeps
// that variable's value, an empty password command keeps the command, and a
// repository equal to the view's redacted one keeps the URL's password.
// Whether the OS keyring holds a password is for the caller to check.
func (c *Config) PutRepo(oldName string, in RepoInput) (*Config, FieldErrors) {
	fields := FieldErrors{}
	var old *Repo
	index := len(c.Repos)
	if oldName != "" {
		for i := range c.Repos {
			if c.Repos[i].Name == oldName {
				old, index = &c.Repos[i], i
			}
		}
		if old == nil {
			fields.add("name", fmt.Sprintf("there is no repository named %q any more", oldName))
			return nil, fields
		}
	}

	r := Repo{Name: strings.TrimSpace(in.Name)}
	if old != nil {
		// Not in the form: keep what the file says.
		r.Reader = old.Reader
		r.MaxSnapshotAge, r.SnapshotHost = old.MaxSnapshotAge, old.SnapshotHost
		r.SnapshotTags, r.SnapshotPaths = old.SnapshotTags, old.SnapshotPaths
		r.ResticprofileStatus, r.ResticprofileProfile = old.ResticprofileStatus, old.ResticprofileProfile
	}
	if in.ResticprofileStatus != "" {
		r.ResticprofileStatus, r.ResticprofileProfile = strings.TrimSpace(in.ResticprofileStatus), strings.TrimSpace(in.ResticprofileProfile)
	}
	if msg := checkName(r.Name); msg != "" {
		fields.add("name", msg)
	}
	for i := range c.Repos {
		if i != index && c.Repos[i].Name == r.Name {
			fields.add("name", fmt.Sprintf("another repository is already named %q", r.Name))
		}
	}

	r.Repository = strings.TrimSpace(in.Repository)
	r.RepositoryFile = strings.TrimSpace(in.RepositoryFile)
	if old != nil && old.Repository != "" && r.Repository != old.Repository && r.Repository == redactURL(old.Repository) {
		// The form showed the URL with its password as ***; unchanged, it
		// means the stored URL.
		r.Repository = old.Repository
	}

	c.putPassword(&r, old, in, fields)
	r.Env = mergeEnv(old, in.Env, fields)

	if s := strings.TrimSpace(in.CheckInterval); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			fields.add("check_interval", fmt.Sprintf("%q is not a duration: %s", s, durationHint))
		case d < MinCheckInterval:
			fields.add("check_interval", fmt.Sprintf("must be at least %s", formatDuration(MinCheckInterval)))
		default:
			r.CheckInterval = Duration{d}
		}
	}

	switch in.AutoUnlock {
	case "":
		r.AutoUnlock = AutoUnlockOff
	case AutoUnlockOff, AutoUnlockStale, AutoUnlockUnrefreshed:
		r.AutoUnlock = in.AutoUnlock
	default:
		fields.add("auto_unlock", fmt.Sprintf("must be %q, %q or %q", AutoUnlockOff, AutoUnlockStale, AutoUnlockUnrefreshed))
		r.AutoUnlock = AutoUnlockOff
	}

	next := *c
	next.Repos = slices.Clone(c.Repos)
	if old != nil {
		next.Repos[index] = r
	} else {
		next.Repos = append(next.Repos, r)
	}
	// The rest of the rules (paths and their $VARIABLES, env names, both or
	// neither of repository and repository_file) are Parse's: rendering the
	// file and parsing it again checks exactly what loading it later will.
	got, err := next.reparse()
	if err != nil {
		mapParseErrors(err, r.Name, index, fields)
	}
	if len(fields) > 0 {
		return nil, fields
	}
	return got, nil
}

// putPassword sets r's password source from in, keeping old's command when
// the form sends none.
func (c *Config) putPassword(r, old *Repo, in RepoInput, fields FieldErrors) {
	file := strings.TrimSpace(in.PasswordFile)
	command := in.PasswordCommand
	if strings.TrimSpace(command) == "" {
		command = ""
	}
	const oneSource = "choose one password source: a password file, a password command or the OS keyring"
	switch {
	case in.PasswordKeyring:
		if file != "" || command != "" {
			fields.add("password", oneSource)
		}
		r.PasswordKeyring = true
	case file != "" && command != "":
		fields.add("password", oneSource)
	case file != "":
		r.PasswordFile = file
	case command != "":
		r.PasswordCommand = command
	case old != nil && old.PasswordCommand != "":
		r.PasswordCommand = old.PasswordCommand
	default:
		fields.add("password", "no password source: choose a password file, a password command or the OS keyring")
	}
	if in.Password != "" && !in.PasswordKeyring {
		fields.add("password", "a typed password is kept only in the OS keyring: choose OS keyring, or clear it")
	}
}

// mergeEnv builds the new env table, taking masked values from old.
func mergeEnv(old *Repo, in map[string]string, fields FieldErrors) map[string]string {
	env := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		key := strings.TrimSpace(k)
		if key == "" {
			if v != "" && v != MaskedValue {
				fields.add("env", "a variable has a value but no name")
			}
			continue
		}
		if _, dup := env[key]; dup {
			fields.add("env", fmt.Sprintf("%s is set twice", key))
			continue
		}
		if v == MaskedValue {
			stored, ok := "", false
			if old != nil {
				stored, ok = old.Env[key]
			}
			if !ok {
				fields.add("env", fmt.Sprintf("%s: type its value", key))
				continue
			}
			v = stored
		}
		env[key] = v
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

// reparse renders c as Save would and parses the text again, which applies
// the defaults and path expansion and checks everything.
func (c *Config) reparse() (*Config, error) {
	data, err := c.encode()
	if err != nil {
		return nil, err
	}
	return Parse(c.Path, data)
}

// mapParseErrors files Parse's complaints about the repository named name
// (the index'th) under the form fields. A field that already has a message
// keeps it alone: Parse would only say the same thing again, less kindly.
func mapParseErrors(err error, name string, index int, fields FieldErrors) {
	before := map[string]bool{}
	for k := range fields {
		before[k] = true
	}
	for _, e := range parseErrors(err) {
		msg, ours := strings.CutPrefix(e.Msg, fmt.Sprintf("repo %q: ", name))
		if !ours {
			msg, ours = strings.CutPrefix(e.Msg, "repo #"+strconv.Itoa(index+1)+": ")
		}
		field := ""
		if ours {
			field = fieldOf(msg)
		} else if strings.HasPrefix(e.Msg, "duplicate repo name") {
			field = "name"
		}
		if !before[field] {
			fields.add(field, msg)
		}
	}
}

// fieldOf names the form field a Parse message (label removed) is about;
// the messages start with the key they concern.
func fieldOf(msg string) string {
	for _, p := range []struct{ prefix, field string }{
		{"invalid duration", "check_interval"},
		{"check_interval", "check_interval"},
		{"auto_unlock", "auto_unlock"},
		{"env", "env"},
		{"password", "password"},
		{"no password", "password"},
		{"repository", "repository"},
		{"no repository", "repository"},
		{"name", "name"},
	} {
		if strings.HasPrefix(msg, p.prefix) {
			return p.field
		}
	}
	return ""
}

// parseErrors unpacks Parse's error into its *Error parts.
func parseErrors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		var e *Error
		if multi, ok := err.(interface{ Unwrap() []error }); ok {
			for _, err := range multi.Unwrap() {
				walk(err)
			}
		} else if errors.As(err, &e) {
			out = append(out, e)
		} else {
			out = append(out, &Error{Msg: err.Error()})
		}
	}
	walk(err)
	return out
}

// DeleteRepo returns a new configuration without the repository named name.
// Nothing is written.
func (c *Config) DeleteRepo(name string) (*Config, error) {
	next := *c
	next.Repos = nil
	for _, r := range c.Repos {
		if r.Name != name {
			next.Repos = append(next.Repos, r)
		}
	}
	if len(next.Repos) == len(c.Repos) {
		return nil, fmt.Errorf("no repository named %q in %s", name, c.Path)
	}
	return &next, nil
}

var (
	defaultsHeader = regexp.MustCompile(`^\s*\[\s*defaults\s*\]\s*(#.*)?$`)
)

// SetNotifications turns notifications on or off in the config file at path
// and returns the new config. Like SetAutoUnlock it edits just that line
// (or adds it under [defaults]) so that the user's comments stay, and
// writes the whole config anew only when the file's layout defeats the edit.
func SetNotifications(path string, on bool) (*Config, error) {
	data, old, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	want := *old
	want.Defaults.Notifications = on
	edited, ok := editDefault(data, "notifications", strconv.FormatBool(on))
	return saveEdited(path, edited, ok, &want)
}

// SetLanguage sets [defaults] language in the config file at path, keeping
// every other line as the user wrote it.
func SetLanguage(path, language string) (*Config, error) {
	if !slices.Contains(Languages, language) {
		return nil, fmt.Errorf("language %q: choose one of %s", language, strings.Join(Languages, ", "))
	}
	data, old, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	want := *old
	want.Defaults.Language = language
	edited, ok := editDefault(data, "language", tomlString(language))
	return saveEdited(path, edited, ok, &want)
}

// editDefault sets key to value (a TOML value, quoted if a string) in the
// [defaults] table of text, adding the line or the table if need be.
func editDefault(text, key, value string) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	keyLine := regexp.MustCompile(`^(\s*` + regexp.QuoteMeta(key) + `\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|true|false|[0-9]+)(.*)$`)
	start := -1
	for i, line := range lines {
		trimmed := strings.TrimRight(line, "\r\n")
		if start < 0 {
			if defaultsHeader.MatchString(trimmed) {
				start = i
			}
			continue
		}
		if tableHeader.MatchString(line) {
			break
		}
		if m := keyLine.FindStringSubmatch(trimmed); m != nil {
			lines[i] = m[1] + value + m[3] + lineEnding(line)
			return strings.Join(lines, ""), true
		}
	}
	if start < 0 {
		// No [defaults] table: add one at the end, below everything the
		// user wrote. (A file that sets defaults some other way fails the
		// caller's check and is written anew.)
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		return text + "\n[defaults]\n" + key + " = " + value + "\n", true
	}
	end := lineEnding(lines[start])
	added := key + " = " + value + end
	if end == "" {
		added = "\n" + key + " = " + value
	}
	lines = slices.Insert(lines, start+1, added)
	return strings.Join(lines, ""), true
}

// SaveRepo writes next to next.Path, where next is the file's config with
// one repository changed: oldName became newName. oldName "" means newName
// was added; newName "" means oldName was removed. Like SetAutoUnlock it
// edits just that [[repo]] table's lines and keeps every other line of the
// file as the user wrote it; values are quoted by the TOML encoder, and the
// edited text is saved only if it parses back to exactly next.
//
// When the text cannot be edited so (the repositories written as
// `repo = [{...}]`, a table split in a way the edit does not follow), it
// falls back to writing the whole config anew, as Save does: the settings
// stay, the comments go. That is the old behaviour, chosen over an error so
// that the settings window keeps working for any valid file.
func SaveRepo(next *Config, oldName, newName string) error {
	data, before, err := readConfig(next.Path)
	if err != nil {
		return err
	}
	edited, ok := editRepo(data, before, next, oldName, newName)
	_, err = saveEdited(next.Path, edited, ok, next)
	return err
}

var (
	// repoSubHeader starts a table inside the current [[repo]], like [repo.env].
	repoSubHeader = regexp.MustCompile(`^\s*\[\[?\s*repo\s*\.`)
	// simpleKeyLine is a line setting a bare key of the table it is in.
	simpleKeyLine = regexp.MustCompile(`^(\s*)([A-Za-z0-9_-]+)\s*=`)
	// oneLineValue is a key = value line with a value on one line that can
	// be swapped for another, keeping the spacing and a trailing comment.
	oneLineValue = regexp.MustCompile(`^(\s*[A-Za-z0-9_-]+\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|true|false|[0-9]+)(\s*(?:#.*)?)$`)
)

// repoText is a config file's text cut into lines (each with its line
// ending), and where each [[repo]] table lies in them.
type repoText struct {
	lines  []string
	eol    string // the file's line ending, for lines added
	blocks []repoBlock
}

// repoBlock is one [[repo]] table, by line index.
type repoBlock struct {
	lead    int // the comment lines right above the header (header if none): they describe this table
	header  int // the [[repo]] line
	keysEnd int // end of the table's own keys: its first [repo.…] sub-table, or end
	last    int // just after the table's last line that is neither blank nor a comment
	own     int // end, less the comment lines right above the next table's header: they are the next table's
	end     int // the next table's header, or len(lines)
}

func isBlank(line string) bool   { return strings.TrimSpace(line) == "" }
func isComment(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "#") }

// splitRepos finds the [[repo]] tables of text.
func splitRepos(text string) *repoText {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	t := &repoText{lines: lines, eol: "\n"}
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		t.eol = "\r\n"
	}
	var cur *repoBlock
	closeBlock := func(end int) {
		if cur == nil {
			return
		}
		cur.end = end
		if cur.keysEnd < 0 {
			cur.keysEnd = end
		}
		cur.last = cur.header + 1
		for i := end - 1; i > cur.header; i-- {
			if !isBlank(lines[i]) && !isComment(lines[i]) {
				cur.last = i + 1
				break
			}
		}
		cur.own = end
		if end < len(lines) {
			for cur.own > cur.last && isComment(lines[cur.own-1]) {
				cur.own--
			}
		}
		t.blocks = append(t.blocks, *cur)
		cur = nil
	}
	for i, line := range lines {
		trimmed := strings.TrimRight(line, "\r\n")
		switch {
		case repoHeader.MatchString(trimmed):
			closeBlock(i)
			lead := i
			for lead > 0 && isComment(lines[lead-1]) {
				lead--
			}
			if lead == 0 { // the comments at the top of the file are about the file
				lead = i
			}
			cur = &repoBlock{lead: lead, header: i, keysEnd: -1}
		case cur != nil && repoSubHeader.MatchString(trimmed):
			if cur.keysEnd < 0 {
				cur.keysEnd = i
			}
		case tableHeader.MatchString(line):
			closeBlock(i)
		}
	}
	closeBlock(len(lines))
	return t
}

// editRepo returns text with the change from before to next made to the
// one [[repo]] table concerned, and whether it found an edit that means
// exactly next.
func editRepo(text string, before, next *Config, oldName, newName string) (string, bool) {
	t := splitRepos(text)
	if len(t.blocks) != len(before.Repos) {
		return "", false // repo = [{...}], or a header the regexps miss
	}
	oldIndex := -1
	for i := range before.Repos {
		if oldName != "" && before.Repos[i].Name == oldName {
			oldIndex = i
		}
	}
	var r *Repo
	if newName != "" {
		var ok bool
		if r, ok = next.Repo(newName); !ok {
			return "", false
		}
	}
	var tries []func() ([]string, bool)
	switch {
	case oldName == "" && r != nil:
		tries = append(tries, func() ([]string, bool) { return t.add(r) })
	case oldIndex < 0:
		return "", false
	case r == nil:
		tries = append(tries, func() ([]string, bool) { return t.remove(oldIndex), true })
	default:
		tries = append(tries,
			func() ([]string, bool) { return t.editKeys(oldIndex, &before.Repos[oldIndex], r) },
			// Keys set some other way ([repo.env], dotted keys, values over
			// several lines): write the table's keys anew, the rest of the
			// file as it was.
			func() ([]string, bool) { return t.replace(oldIndex, r) })
	}
	for _, try := range tries {
		if lines, ok := try(); ok {
			edited := strings.Join(lines, "")
			if means(next.Path, edited, next) {
				return edited, true
			}
		}
	}
	return "", false
}

// means reports whether text parses to exactly want.
func means(path, text string, want *Config) bool {
	got, err := Parse(path, []byte(text))
	return err == nil && reflect.DeepEqual(*got, *want)
}

// repoField is one key of a [[repo]] table and its value in a Repo.
type repoField struct {
	key   string
	value any
}

// repoFields lists r's keys in the order of the Repo struct.
func repoFields(r *Repo) []repoField {
	v := reflect.ValueOf(*r)
	fields := make([]repoField, 0, v.NumField())
	for i := range v.NumField() {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("toml"), ",")
		if key != "" && key != "-" {
			fields = append(fields, repoField{key, v.Field(i).Interface()})
		}
	}
	return fields
}

// unset reports whether a key with this value need not be written: it is
// empty, or what Parse makes of the key's absence.
func (f repoField) unset() bool {
	return reflect.ValueOf(f.value).IsZero() || f.value == any(AutoUnlockOff)
}

// keyValue is the TOML line (no line ending) setting f, its key and value
// quoted by the TOML encoder, so that no value can end its string early.
func (f repoField) keyValue() (string, error) {
	if env, ok := f.value.(map[string]string); ok {
		// An inline table: one line, unlike the encoder's [env] table.
		pairs := make([]string, 0, len(env))
		for _, k := range slices.Sorted(maps.Keys(env)) {
			pair, err := encodeKeyValue(k, env[k])
			if err != nil {
				return "", err
			}
			pairs = append(pairs, pair)
		}
		return "env = { " + strings.Join(pairs, ", ") + " }", nil
	}
	return encodeKeyValue(f.key, f.value)
}

func encodeKeyValue(key string, value any) (string, error) {
	var buf strings.Builder
	if err := toml.NewEncoder(&buf).Encode(map[string]any{key: value}); err != nil {
		return "", err
	}
	line := strings.TrimSuffix(buf.String(), "\n")
	if strings.Contains(line, "\n") {
		return "", fmt.Errorf("%s does not fit on one line", key)
	}
	return line, nil
}

// keyLines are the lines of r's keys as the settings write them: the keys
// that are set, nothing written out that Parse would assume.
func (t *repoText) keyLines(r *Repo, indent string) ([]string, bool) {
	var lines []string
	for _, f := range repoFields(r) {
		if f.unset() {
			continue
		}
		kv, err := f.keyValue()
		if err != nil {
			return nil, false
		}
		lines = append(lines, indent+kv+t.eol)
	}
	return lines, true
}

// insert puts added before line i, giving the line above a line ending if
// it was the file's last and had none.
func (t *repoText) insert(lines []string, i int, added ...string) []string {
	if i > 0 && lineEnding(lines[i-1]) == "" {
		lines[i-1] += t.eol
	}
	return slices.Insert(lines, i, added...)
}

// add appends r's table after the last [[repo]] table (or at the end of
// the file), after a blank line.
func (t *repoText) add(r *Repo) ([]string, bool) {
	keys, ok := t.keyLines(r, "")
	if !ok {
		return nil, false
	}
	lines := slices.Clone(t.lines)
	at := len(lines)
	if n := len(t.blocks); n > 0 {
		at = t.blocks[n-1].last
	}
	added := append([]string{"[[repo]]" + t.eol}, keys...)
	if at > 0 && !isBlank(lines[at-1]) {
		added = append([]string{t.eol}, added...)
	}
	return t.insert(lines, at, added...), true
}

// remove drops the index'th table with the comments above it; blank lines
// it leaves at the end of the file go too.
func (t *repoText) remove(index int) []string {
	b := t.blocks[index]
	lines := slices.Delete(slices.Clone(t.lines), b.lead, b.own)
	if b.own == len(t.lines) {
		end := b.lead
		for end > 0 && isBlank(lines[end-1]) {
			end--
		}
		lines = lines[:end]
	}
	return lines
}

// replace writes the index'th table's keys anew, keeping its header line
// and what follows its last key (blank lines, comments about the next table).
func (t *repoText) replace(index int, r *Repo) ([]string, bool) {
	b := t.blocks[index]
	keys, ok := t.keyLines(r, "")
	if !ok {
		return nil, false
	}
	lines := slices.Clone(t.lines)
	if lineEnding(lines[b.header]) == "" {
		lines[b.header] += t.eol
	}
	return slices.Replace(lines, b.header+1, b.last, keys...), true
}

// editKeys changes, adds or removes just the lines of the keys whose
// values differ between old and r, in the index'th table's own keys. A
// changed line keeps its spacing and trailing comment where the old value
// was on one line. It fails when a changed key is not on a line of its own.
func (t *repoText) editKeys(index int, old, r *Repo) ([]string, bool) {
	b := t.blocks[index]
	lines := slices.Clone(t.lines)
	at := map[string]int{}
	indent, lastKey := "", b.header
	for i := b.header + 1; i < b.keysEnd; i++ {
		if m := simpleKeyLine.FindStringSubmatch(lines[i]); m != nil {
			at[m[2]] = i
			if m[2] == "name" {
				indent = m[1]
			}
		}
		if !isBlank(lines[i]) && !isComment(lines[i]) {
			lastKey = i
		}
	}
	var added []string
	var dropped []int
	oldFields := repoFields(old)
	for n, f := range repoFields(r) {
		if reflect.DeepEqual(f.value, oldFields[n].value) {
			continue
		}
		i, onLine := at[f.key]
		switch {
		case reflect.ValueOf(f.value).IsZero():
			if !onLine {
				return nil, false
			}
			dropped = append(dropped, i)
		case f.unset() && !onLine:
			// Parse assumes it; the caller's check sees to it that the
			// old value was not set some other way.
		default:
			kv, err := f.keyValue()
			if err != nil {
				return nil, false
			}
			if !onLine {
				added = append(added, indent+kv+t.eol)
				continue
			}
			_, value, _ := strings.Cut(kv, " = ")
			text := strings.TrimRight(lines[i], "\r\n")
			if m := oneLineValue.FindStringSubmatch(text); m != nil && f.key != "env" {
				lines[i] = m[1] + value + m[3] + lineEnding(lines[i])
			} else {
				lines[i] = indent + kv + lineEnding(lines[i])
				if lineEnding(lines[i]) == "" {
					lines[i] += t.eol
				}
			}
		}
	}
	if len(added) > 0 {
		lines = t.insert(lines, lastKey+1, added...)
	}
	slices.Sort(dropped)
	for _, i := range slices.Backward(dropped) {
		lines = slices.Delete(lines, i, i+1)
	}
	return lines, true
}
