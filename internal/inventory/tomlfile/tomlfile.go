// Package tomlfile holds what the TOML lockfile extractors (Cargo.lock,
// poetry.lock, uv.lock) share: the lines of array-table headers, which the
// TOML decoder does not report, and decoding errors as ParseErrors.
package tomlfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// ArrayTableLines returns the 1-based line numbers of the "[[name]]" array
// table headers in a TOML document, in order, in one pass. It follows
// strings (including multi-line ones) so that a header-like line inside a
// string is not counted.
func ArrayTableLines(data []byte, name string) []int {
	var out []int
	var multi string // closing delimiter of the multi-line string we are in
	line := 1
	atLineStart := true
	for i := 0; i < len(data); {
		c := data[i]
		if c == '\n' {
			line++
			atLineStart = true
			i++
			continue
		}
		if multi != "" {
			if c == '\\' && multi == `"""` {
				i++
				if i < len(data) && data[i] != '\n' {
					i++
				}
				continue
			}
			if hasPrefixAt(data, i, multi) {
				i += len(multi)
				for i < len(data) && data[i] == multi[0] {
					i++ // up to two quotes may end the string's content
				}
				multi = ""
				continue
			}
			i++
			continue
		}
		if atLineStart && c != ' ' && c != '\t' && c != '\r' {
			atLineStart = false
			if c == '[' && isHeader(data[i:], name) {
				out = append(out, line)
			}
		}
		switch {
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case hasPrefixAt(data, i, `"""`) || hasPrefixAt(data, i, `'''`):
			multi = string(data[i : i+3])
			i += 3
		case c == '"' || c == '\'':
			i = skipString(data, i)
		default:
			i++
		}
	}
	return out
}

func hasPrefixAt(data []byte, i int, s string) bool {
	return len(data)-i >= len(s) && string(data[i:i+len(s)]) == s
}

// skipString returns the index after the single-line string starting at i.
func skipString(data []byte, i int) int {
	q := data[i]
	for i++; i < len(data) && data[i] != '\n'; i++ {
		if q == '"' && data[i] == '\\' && i+1 < len(data) && data[i+1] != '\n' {
			i++
			continue
		}
		if data[i] == q {
			return i + 1
		}
	}
	return i
}

// isHeader reports whether b starts with "[[name]]", allowing whitespace
// inside the brackets.
func isHeader(b []byte, name string) bool {
	end := 0
	for end < len(b) && b[end] != '\n' {
		end++
	}
	s := string(b[:end])
	if !strings.HasPrefix(s, "[[") {
		return false
	}
	s, _, ok := strings.Cut(s[2:], "]]")
	return ok && strings.TrimSpace(s) == name
}

// Error turns a TOML decoding error into a ParseError with its line
// and, for a value of the wrong type, its key.
func Error(file string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &inventory.ParseError{Path: file, Line: pe.Position.Line, Field: pe.LastKey, Err: errors.New(pe.Message)}
	}
	// Type mismatches read "toml: line N (last key "k"): message".
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	out := &inventory.ParseError{Path: file, Err: errors.New(msg)}
	var n int
	if _, err := fmt.Sscanf(msg, "line %d", &n); err == nil && n > 0 {
		out.Line = n
	}
	const lastKey = "(last key "
	if i, j := strings.Index(msg, lastKey), strings.Index(msg, "): "); i >= 0 && j > i {
		if k, err := strconv.Unquote(msg[i+len(lastKey) : j]); err == nil {
			out.Field = k
		}
		out.Err = errors.New(msg[j+len("): "):])
	}
	return out
}

// StringSpans returns, for each table whose header is at one of lines
// (1-based, as ArrayTableLines returns them), the byte span of the text of
// key's value in that table, when the value is a one-line string without
// escapes ("1.2.3" or '1.2.3'): the span covers the text between the
// quotes. The table ends at the next line that starts with "[". An entry
// is nil where the table has no such value.
func StringSpans(data []byte, lines []int, key string) []*inventory.Span {
	out := make([]*inventory.Span, len(lines))
	if len(lines) == 0 {
		return out
	}
	k, line, off := 0, 1, 0
	in := -1 // the table whose lines we are in
	for off <= len(data) && k <= len(lines) {
		end := off
		for end < len(data) && data[end] != '\n' {
			end++
		}
		text := data[off:end]
		if k < len(lines) && line == lines[k] {
			in, k = k, k+1
		} else if t := trimLeft(text); len(t) > 0 && t[0] == '[' {
			in = -1
		} else if in >= 0 && out[in] == nil {
			out[in] = valueSpan(text, off, key)
		}
		if end == len(data) {
			break
		}
		off, line = end+1, line+1
	}
	return out
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// valueSpan reads `key = "text"` on one line starting at offset off.
func valueSpan(text []byte, off int, key string) *inventory.Span {
	t := trimLeft(text)
	i := len(text) - len(t)
	if len(t) <= len(key) || string(t[:len(key)]) != key {
		return nil
	}
	t = t[len(key):]
	rest := trimLeft(t)
	if len(rest) == 0 || rest[0] != '=' {
		return nil
	}
	rest = trimLeft(rest[1:])
	i += len(text[i:]) - len(rest)
	if len(rest) < 2 || rest[0] != '"' && rest[0] != '\'' {
		return nil
	}
	q := rest[0]
	for j := 1; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			if q == '"' {
				return nil
			}
		case q:
			if j+1 < len(rest) && rest[j+1] == q {
				return nil // a multi-line string's opening
			}
			return &inventory.Span{Start: off + i + 1, End: off + i + j}
		}
	}
	return nil
}
