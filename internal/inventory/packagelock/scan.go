package packagelock

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// maxNesting bounds how deeply skipped JSON values may nest, as
// encoding/json does.
const maxNesting = 10000

// scanner reads JSON from a byte slice one value at a time, keeping the
// current line. It validates what it reads, including skipped values, so a
// malformed lockfile is reported rather than half-read. It is several times
// faster than encoding/json's Decoder for the few fields extraction needs.
type scanner struct {
	data []byte
	pos  int
	line int
}

// syntaxError is a JSON error at the scanner's current line.
type syntaxError struct {
	line int
	err  error
}

func (e *syntaxError) Error() string { return e.err.Error() }

func (s *scanner) errorf(format string, args ...any) error {
	return &syntaxError{line: s.line, err: fmt.Errorf("invalid JSON: "+format, args...)}
}

// unexpected reports the byte at pos, or the end of the input.
func (s *scanner) unexpected(want string) error {
	if s.pos >= len(s.data) {
		return s.errorf("unexpected end of file, want %s", want)
	}
	c := s.data[s.pos]
	if c < utf8.RuneSelf && c >= ' ' {
		return s.errorf("unexpected %q, want %s", rune(c), want)
	}
	return s.errorf("unexpected byte %#x, want %s", c, want)
}

// ws skips white space and returns the next byte, or 0 at the end (or at
// a NUL byte; callers tell the two apart by pos where it matters).
func (s *scanner) ws() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '\n':
			s.line++
		case ' ', '\t', '\r':
		default:
			return c
		}
		s.pos++
	}
	return 0
}

// open consumes the opening delimiter c ('{' or '[').
func (s *scanner) open(c byte, want string) error {
	if s.ws() != c {
		return s.unexpected(want)
	}
	s.pos++
	return nil
}

// next moves to the next member of the object or array just opened; first
// says whether none has been read yet. It reports false at the closing
// delimiter close, which it consumes.
func (s *scanner) next(first bool, close byte) (bool, error) {
	c := s.ws()
	if c == close {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.unexpected(fmt.Sprintf("',' or %q", rune(close)))
		}
		s.pos++
		if s.ws() == close {
			return false, s.errorf("trailing comma before %q", rune(close))
		}
	}
	return true, nil
}

// key reads an object key and its colon. The returned bytes alias the input
// unless the key has escapes.
func (s *scanner) key() ([]byte, error) {
	if s.ws() != '"' {
		return nil, s.unexpected("an object key")
	}
	k, err := s.str()
	if err != nil {
		return nil, err
	}
	if s.ws() != ':' {
		return nil, s.unexpected("':'")
	}
	s.pos++
	return k, nil
}

// str reads a string starting at the opening quote. The returned bytes
// alias the input unless the string has escapes.
func (s *scanner) str() ([]byte, error) {
	start := s.pos
	s.pos++
	escaped := false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !escaped {
				return s.data[start+1 : s.pos-1], nil
			}
			var out string
			if err := json.Unmarshal(s.data[start:s.pos], &out); err != nil {
				return nil, s.errorf("bad string: %v", err)
			}
			return []byte(out), nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				s.pos++
				return nil, s.unexpected("an escape")
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) || !isHex4(s.data[s.pos+2:s.pos+6]) {
					s.pos++
					return nil, s.errorf("bad \\u escape in string")
				}
				s.pos += 6
			default:
				s.pos++
				return nil, s.unexpected("an escape")
			}
		case c < ' ':
			return nil, s.unexpected("a string character")
		default:
			s.pos++
		}
	}
	return nil, s.unexpected("'\"'")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// errType reports a value of the wrong JSON type.
var errType = errors.New("wrong type")

// stringValue reads a string value.
func (s *scanner) stringValue() (string, error) {
	if s.ws() != '"' {
		if err := s.skip(0); err != nil {
			return "", err
		}
		return "", errType
	}
	b, err := s.str()
	return string(b), err
}

// boolValue reads true or false.
func (s *scanner) boolValue() (bool, error) {
	switch s.ws() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	if err := s.skip(0); err != nil {
		return false, err
	}
	return false, errType
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.unexpected("a JSON value")
	}
	s.pos += len(lit)
	return nil
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	intStart := s.pos
	if !s.digits() {
		return nil, s.unexpected("a digit")
	}
	if s.data[intStart] == '0' && s.pos-intStart > 1 {
		return nil, s.errorf("number with a leading zero")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if !s.digits() {
			return nil, s.unexpected("a digit")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if !s.digits() {
			return nil, s.unexpected("a digit")
		}
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// skip reads and discards one value of any type.
func (s *scanner) skip(depth int) error {
	if depth > maxNesting {
		return s.errorf("values nested more than %d deep", maxNesting)
	}
	switch c := s.ws(); c {
	case '{':
		s.pos++
		for first := true; ; first = false {
			more, err := s.next(first, '}')
			if err != nil || !more {
				return err
			}
			if _, err := s.key(); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.pos++
		for first := true; ; first = false {
			more, err := s.next(first, ']')
			if err != nil || !more {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			_, err := s.number()
			return err
		}
		return s.unexpected("a JSON value")
	}
}

// dep is a member of a dependencies object: a name and its spec.
// dep is one member of a dependency map; both slices point into the
// file's data (or an unescaped copy), so reading edges allocates nothing.
type dep struct{ name, spec []byte }

// stringMap reads an object whose values are strings and appends its
// members to dst.
func (s *scanner) stringMap(dst []dep) ([]dep, error) {
	if s.ws() != '{' {
		if err := s.skip(0); err != nil {
			return dst, err
		}
		return dst, errType
	}
	s.pos++
	for first := true; ; first = false {
		more, err := s.next(first, '}')
		if err != nil || !more {
			return dst, err
		}
		k, err := s.key()
		if err != nil {
			return dst, err
		}
		if s.ws() != '"' {
			if err := s.skip(0); err != nil {
				return dst, err
			}
			return dst, errType
		}
		v, err := s.str()
		if err != nil {
			return dst, err
		}
		dst = append(dst, dep{k, v})
	}
}

// span returns where the string value read from start (its opening quote)
// up to the current position holds v unescaped, or nil when it does not.
func (s *scanner) span(start int, v string) *inventory.Span {
	end := s.pos - 1
	if start < 0 || end <= start || s.data[start] != '"' || string(s.data[start+1:end]) != v {
		return nil
	}
	return &inventory.Span{Start: start + 1, End: end}
}
