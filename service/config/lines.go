package config

import (
	"strconv"
	"strings"
)

// BurntSushi/toml does not expose the position of every key (MetaData keeps
// one position per dotted key name, so all [[repo]] elements share one), so
// lineIndex re-scans the already validated TOML text and records the line of
// every table header, key and array element.
//
// Paths are the key components joined by pathSep; elements of arrays (and of
// arrays of tables) are addressed by their decimal index, e.g.
// path("repo", "1", "name").
type lineIndex map[string]int

const pathSep = "\x00"

func path(parts ...string) string { return strings.Join(parts, pathSep) }

// line returns the line of the key at path parts, or 0 if unknown.
func (l lineIndex) line(parts ...string) int { return l[path(parts...)] }

// indexLines scans src, which must already have parsed as TOML. It never
// fails: on anything unexpected it returns what it found so far.
func indexLines(src string) (idx lineIndex) {
	s := &lineScanner{src: src, line: 1, lines: lineIndex{}, arrays: map[string]int{}}
	defer func() {
		if recover() != nil {
			idx = s.lines
		}
	}()
	s.document()
	return s.lines
}

type lineScanner struct {
	src    string
	pos    int
	line   int
	lines  lineIndex
	arrays map[string]int // [[array]] path → number of elements so far
}

func (s *lineScanner) eof() bool { return s.pos >= len(s.src) }

func (s *lineScanner) peek() byte { return s.at(0) }

func (s *lineScanner) at(off int) byte {
	if s.pos+off < len(s.src) {
		return s.src[s.pos+off]
	}
	return 0
}

func (s *lineScanner) setFirst(p string, line int) {
	if _, ok := s.lines[p]; !ok {
		s.lines[p] = line
	}
}

func concat(a []string, b ...string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func (s *lineScanner) document() {
	var ctx []string
	for !s.eof() {
		s.skipSpaceNL()
		if s.eof() {
			return
		}
		start := s.pos
		if s.peek() == '[' {
			if s.at(1) == '[' {
				s.pos += 2
				keys := s.dottedKey()
				if len(keys) > 0 {
					full := concat(s.resolve(keys[:len(keys)-1]), keys[len(keys)-1])
					p := path(full...)
					n := s.arrays[p]
					s.arrays[p] = n + 1
					s.setFirst(p, s.line)
					ctx = concat(full, strconv.Itoa(n))
					s.lines[path(ctx...)] = s.line
				}
			} else {
				s.pos++
				keys := s.dottedKey()
				if len(keys) > 0 {
					ctx = s.resolve(keys)
					s.setFirst(path(ctx...), s.line)
				}
			}
			s.skipLine()
		} else {
			s.keyValue(ctx)
		}
		if s.pos == start {
			s.skipLine()
		}
	}
}

// resolve turns a table header's keys into a path, inserting the index of
// the current element after every array of tables ([repo.env] after
// [[repo]] is the env of the last repo).
func (s *lineScanner) resolve(keys []string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k)
		if n, ok := s.arrays[path(out...)]; ok {
			out = append(out, strconv.Itoa(n-1))
		}
	}
	return out
}

func (s *lineScanner) keyValue(ctx []string) {
	line := s.line
	keys := s.dottedKey()
	if len(keys) == 0 {
		s.skipLine()
		return
	}
	full := concat(ctx, keys...)
	for i := len(ctx) + 1; i <= len(full); i++ {
		s.setFirst(path(full[:i]...), line)
	}
	s.skipSpace()
	if s.peek() != '=' {
		s.skipLine()
		return
	}
	s.pos++
	s.skipSpace()
	s.value(full)
}

func (s *lineScanner) value(p []string) {
	switch c := s.peek(); c {
	case '"', '\'':
		s.str()
	case '[':
		s.pos++
		n := 0
		for {
			s.skipSpaceNL()
			switch s.peek() {
			case 0:
				return
			case ']':
				s.pos++
				return
			case ',':
				s.pos++
				continue
			}
			elem := concat(p, strconv.Itoa(n))
			s.setFirst(path(elem...), s.line)
			before := s.pos
			s.value(elem)
			if s.pos == before {
				s.pos++
			}
			n++
		}
	case '{':
		s.pos++
		for {
			s.skipSpaceNL()
			switch s.peek() {
			case 0:
				return
			case '}':
				s.pos++
				return
			case ',':
				s.pos++
				continue
			}
			before := s.pos
			s.keyValue(p)
			if s.pos == before {
				s.pos++
			}
		}
	default: // number, bool, date-time
		for !s.eof() && !strings.ContainsRune(",]}#\n", rune(s.peek())) {
			s.pos++
		}
	}
}

// dottedKey reads a (possibly dotted, possibly quoted) key.
func (s *lineScanner) dottedKey() []string {
	var parts []string
	for {
		s.skipSpace()
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			start := s.pos
			s.str()
			raw := s.src[start:s.pos]
			if c == '"' {
				if u, err := strconv.Unquote(raw); err == nil {
					parts = append(parts, u)
					break
				}
			}
			parts = append(parts, strings.Trim(raw, string(c)))
		default:
			start := s.pos
			for isBareKeyByte(s.peek()) {
				s.pos++
			}
			if s.pos == start {
				return parts
			}
			parts = append(parts, s.src[start:s.pos])
		}
		s.skipSpace()
		if s.peek() != '.' {
			return parts
		}
		s.pos++
	}
}

func isBareKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c >= 0x80
}

// str skips a basic, literal or multi-line string starting at s.pos.
func (s *lineScanner) str() {
	q := s.peek()
	escapes := q == '"'
	triple := string([]byte{q, q, q})
	if strings.HasPrefix(s.src[s.pos:], triple) {
		s.pos += 3
		for !s.eof() {
			c := s.peek()
			switch {
			case c == '\\' && escapes:
				if s.at(1) == '\n' {
					s.line++
				}
				s.pos += 2
				continue
			case c == '\n':
				s.line++
			case c == q && strings.HasPrefix(s.src[s.pos:], triple):
				s.pos += 3
				// Up to two more quotes are part of the content.
				for i := 0; i < 2 && s.peek() == q; i++ {
					s.pos++
				}
				return
			}
			s.pos++
		}
		return
	}
	s.pos++
	for !s.eof() {
		switch c := s.peek(); {
		case c == '\\' && escapes:
			s.pos += 2
			continue
		case c == q:
			s.pos++
			return
		case c == '\n':
			return
		}
		s.pos++
	}
}

func (s *lineScanner) skipSpace() {
	for c := s.peek(); c == ' ' || c == '\t' || c == '\r'; c = s.peek() {
		s.pos++
	}
}

// skipSpaceNL skips white space, newlines and comments.
func (s *lineScanner) skipSpaceNL() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r':
			s.pos++
		case '\n':
			s.pos++
			s.line++
		case '#':
			for !s.eof() && s.peek() != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

// skipLine skips to the start of the next line.
func (s *lineScanner) skipLine() {
	for !s.eof() {
		c := s.peek()
		s.pos++
		if c == '\n' {
			s.line++
			return
		}
	}
}
