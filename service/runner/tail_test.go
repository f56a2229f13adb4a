package runner

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTailKeepsTheLastLines(t *testing.T) {
	tl := newTail(3)
	// Lines split across writes, a progress line rewritten with \r, CRLF.
	for _, chunk := range []string{"one\ntw", "o\r\n", "10%\r50%\r100%\n", "\x1b[31mred\x1b[0m\tx\n", "last, unfinished"} {
		tl.Write([]byte(chunk))
	}
	got := tl.Lines()
	want := []string{"100%", "red x", "last, unfinished"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Lines() = %q, want %q", got, want)
	}

	tl = newTail(TailLines)
	for i := range 120 {
		fmt.Fprintf(tl, "line %d\n", i)
	}
	got = tl.Lines()
	if len(got) != TailLines || got[0] != "line 70" || got[TailLines-1] != "line 119" {
		t.Errorf("after 120 lines: %d kept, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
}

func TestTailBoundsAndRedacts(t *testing.T) {
	tl := newTail(5)
	tl.Write([]byte(strings.Repeat("x", 200<<10))) // one endless line
	tl.Write([]byte("\nFatal: unable to open rest:https://alice:hunter2@nas:8000/repo/ \xff\n"))
	got := tl.Lines()
	if len(got) != 2 || len(got[0]) > maxLineBytes+len("…") {
		t.Fatalf("kept %d lines, first of %d bytes", len(got), len(got[0]))
	}
	if strings.Contains(got[1], "hunter2") || !strings.Contains(got[1], "alice:***@nas") || !strings.Contains(got[1], "\uFFFD") {
		t.Errorf("second line = %q", got[1])
	}
}

func TestSinceText(t *testing.T) {
	now := time.Date(2026, 3, 4, 2, 30, 0, 0, time.Local)
	if s := sinceText(now.Add(-30*time.Minute), now); s != "02:00" {
		t.Errorf("same day: %q", s)
	}
	if s := sinceText(now.Add(-3*time.Hour), now); s != "2026-03-03 23:30" {
		t.Errorf("day before: %q", s)
	}
}
