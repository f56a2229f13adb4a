package restic

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lockwatch/lockwatch/service/reader"
)

// Kind says what went wrong in words a user can act on.
type Kind int

const (
	KindFailed        Kind = iota // any other failure
	KindBinaryMissing             // the restic binary could not be started (not found / not executable)
	KindRepoMissing               // there is no repository at the configured location
	KindWrongPassword             // no key opens the repository with the given password
	KindLocked                    // another lock blocked restic
	KindTimeout                   // the call ran out of time (set by the caller, not parsed)
	KindNotFound                  // the requested file (a lock, say) does not exist, though the repository does
)

var kindNames = [...]string{
	KindFailed:        "failed",
	KindBinaryMissing: "restic not found",
	KindRepoMissing:   "repository missing",
	KindWrongPassword: "wrong password",
	KindLocked:        "locked",
	KindTimeout:       "timed out",
	KindNotFound:      "not found",
}

// kindPhrases complete "restic <op>: ..." when restic said nothing useful.
var kindPhrases = [...]string{
	KindFailed:        "failed",
	KindBinaryMissing: "restic not found",
	KindRepoMissing:   "repository does not exist",
	KindWrongPassword: "wrong password or no key found",
	KindLocked:        "repository is locked",
	KindTimeout:       "timed out",
	KindNotFound:      "file not found",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) phrase() string {
	if k >= 0 && int(k) < len(kindPhrases) {
		return kindPhrases[k]
	}
	return k.String()
}

// sentinel is the type of the ErrX values; an *Error matches the one of its Kind.
type sentinel struct{ kind Kind }

func (s *sentinel) Error() string { return "restic: " + s.kind.phrase() }

// Sentinels for errors.Is: errors.Is(err, ErrLocked) holds for any *Error
// of KindLocked. The kinds every reader shares match reader's errors:
// reader.ErrRepoMissing, reader.ErrWrongPassword, reader.ErrNotFound.
var (
	ErrBinaryMissing error = &sentinel{KindBinaryMissing}
	ErrLocked        error = &sentinel{KindLocked}
	ErrTimeout       error = &sentinel{KindTimeout}
)

// Error is a failed restic call.
type Error struct {
	Kind     Kind
	Op       string    // what we asked restic to do, e.g. "list locks" (never contains secrets)
	ExitCode int       // -1 when restic did not exit normally / did not start
	Detail   string    // the most useful line(s) of restic's stderr, cleaned, one line, at most ~300 bytes
	Conflict *Conflict // set for KindLocked when the blocking lock could be parsed
}

// Error reads as a plain sentence, e.g.
// "restic list locks: wrong password or no key found".
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	var msg string
	switch {
	case e.Kind == KindBinaryMissing:
		msg = "restic not found"
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		return redact(msg + " (install restic, or set restic under [defaults] to its path)")
	case e.Kind == KindTimeout:
		msg = "timed out"
		if e.Detail != "" {
			msg += " (" + e.Detail + ")"
		}
	case e.Kind == KindLocked && e.Conflict != nil:
		msg = e.Conflict.describe()
	case e.Detail != "":
		msg = e.Detail
	case e.Kind == KindFailed && e.ExitCode >= 0:
		msg = "failed with exit code " + strconv.Itoa(e.ExitCode)
	default:
		msg = e.Kind.phrase()
	}
	prefix := "restic"
	if e.Op != "" {
		prefix += " " + e.Op
	}
	// Redact the whole sentence: Op and Conflict come from outside too.
	return redact(prefix + ": " + msg)
}

// Is makes errors.Is(err, ErrLocked), the other sentinels and reader's
// errors work.
func (e *Error) Is(target error) bool {
	if e == nil {
		return false
	}
	switch target {
	case reader.ErrRepoMissing:
		return e.Kind == KindRepoMissing
	case reader.ErrWrongPassword:
		return e.Kind == KindWrongPassword
	case reader.ErrNotFound:
		return e.Kind == KindNotFound
	}
	s, ok := target.(*sentinel)
	return ok && s.kind == e.Kind
}

// Conflict is the lock that blocked restic, as restic described it.
type Conflict struct {
	PID       int
	Host      string
	User      string
	UID, GID  int // -1 when not printed
	Exclusive bool
	CreatedAt string        // as printed, e.g. "2026-11-18 23:23:22" (restic prints local time without zone)
	Age       time.Duration // parsed from "(73h0m1.448507446s ago)", 0 if absent
	StorageID string        // short id, e.g. "0930d0a3", "" if absent
}

// describe says who holds the lock, e.g.
// "repository is locked exclusively by PID 69387 on mbp by alice (created 73h ago)".
func (c *Conflict) describe() string {
	var b strings.Builder
	b.WriteString("repository is locked ")
	if c.Exclusive {
		b.WriteString("exclusively ")
	}
	b.WriteString("by PID " + strconv.Itoa(c.PID))
	if c.Host != "" {
		b.WriteString(" on " + c.Host)
	}
	if c.User != "" {
		b.WriteString(" by " + c.User)
	}
	switch {
	case c.Age > 0:
		b.WriteString(" (created " + humanAge(c.Age) + " ago)")
	case c.CreatedAt != "":
		b.WriteString(" (created at " + c.CreatedAt + ")")
	}
	return b.String()
}

// humanAge rounds down to what matters when judging a lock: 45s, 12m, 2h5m, 73h.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 10*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	default:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
}

// maxDetail bounds Detail in bytes; one more "…" may follow.
const maxDetail = 300

// Classify builds the Error for a restic call that exited with exitCode and printed stderr.
//
// restic 0.17+ exit codes decide (10 no repository, 11 locked, 12 wrong
// password); older restic exits 1 for everything, so the text decides there.
func Classify(op string, exitCode int, stderr []byte) *Error {
	e := &Error{Kind: KindFailed, Op: op, ExitCode: exitCode}
	out := parse(string(stderr))

	code := exitCode
	if !decisive(code) && decisive(out.jsonCode) {
		code = out.jsonCode
	}
	lockLine := out.find(func(l string) bool { return strings.Contains(l, "repository is already locked") })
	pwLine := out.find(func(l string) bool { return strings.Contains(l, "wrong password or no key found") })
	repoLine := out.find(func(l string) bool {
		return strings.Contains(l, "repository does not exist") || strings.Contains(l, "unable to open config file")
	})
	repoMissing := out.sawLocationHint
	if repoLine >= 0 {
		// restic 0.14 says "unable to open config file" for any failure to
		// read it (a 401 or a refused connection too); only a missing file
		// means there is no repository.
		l := out.lines[repoLine]
		repoMissing = strings.Contains(l, "repository does not exist") || notFoundPhrase(l)
	}
	notFoundLine := -1
	for i := len(out.lines) - 1; i >= 0; i-- {
		if l := out.lines[i]; notFoundPhrase(l) && (out.sawFileRef || strongNotFound(l)) {
			notFoundLine = i
			break
		}
	}

	detailLine := -1
	switch {
	case code == 10:
		e.Kind, detailLine = KindRepoMissing, repoLine
	case code == 11:
		e.Kind, detailLine = KindLocked, lockLine
	case code == 12:
		e.Kind, detailLine = KindWrongPassword, pwLine
	case code == 127 && containsFold(out.text, "not found"),
		code == 126 && (containsFold(out.text, "permission denied") || containsFold(out.text, "cannot execute")):
		// A wrapper (shell, sudo) could not start restic.
		e.Kind = KindBinaryMissing
	case out.crash != "":
		// A crash is a failure whatever else was printed.
	case lockLine >= 0:
		// A conflict comes after the key was opened: it wins over anything else.
		e.Kind, detailLine = KindLocked, lockLine
	case pwLine >= 0:
		e.Kind, detailLine = KindWrongPassword, pwLine
	case repoLine >= 0 && repoMissing:
		e.Kind, detailLine = KindRepoMissing, repoLine
	case repoLine >= 0:
		// Could not read the config for another reason: say what restic said.
		detailLine = repoLine
	case repoMissing:
		e.Kind = KindRepoMissing
	case notFoundLine >= 0:
		e.Kind, detailLine = KindNotFound, notFoundLine
	}

	var detail string
	switch {
	case out.crash != "":
		detail = out.crash
	case e.Kind == KindLocked && lockLine >= 0:
		if c, end, ok := conflictAt(out.lines, lockLine); ok {
			e.Conflict = &c
			parts := append([]string(nil), out.lines[lockLine:end]...)
			parts[0] = stripLockPrefix(parts[0])
			detail = strings.Join(parts, "; ")
		} else {
			detail = stripLockPrefix(out.lines[lockLine])
		}
	case detailLine >= 0:
		detail = out.lines[detailLine]
		if e.Kind == KindRepoMissing {
			detail = repoDetail(detail, out.location)
		}
	case e.Kind == KindRepoMissing && out.location != "":
		detail = "no repository at " + out.location
	case out.fatal >= 0:
		detail = out.lines[out.fatal]
	case out.json >= 0:
		detail = out.lines[out.json]
	case len(out.lines) > 0:
		// restic prints warnings first and its error last.
		detail = out.lines[len(out.lines)-1]
	}
	e.Detail = truncate(detail, maxDetail)
	return e
}

func decisive(code int) bool { return code == 10 || code == 11 || code == 12 }

// ParseConflict finds restic's lock-conflict description in text
// (plain stderr, with or without "Fatal: ", or restic's --json exit_error).
func ParseConflict(text string) (Conflict, bool) {
	out := parse(text)
	for i, l := range out.lines {
		if strings.Contains(l, "repository is already locked") {
			if c, _, ok := conflictAt(out.lines, i); ok {
				return c, true
			}
		}
	}
	return Conflict{}, false
}

var (
	// restic's Lock.String(): "PID %d on %s by %s (UID %d, GID %d)"; the
	// UID/GID part is optional here, the username may be empty.
	conflictRE = regexp.MustCompile(`repository is already locked (exclusively )?by PID (\d+) on (\S*) by (\S*)(?: \(UID (-?\d+), GID (-?\d+)\))?`)
	createdRE  = regexp.MustCompile(`^lock was created at (.*?)(?: \(([^()]*) ago\))?$`)
	storageRE  = regexp.MustCompile(`^storage ID ([0-9a-fA-F]{1,64})\b`)
)

// conflictAt parses the conflict starting at lines[i] and returns the index
// after the last line that belongs to it.
func conflictAt(lines []string, i int) (Conflict, int, bool) {
	m := conflictRE.FindStringSubmatch(lines[i])
	if m == nil {
		return Conflict{}, 0, false
	}
	pid, err := strconv.Atoi(m[2])
	if err != nil || pid <= 0 {
		return Conflict{}, 0, false
	}
	// Host names are at most 255 bytes; anything longer is not restic's.
	c := Conflict{PID: pid, Host: truncate(m[3], 255), User: truncate(m[4], 255), UID: -1, GID: -1, Exclusive: m[1] != ""}
	if m[5] != "" {
		if n, err := strconv.Atoi(m[5]); err == nil {
			c.UID = n
		}
		if n, err := strconv.Atoi(m[6]); err == nil {
			c.GID = n
		}
	}
	end := i + 1
	for ; end < len(lines) && end <= i+2; end++ {
		if m := createdRE.FindStringSubmatch(lines[end]); m != nil && c.CreatedAt == "" {
			c.CreatedAt = truncate(strings.TrimSpace(m[1]), 64)
			if d, err := time.ParseDuration(m[2]); err == nil {
				c.Age = d
			}
		} else if m := storageRE.FindStringSubmatch(lines[end]); m != nil && c.StorageID == "" {
			c.StorageID = m[1]
		} else {
			break
		}
	}
	return c, end, true
}

func stripLockPrefix(s string) string {
	return strings.TrimPrefix(s, "unable to create lock in backend: ")
}

// repoDetail makes restic 0.14's and 0.17+'s missing-repository lines read the same.
func repoDetail(line, location string) string {
	if !strings.Contains(line, "repository does not exist") && strings.HasPrefix(line, "unable to open config file") {
		line = "repository does not exist: " + line
	}
	if loc := strings.TrimRight(location, "/"); loc != "" && !strings.Contains(line, loc) {
		line += " (at " + location + ")"
	}
	return line
}

// notFoundPhrase: the ways backends say a file is not there.
func notFoundPhrase(l string) bool {
	for _, p := range notFoundPhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

var notFoundPhrases = []string{
	"no such file or directory",                 // local, 0.14 and later
	"does not exist",                            // rest ("<lock/1234abcd> does not exist"), sftp ("file does not exist"), s3
	"404 Not Found",                             // rest
	"unexpected HTTP response (404)",            // rest
	"NoSuchKey",                                 // s3 error code
	"The system cannot find the file specified", // local on Windows
	"The system cannot find the path specified",
}

// strongNotFound phrases only ever speak of a file, so they need no file reference.
func strongNotFound(l string) bool {
	return strings.Contains(l, "The specified key does not exist") || strings.Contains(l, "NoSuchKey")
}

// fileRefRE matches a reference to a file inside a repository: restic's
// handles ("<lock/0000000000>") and paths or URLs ("/locks/0000…").
var fileRefRE = regexp.MustCompile(`<(?:lock|key|snapshot|index|data|pack)/[0-9a-fA-F]*>|[/\\](?:locks|keys|snapshots|index|data)[/\\][0-9a-fA-F]`)

// output is restic's stderr taken apart.
type output struct {
	lines           []string // cleaned: no stack traces, no retry noise, no "Fatal: ", no duplicates
	text            string   // lines joined
	fatal           int      // index of the first line restic marked "Fatal: ", or -1
	json            int      // index of the first line of a --json exit_error message, or -1
	jsonCode        int      // its code, or 0
	crash           string   // "restic crashed: <panic message>" when restic panicked
	location        string   // the line after "Is there a repository at the following location?"
	sawLocationHint bool
	sawFileRef      bool // some line named a file inside the repository
}

func (o *output) find(match func(string) bool) int {
	for i, l := range o.lines {
		if match(l) {
			return i
		}
	}
	return -1
}

var (
	ansiRE      = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)`)
	goroutineRE = regexp.MustCompile(`goroutine \d+ \[`)
	frameRE     = regexp.MustCompile(`^\t.*:\d+(?: \+0x[0-9a-f]+)?$`)
	loadRetryRE = regexp.MustCompile(`^Load\(<[^>]*>, \d+, \d+\) (?:returned error, retrying after [^:]*|failed): (.+)$`)
)

const locationHint = "Is there a repository at the following location?"

func parse(s string) output {
	o := output{fatal: -1, json: -1}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = ansiRE.ReplaceAllString(s, "")
	s = redact(s)

	// Expand --json messages (restic 0.18+) into plain lines.
	type raw struct {
		text string
		json bool
	}
	var rs []raw
	for _, l := range strings.Split(s, "\n") {
		msg, code, isJSON, keep := jsonLine(l)
		if !isJSON {
			rs = append(rs, raw{text: l})
			continue
		}
		if code != 0 && o.jsonCode == 0 {
			o.jsonCode = code
		}
		if keep {
			// JSON escapes could have hidden a password from the first pass.
			msg = redact(strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\r", "\n"))
			for j, ml := range strings.Split(msg, "\n") {
				rs = append(rs, raw{text: ml, json: code != 0 && j == 0})
			}
		}
	}

	seen := map[string]bool{}
	afterHint := false
	for i, r := range rs {
		l := r.text
		if goroutineRE.MatchString(l) || frameRE.MatchString(l) ||
			(i+1 < len(rs) && frameRE.MatchString(rs[i+1].text)) {
			continue // Go stack trace: a goroutine header, a frame's position, a frame's function
		}
		if fileRefRE.MatchString(l) {
			o.sawFileRef = true
		}
		l = strings.TrimSpace(clean(l))
		if l == "" {
			continue
		}
		if afterHint {
			afterHint = false
			o.location = truncate(l, 200)
			continue
		}
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			if o.crash == "" {
				msg := strings.TrimSuffix(l[strings.Index(l, ": ")+2:], " [recovered]")
				o.crash = strings.TrimSpace("restic crashed: " + msg)
			}
			continue
		}
		if strings.HasPrefix(l, "[signal ") {
			continue
		}
		if m := loadRetryRE.FindStringSubmatch(l); m != nil {
			l = m[1]
		}
		fatal := false
		for strings.HasPrefix(l, "Fatal: ") {
			l, fatal = strings.TrimSpace(l[len("Fatal: "):]), true
		}
		if strings.Contains(l, ": Fatal: ") {
			// "Resolving password failed: Fatal: /x/pw does not exist"
			l, fatal = strings.ReplaceAll(l, ": Fatal: ", ": "), true
		}
		switch {
		case l == "":
			continue
		case l == locationHint:
			o.sawLocationHint, afterHint = true, true
			continue
		case strings.HasPrefix(l, "repo already locked, waiting up to "),
			l == "the `unlock` command can be used to remove stale locks":
			continue
		}
		if seen[l] {
			continue
		}
		seen[l] = true
		if fatal && o.fatal < 0 {
			o.fatal = len(o.lines)
		}
		if r.json && o.json < 0 {
			o.json = len(o.lines)
		}
		o.lines = append(o.lines, l)
	}
	o.text = strings.Join(o.lines, "\n")
	return o
}

// jsonLine decodes one line of restic's --json output. isJSON reports that
// the line was a JSON object; keep that msg carries words for the user.
func jsonLine(l string) (msg string, code int, isJSON, keep bool) {
	t := strings.TrimSpace(l)
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return "", 0, false, false
	}
	var m struct {
		MessageType string          `json:"message_type"`
		Code        json.RawMessage `json:"code"`
		Message     string          `json:"message"`
		Error       *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(t), &m); err != nil {
		return "", 0, false, false
	}
	if m.MessageType == "exit_error" {
		if n, err := strconv.Atoi(string(m.Code)); err == nil && n != 0 {
			code = n
		}
	}
	switch {
	case m.Message != "":
		return m.Message, code, true, true
	case m.Error != nil && m.Error.Message != "":
		return m.Error.Message, code, true, true
	}
	return "", code, true, false // a status line: nothing to tell
}

// clean turns tabs into spaces and drops other control characters.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == '\ufeff':
			return -1
		}
		return r
	}, s)
}

// userinfoRE finds a password in a URL's userinfo ("rest:https://user:pass@host/").
// The password runs to the last "@" before the path, so an unescaped "@" in it is covered.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*):[^/\s]*@`)

// redact hides passwords in URLs: https://user:***@host.
func redact(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return userinfoRE.ReplaceAllString(s, "${1}:***@")
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + "…"
}
