package runner

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// Bounds of what the tail keeps, so that a runaway command cannot fill
// memory (or the store) with one endless line.
const (
	maxLineBytes    = 1000     // per kept line
	maxPendingBytes = 64 << 10 // an unfinished line beyond this loses its start
	keepPending     = 4 << 10  // ... and keeps only this much
)

// tail keeps the last n lines written to it. A line rewritten in place with
// carriage returns (a progress bar) counts as its last version.
type tail struct {
	mu      sync.Mutex
	n       int
	lines   []string // ring of at most n
	next    int      // where the next line goes once the ring is full
	pending []byte   // the unfinished last line
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		t.pending = append(t.pending, p[:i]...)
		t.push()
		p = p[i+1:]
	}
	t.pending = append(t.pending, p...)
	if len(t.pending) > maxPendingBytes {
		t.pending = append(t.pending[:0], t.pending[len(t.pending)-keepPending:]...)
	}
	return n, nil
}

func (t *tail) push() {
	line := cleanLine(t.pending)
	t.pending = t.pending[:0]
	if len(t.lines) < t.n {
		t.lines = append(t.lines, line)
		return
	}
	t.lines[t.next] = line
	t.next = (t.next + 1) % t.n
}

// Lines returns the kept lines, oldest first, with an unfinished last line.
func (t *tail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.lines)+1)
	out = append(out, t.lines[t.next:]...)
	out = append(out, t.lines[:t.next]...)
	if len(bytes.TrimSpace(t.pending)) > 0 {
		out = append(out, cleanLine(t.pending))
		if len(out) > t.n {
			out = out[1:]
		}
	}
	return out
}

var (
	ansiRE = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)`)
	// userinfoRE finds a password in a URL ("rest:https://user:pass@host/"):
	// restic prints repository locations in some errors.
	userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*):[^/\s]*@`)
)

// cleanLine makes one line of a command's stderr fit for the store and for
// display: its last carriage-return segment, no terminal escapes or other
// control characters, valid UTF-8, bounded, and no password from a URL.
func cleanLine(b []byte) string {
	b = bytes.TrimRight(b, "\r")
	if i := bytes.LastIndexByte(b, '\r'); i >= 0 {
		b = b[i+1:]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = ansiRE.ReplaceAllString(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	if strings.Contains(s, "://") {
		s = userinfoRE.ReplaceAllString(s, "${1}:***@")
	}
	s = strings.TrimRight(s, " ")
	if len(s) > maxLineBytes {
		cut := maxLineBytes
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// tee copies what a command writes to its stderr to w and to t. A failing
// w (our own stderr closed) must not stop the copy: the command would then
// get EPIPE or SIGPIPE on its next write and die mid-backup.
type tee struct {
	w    io.Writer
	t    *tail
	dead bool
}

func (x *tee) Write(p []byte) (int, error) {
	if !x.dead && x.w != nil {
		if _, err := x.w.Write(p); err != nil {
			x.dead = true
		}
	}
	return x.t.Write(p)
}
