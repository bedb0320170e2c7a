package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
)

// Lines turns byte offsets into a file into 1-based line numbers. The JSON
// extractors report where an entry is from a decoder's offsets; Lines
// answers for offsets in any order, in O(log n) each after one pass that
// finds the line breaks.
type Lines struct {
	data   []byte
	breaks []int // offsets of the '\n' bytes, found on first use
	done   bool
}

// NewLines returns the line index of data. It scans data on the first call
// of At, not before.
func NewLines(data []byte) *Lines { return &Lines{data: data} }

// At returns the line of the byte at off: 1 plus the line breaks before
// it. Offsets past either end are clamped to the file.
func (l *Lines) At(off int64) int {
	if !l.done {
		l.done = true
		for i := 0; ; {
			j := bytes.IndexByte(l.data[i:], '\n')
			if j < 0 {
				break
			}
			l.breaks = append(l.breaks, i+j)
			i += j + 1
		}
	}
	off = min(max(off, 0), int64(len(l.data)))
	return 1 + sort.SearchInts(l.breaks, int(off))
}

// JSONErrorOffset returns where a JSON error is in data. A json.Decoder's
// syntax errors carry offsets into its own buffer rather than the input,
// so for those the document is decoded again, which finds the same error
// at its absolute offset; other errors are at fallback.
func JSONErrorOffset(data []byte, err error, fallback int64) int64 {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fallback
	}
	var v json.RawMessage
	if errors.As(json.Unmarshal(data, &v), &se) {
		return se.Offset
	}
	return fallback
}

// JSONStringSpan returns where, in obj (a JSON object's text, which starts
// at offset base of its file), the string value of the member key is,
// between its quotes; ok is false when there is no such member, its value
// is not a string, or the string has escapes, so that its text is not the
// value itself.
func JSONStringSpan(obj []byte, base int64, key string) (span Span, ok bool) {
	d := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return Span{}, false
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return Span{}, false
		}
		if tok != key {
			var skip json.RawMessage
			if d.Decode(&skip) != nil {
				return Span{}, false
			}
			continue
		}
		tok, err = d.Token()
		v, isString := tok.(string)
		if err != nil || !isString {
			return Span{}, false
		}
		end := d.InputOffset() - 1 // the closing quote
		start := end - int64(len(v))
		if start < 1 || obj[start-1] != '"' || string(obj[start:end]) != v {
			return Span{}, false
		}
		return Span{Start: int(base + start), End: int(base + end)}, true
	}
	return Span{}, false
}
