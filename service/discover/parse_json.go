package discover

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/lockwatch/lockwatch/service/config"
)

// parseJSON parses a JSON document. Errors are *config.Error with the line.
func parseJSON(file string, data []byte) (*node, error) {
	p := &jsonParser{dec: json.NewDecoder(bytes.NewReader(data)), data: data, lines: newLineTable(data)}
	p.dec.UseNumber()
	root, err := p.value(0)
	if err == nil {
		if _, extra := p.dec.Token(); extra != io.EOF {
			return nil, &config.Error{File: file, Line: lineAt(data, int(p.dec.InputOffset())), Msg: "syntax error: more after the end of the JSON value"}
		}
	}
	if err != nil {
		return nil, p.error(file, err)
	}
	return root, nil
}

type jsonParser struct {
	dec   *json.Decoder
	data  []byte
	lines lineTable
	nodes int
}

// line is the line the token just read ends on (JSON strings cannot span lines).
func (p *jsonParser) line() int { return p.lines.line(int(p.dec.InputOffset()) - 1) }

func (p *jsonParser) value(depth int) (*node, error) {
	if p.nodes++; depth > maxDepth || p.nodes > maxNodes {
		return nil, errTooComplex
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	line := p.line()
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := newMap(line)
			for p.dec.More() {
				k, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.set(key, v)
			}
			_, err := p.dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: listNode, line: line}
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := p.dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{line: line, text: t}, nil
	case json.Number:
		return &node{line: line, text: t.String()}, nil
	case bool:
		return &node{line: line, text: strconv.FormatBool(t)}, nil
	case nil:
		return &node{line: line, text: ""}, nil
	}
	return nil, fmt.Errorf("unexpected %T", tok)
}

func (p *jsonParser) error(file string, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return &config.Error{File: file, Line: lineAt(p.data, int(syn.Offset)), Msg: "syntax error: " + scrub(syn.Error())}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &config.Error{File: file, Line: lineAt(p.data, len(p.data)), Msg: "unexpected end of the file (is it half-written?)"}
	case errors.Is(err, errTooComplex):
		return &config.Error{File: file, Line: p.line(), Msg: err.Error()}
	}
	return &config.Error{File: file, Line: p.line(), Msg: "syntax error: " + scrub(err.Error())}
}
