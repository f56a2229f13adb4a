package discover

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/lockwatch/lockwatch/service/config"
)

// MaxFileSize bounds every file discovery reads (and crontab's output):
// configurations are a few kilobytes, and a reader that takes whatever it
// is pointed at can be made to eat the machine's memory.
const MaxFileSize = 1 << 20

// readFile reads a file of at most MaxFileSize bytes. A missing file gives
// an error that satisfies errors.Is(err, fs.ErrNotExist).
func readFile(path string) ([]byte, error) {
	// Stat first: opening a FIFO would block until someone writes to it.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &config.Error{File: path, Msg: "not a regular file"}
	}
	if fi.Size() > MaxFileSize {
		return nil, tooBig(path, fi.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(path, f)
}

// readBounded reads r to the end, failing once it passes MaxFileSize (the
// file may have grown since it was looked at, or be a pipe).
func readBounded(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, tooBig(name, -1)
	}
	return data, nil
}

// tooBig reports a file over MaxFileSize; size < 0 when only "more" is known.
func tooBig(name string, size int64) error {
	msg := "too big for a configuration file: more than 1 MiB, which is all lockwatch reads"
	if size >= 0 {
		msg = fmt.Sprintf("too big for a configuration file: %d bytes, and lockwatch reads at most 1 MiB (%d bytes)", size, MaxFileSize)
	}
	return &config.Error{File: name, Msg: msg}
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int) int {
	return 1 + bytes.Count(data[:min(max(off, 0), len(data))], []byte("\n"))
}

// lineTable answers lineAt for many offsets in one text: the JSON parser
// asks once per token, and counting from the start each time would take
// minutes on a 1 MiB file.
type lineTable []int // offsets of the newlines

func newLineTable(data []byte) lineTable {
	var t lineTable
	for i, c := range data {
		if c == '\n' {
			t = append(t, i)
		}
	}
	return t
}

// line returns the 1-based line of byte offset off.
func (t lineTable) line(off int) int {
	n, _ := slices.BinarySearch(t, off) // newlines before off
	return n + 1
}

var quotedRE = regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|` + "`[^`\n]*`")

// scrub removes quoted text of more than two characters from a parser's
// message: decoders quote bits of the offending value, and that value may
// be a password.
func scrub(msg string) string {
	return quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if utf8.RuneCountInString(inner) <= 2 || !hasLetterOrDigit(inner) {
			return q // a character or a delimiter, which helps find the mistake
		}
		return q[:1] + "…" + q[:1]
	})
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}
