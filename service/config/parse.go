package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Keys accepted in each table, in the order they are documented.
var (
	topKeys      = []string{"defaults", "repo"}
	defaultsKeys = []string{"restic", "check_interval", "hostname", "unrefreshed_after", "timeout", "history_days", "notifications", "watch", "metrics_listen", "textfile_path", "language"}
	repoKeys     = []string{"name", "repository", "repository_file", "password_file", "password_command", "password_keyring", "env", "auto_unlock", "check_interval", "reader",
		"max_snapshot_age", "snapshot_host", "snapshot_tags", "snapshot_paths", "resticprofile_status", "resticprofile_profile"}
)

// reservedEnv are variables lockwatch sets itself from the repo table; also
// setting them in env would make the password/repository source ambiguous.
var reservedEnv = map[string]string{
	"RESTIC_REPOSITORY":       "repository",
	"RESTIC_REPOSITORY_FILE":  "repository_file",
	"RESTIC_PASSWORD_FILE":    "password_file",
	"RESTIC_PASSWORD_COMMAND": "password_command",
	"RESTIC_PASSWORD":         "password_file or password_command",
}

const durationHint = `use a number with a unit, like "90s", "5m" or "1h30m"`

// Parse parses a configuration. path is used only in messages and stored in
// Config.Path. Parse applies defaults, expands ~ and $VARIABLES in paths and
// validates everything; all problems are reported, each as an *Error with
// its line, joined with errors.Join.
func Parse(path string, data []byte) (*Config, error) {
	file := path
	if file == "" {
		file = "config"
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, syntaxError(file, data, err)
	}
	p := &parser{file: file, lines: indexLines(string(data))}
	cfg := &Config{Path: path}
	p.config(raw, cfg)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxError converts a TOML decoding error. The decoder's messages may
// quote bits of the offending value, which could be a secret, so those are
// removed.
func syntaxError(file string, data []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: file, Msg: "invalid TOML"}
	}
	line, col := pe.Position.Line, pe.Position.Col
	// The decoder reports an unexpected newline on the following line;
	// derive line and column from the byte offset instead.
	if start := pe.Position.Start; start > 0 && start <= len(data) || line == 1 {
		before := data[:min(max(start, 0), len(data))]
		line = 1 + bytes.Count(before, []byte("\n"))
		col = 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	}
	msg := "syntax error: " + scrubSyntaxMessage(pe.Message)
	if col > 0 {
		msg += fmt.Sprintf(" (column %d)", col)
	}
	return &Error{File: file, Line: line, Msg: msg}
}

var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^']*'`)

func scrubSyntaxMessage(m string) string {
	if strings.HasPrefix(m, "Key '") { // duplicate/conflicting keys: quotes a key name only
		return m
	}
	if strings.Contains(m, " is out of range for ") || strings.Contains(m, " is out of the safe ") {
		return "number is out of range"
	}
	return quotedRE.ReplaceAllStringFunc(m, func(q string) string {
		inner := q[1 : len(q)-1]
		if utf8.RuneCountInString(inner) <= 2 || strings.HasPrefix(inner, "0x") && len(inner) <= 4 ||
			strings.IndexFunc(inner, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			return q // a single character, escape, control code or delimiter
		}
		return q[:1] + "…" + q[:1]
	})
}

type parser struct {
	file  string
	lines lineIndex
	errs  []*Error
}

func (p *parser) add(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		li, lj := p.errs[i].Line, p.errs[j].Line
		if li == 0 || lj == 0 {
			return lj == 0 && li != 0
		}
		return li < lj
	})
	if len(p.errs) == 1 {
		return p.errs[0]
	}
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// sortedKeys returns the keys of m in file order (unknown lines last).
func (p *parser) sortedKeys(m map[string]any, prefix ...string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	line := func(k string) int {
		if l := p.lines.line(concat(prefix, k)...); l > 0 {
			return l
		}
		return int(^uint(0) >> 1)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := line(keys[i]), line(keys[j])
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (p *parser) unknownKey(line int, table, key string, known []string) {
	full := key
	if table != "" {
		full = table + "." + key
	}
	msg := "unknown key " + full
	if s := suggest(key, known); s != "" {
		msg += " (did you mean " + s + "?)"
	} else if table == "" && contains(defaultsKeys, key) {
		msg += " (it belongs in the [defaults] table)"
	} else if table == "" && contains(repoKeys, key) {
		msg += " (it belongs in a [[repo]] table)"
	}
	p.add(line, "%s", msg)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (p *parser) config(raw map[string]any, cfg *Config) {
	for _, k := range p.sortedKeys(raw) {
		v := raw[k]
		line := p.lines.line(k)
		switch k {
		case "defaults":
			m, ok := v.(map[string]any)
			if !ok {
				p.add(line, "defaults must be a table ([defaults]), not %s", typeName(v))
				continue
			}
			p.defaults(m, &cfg.Defaults)
		case "repo":
			var elems []any
			switch t := v.(type) {
			case []map[string]any:
				for _, m := range t {
					elems = append(elems, m)
				}
			case []any:
				elems = t
			default:
				p.add(line, "repo must be an array of tables (write [[repo]]), not %s", typeName(v))
				continue
			}
			p.repos(elems, cfg)
		default:
			p.unknownKey(line, "", k, topKeys)
		}
	}
	p.finishDefaults(raw, &cfg.Defaults)
}

func (p *parser) defaults(m map[string]any, d *Defaults) {
	for _, k := range p.sortedKeys(m, "defaults") {
		v := m[k]
		line := p.lines.line("defaults", k)
		switch k {
		case "restic":
			if s, ok := p.str(line, "", k, v); ok {
				exp, err := expandPath(strings.TrimSpace(s))
				if err != nil {
					p.add(line, "restic: %v", err)
				}
				d.Restic = exp
			}
		case "hostname":
			if s, ok := p.str(line, "", k, v); ok {
				d.Hostname = strings.TrimSpace(s)
				if strings.IndexFunc(d.Hostname, unicode.IsSpace) >= 0 {
					p.add(line, "hostname %q must not contain white space", d.Hostname)
				}
			}
		case "check_interval":
			d.CheckInterval, _ = p.duration(line, "", k, v)
		case "unrefreshed_after":
			d.UnrefreshedAfter, _ = p.duration(line, "", k, v)
		case "timeout":
			d.Timeout, _ = p.duration(line, "", k, v)
		case "notifications":
			if b, ok := v.(bool); ok {
				d.Notifications = b
			} else {
				p.add(line, "notifications must be true or false, not %s", typeName(v))
			}
		case "watch":
			if b, ok := v.(bool); ok {
				d.Watch = b
			} else {
				p.add(line, "watch must be true or false, not %s", typeName(v))
			}
		case "language":
			if s, ok := p.str(line, "", k, v); ok {
				d.Language = strings.TrimSpace(s)
				if !contains(Languages, d.Language) {
					p.add(line, "language must be one of %s, not %q", strings.Join(Languages, ", "), d.Language)
				}
			}
		case "metrics_listen":
			if s, ok := p.str(line, "", k, v); ok {
				d.MetricsListen = strings.TrimSpace(s)
				if msg := checkListen(d.MetricsListen); msg != "" {
					p.add(line, "metrics_listen %q %s", d.MetricsListen, msg)
				}
			}
		case "textfile_path":
			if s, ok := p.str(line, "", k, v); ok {
				exp, err := expandPath(strings.TrimSpace(s))
				switch {
				case err != nil:
					p.add(line, "textfile_path: %v", err)
				case exp != "" && !strings.HasSuffix(exp, ".prom"):
					p.add(line, "textfile_path %q must end in .prom, or node_exporter's textfile collector skips it", exp)
				}
				d.TextfilePath = exp
			}
		case "history_days":
			if n, ok := v.(int64); ok && n >= 1 {
				d.HistoryDays = int(n)
			} else {
				p.add(line, "history_days must be a whole number of days, at least 1")
			}
		default:
			p.unknownKey(line, "defaults", k, defaultsKeys)
		}
	}
}

// checkListen says what is wrong with a metrics_listen address ("" if
// nothing): it must be host:port with a port number, as in
// "127.0.0.1:9977" or "[::1]:9977"; ":9977" listens on every address.
func checkListen(addr string) string {
	if addr == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return `is not host:port, e.g. "127.0.0.1:9977"`
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "has no port number between 1 and 65535"
	}
	return ""
}

// finishDefaults fills in defaults and checks ranges.
func (p *parser) finishDefaults(raw map[string]any, d *Defaults) {
	defs, _ := raw["defaults"].(map[string]any)
	isSet := func(k string) bool { _, ok := defs[k]; return ok }
	line := func(k string) int { return p.lines.line("defaults", k) }

	if d.Restic == "" {
		d.Restic = DefaultRestic
	}
	if !isSet("check_interval") {
		d.CheckInterval.Duration = DefaultCheckInterval
	} else if isDurationString(defs["check_interval"]) {
		p.minDuration(line("check_interval"), "", "check_interval", d.CheckInterval.Duration, MinCheckInterval)
	}
	if !isSet("unrefreshed_after") {
		d.UnrefreshedAfter.Duration = DefaultUnrefreshedAfter
	} else if isDurationString(defs["unrefreshed_after"]) && d.UnrefreshedAfter.Duration <= LockRefreshWindow {
		p.add(line("unrefreshed_after"),
			"unrefreshed_after must be longer than %s (restic refreshes the locks of running commands every 5m), not %s",
			formatDuration(LockRefreshWindow), d.UnrefreshedAfter)
	}
	if !isSet("notifications") {
		d.Notifications = true
	}
	if !isSet("watch") {
		d.Watch = true
	}
	if !isSet("history_days") {
		d.HistoryDays = DefaultHistoryDays
	}
	if !isSet("timeout") {
		d.Timeout.Duration = DefaultTimeout
	} else if isDurationString(defs["timeout"]) {
		p.minDuration(line("timeout"), "", "timeout", d.Timeout.Duration, MinTimeout)
	}
}

// isDurationString reports whether v parsed as a duration (so that a range
// error is not reported on top of a syntax error).
func isDurationString(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.ParseDuration(strings.TrimSpace(s))
	return err == nil
}

func (p *parser) minDuration(line int, label, key string, d, lowest time.Duration) {
	if d < lowest {
		p.add(line, "%s%s must be at least %s, not %s", label, key, formatDuration(lowest), formatDuration(d))
	}
}

// str checks that v is a string. Its value is never shown.
func (p *parser) str(line int, label, key string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		p.add(line, "%s%s must be a string, not %s", label, key, typeName(v))
		return "", false
	}
	if hasControl(s) {
		p.add(line, "%s%s must not contain control characters (a newline, tab, escape…)", label, key)
		return "", false
	}
	return s, true
}

// hasControl reports a control character: in a value it can only be a
// mistake, or fake rows and terminal escapes in what lockwatch prints.
func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

func (p *parser) duration(line int, label, key string, v any) (Duration, bool) {
	s, ok := v.(string)
	if !ok {
		switch v.(type) {
		case int64, float64:
			p.add(line, "%sinvalid duration %v for %s: durations are strings; %s", label, v, key, durationHint)
		default:
			p.add(line, "%sinvalid duration for %s: must be a string, not %s; %s", label, key, typeName(v), durationHint)
		}
		return Duration{}, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		p.add(line, "%sinvalid duration %q for %s: %s", label, s, key, durationHint)
		return Duration{}, false
	}
	return Duration{d}, true
}

func (p *parser) repos(elems []any, cfg *Config) {
	type seen struct{ line int }
	names := map[string]seen{}
	for i, e := range elems {
		idx := strconv.Itoa(i)
		header := p.lines.line("repo", idx)
		m, ok := e.(map[string]any)
		if !ok {
			p.add(header, "repo #%d must be a table, not %s", i+1, typeName(e))
			continue
		}
		r, ok := p.repo(i, m)
		if r.Name == "" { // missing or invalid; reported
			continue
		}
		if first, dup := names[r.Name]; dup {
			line := p.lines.line("repo", idx, "name")
			if first.line > 0 {
				p.add(line, "duplicate repo name %q (also used on line %d)", r.Name, first.line)
			} else {
				p.add(line, "duplicate repo name %q", r.Name)
			}
			continue
		}
		names[r.Name] = seen{p.lines.line("repo", idx, "name")}
		if ok {
			cfg.Repos = append(cfg.Repos, r)
		}
	}
}

// repo decodes and validates one [[repo]] table; ok is false if it has
// errors (they have been reported).
func (p *parser) repo(i int, m map[string]any) (r Repo, ok bool) {
	idx := strconv.Itoa(i)
	before := len(p.errs)
	header := p.lines.line("repo", idx)
	line := func(k string) int {
		if l := p.lines.line("repo", idx, k); l > 0 {
			return l
		}
		return header
	}

	// The name first, to label the other messages.
	label := fmt.Sprintf("repo #%d: ", i+1)
	if v, present := m["name"]; !present {
		p.add(header, "repo #%d: name is missing", i+1)
	} else if s, isStr := p.str(line("name"), label, "name", v); isStr {
		if msg := checkName(s); msg != "" {
			p.add(line("name"), "repo #%d: %s", i+1, msg)
		} else {
			r.Name = s
			label = fmt.Sprintf("repo %q: ", s)
		}
	}

	present := map[string]bool{} // set and non-empty
	for _, k := range p.sortedKeys(m, "repo", idx) {
		v := m[k]
		l := line(k)
		var s string
		switch k {
		case "name", "env", "check_interval", "auto_unlock", "password_keyring", "max_snapshot_age", "snapshot_tags", "snapshot_paths":
		default:
			if !contains(repoKeys, k) {
				p.unknownKey(l, "repo", k, repoKeys)
				continue
			}
			var isStr bool
			if s, isStr = p.str(l, label, k, v); !isStr {
				continue
			}
			if strings.TrimSpace(s) == "" {
				p.add(l, "%s%s is empty", label, k)
				continue
			}
			present[k] = true
		}
		var err error
		switch k {
		case "repository":
			r.Repository, err = expandRepository(s)
		case "repository_file":
			r.RepositoryFile, err = expandPath(s)
		case "password_file":
			r.PasswordFile, err = expandPath(s)
		case "password_command":
			r.PasswordCommand = s // verbatim: the shell handles it
		case "password_keyring":
			if b, ok := v.(bool); ok {
				r.PasswordKeyring = b
				present[k] = b
			} else {
				p.add(l, "%spassword_keyring must be true or false, not %s", label, typeName(v))
			}
		case "env":
			r.Env = p.env(l, label, v, []string{"repo", idx, "env"})
		case "auto_unlock":
			if s, isStr := p.str(l, label, k, v); isStr {
				switch a := AutoUnlock(s); a {
				case AutoUnlockOff, AutoUnlockStale, AutoUnlockUnrefreshed:
					r.AutoUnlock = a
				default:
					p.add(l, "%sauto_unlock must be %q, %q or %q, not %q", label,
						AutoUnlockOff, AutoUnlockStale, AutoUnlockUnrefreshed, s)
				}
			}
		case "max_snapshot_age":
			if d, ok := p.duration(l, label, k, v); ok {
				r.MaxSnapshotAge = d
				p.minDuration(l, label, k, d.Duration, time.Minute)
			}
		case "snapshot_host":
			r.SnapshotHost = s
		case "snapshot_tags", "snapshot_paths":
			list, ok := v.([]any)
			var strs []string
			for _, e := range list {
				if str, isStr := e.(string); isStr && str != "" && !hasControl(str) {
					strs = append(strs, str)
				} else {
					ok = false
				}
			}
			if !ok {
				p.add(l, "%s%s must be a list of strings, like [\"daily\"]", label, k)
			} else if k == "snapshot_tags" {
				r.SnapshotTags = strs
			} else {
				r.SnapshotPaths = strs
			}
		case "resticprofile_status":
			r.ResticprofileStatus, err = expandPath(s)
		case "resticprofile_profile":
			r.ResticprofileProfile = s
		case "reader":
			switch s {
			case ReaderAuto, ReaderNative, ReaderRestic:
				r.Reader = s
			default:
				p.add(l, "%sreader must be %q, %q or %q, not %q", label, ReaderAuto, ReaderNative, ReaderRestic, s)
			}
		case "check_interval":
			if d, ok := p.duration(l, label, k, v); ok {
				r.CheckInterval = d
				p.minDuration(l, label, k, d.Duration, MinCheckInterval)
			}
		}
		if err != nil {
			p.add(l, "%s%s: %v", label, k, err)
		}
	}
	if r.AutoUnlock == "" {
		r.AutoUnlock = AutoUnlockOff
	}

	p.exactlyOne(m, present, header, line, label, "repository", "repository_file",
		"no repository; set repository or repository_file")
	p.passwordSource(m, present, header, line, label)

	return r, len(p.errs) == before
}

// exactlyOne reports when neither or both of keys a and b are set. A key that
// is present but empty has been reported already.
func (p *parser) exactlyOne(m map[string]any, present map[string]bool, header int, line func(string) int, label, a, b, missing string) {
	_, hasA := m[a]
	_, hasB := m[b]
	switch {
	case present[a] && present[b]:
		p.add(max(line(a), line(b)), "%s%s and %s are both set; use exactly one", label, a, b)
	case !hasA && !hasB:
		p.add(header, "%s%s", label, missing)
	}
}

// passwordSource reports when a repo has no password source, or more than one.
func (p *parser) passwordSource(m map[string]any, present map[string]bool, header int, line func(string) int, label string) {
	var set []string
	last := 0
	for _, k := range []string{"password_file", "password_command", "password_keyring"} {
		if present[k] {
			set = append(set, k)
			last = max(last, line(k))
		}
	}
	_, hasFile := m["password_file"]
	_, hasCommand := m["password_command"]
	_, hasKeyring := m["password_keyring"]
	switch {
	case len(set) > 1:
		p.add(last, "%s%s are both set; use exactly one", label, strings.Join(set, " and "))
	case !hasFile && !hasCommand && !(hasKeyring && present["password_keyring"]):
		p.add(header, "%sno password source; set password_file or password_command (or password_keyring = true)", label)
	}
}

func checkName(s string) string {
	switch {
	case s == "":
		return "name is empty"
	case strings.TrimSpace(s) == "":
		return "name is blank"
	case strings.ContainsAny(s, `/\`):
		return fmt.Sprintf(`name %q must not contain '/' or '\'`, s)
	case s == "." || s == "..":
		return fmt.Sprintf("name %q is not allowed", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("name %q must not contain control characters", s)
	}
	return ""
}

// env checks the env table. Values are secrets and are never shown.
func (p *parser) env(line int, label string, v any, envPath []string) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		p.add(line, "%senv must be a table (env = { NAME = \"value\" }), not %s", label, typeName(v))
		return nil
	}
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		l := line
		// Inline tables are on one line; a [repo.env] table has a line per key.
		if kl := p.lines.line(concat(envPath, k)...); kl > 0 {
			l = kl
		}
		switch {
		case k == "" || strings.ContainsAny(k, "=\x00") || strings.IndexFunc(k, unicode.IsSpace) >= 0 || hasControl(k):
			p.add(l, "%senv: invalid variable name %q", label, k)
			continue
		case reservedEnv[k] != "":
			p.add(l, "%senv.%s must not be set; use %s", label, k, reservedEnv[k])
			continue
		}
		s, ok := val.(string)
		if !ok {
			p.add(l, "%senv.%s must be a string, not %s", label, k, typeName(val))
			continue
		}
		// Env values are never shown, and may hold a key with newlines.
		if strings.IndexByte(s, 0) >= 0 {
			p.add(l, "%senv.%s must not contain a NUL character", label, k)
			continue
		}
		out[k] = s
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date/time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// suggest returns the entry of known closest to key, if it is close enough
// to be a likely typo.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
		d := editDistance(strings.ToLower(key), k)
		if d < bestDist && d <= len(k)/3+1 {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
