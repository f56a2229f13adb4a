package discover

import (
	"errors"
	"strings"
)

// Command lines as sh, cron and systemd split them into words.

var errUnterminated = errors.New("unterminated quote")

// splitWords splits a shell command line into words, undoing quotes and
// backslashes the way sh does. The control operators ; & | && || are
// words of their own, and an unquoted # starting a word ends the line.
// It does not expand variables: callers resolve them where they know the
// values.
func splitWords(s string) ([]string, error) { return split(s, true) }

// splitQuoted splits like splitWords but knows no operators or comments:
// systemd's Environment= and ExecStart= quote the same way, but a ; or #
// inside a value is part of it.
func splitQuoted(s string) ([]string, error) { return split(s, false) }

func split(s string, shell bool) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	end := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errUnterminated
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errUnterminated
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			end()
		case shell && (c == ';' || c == '&' || c == '|'):
			end()
			op := string(c)
			if i+1 < len(s) && s[i+1] == c && c != ';' {
				op += op
				i++
			}
			words = append(words, op)
		case shell && c == '#' && !inWord:
			return words, nil
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	end()
	return words, nil
}

func isOperator(w string) bool {
	switch w {
	case ";", "&", "|", "&&", "||":
		return true
	}
	return false
}
