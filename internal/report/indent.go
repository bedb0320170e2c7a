package report

import "bytes"

// indentJSON appends src, a compact JSON value as json.Marshal writes it
// (no whitespace outside strings), to dst indented exactly as json.Indent
// with no prefix and indent: one line per element, "{}" and "[]" for
// empty ones, ": " after keys. It is json.Indent without the validating
// scanner, which was most of the time of writing a large report; bytes
// after the value (the encoder's newline) are copied.
func indentJSON(dst, src []byte, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// Copy the string whole: up to the closing quote that is not
			// escaped.
			end := stringEnd(src, i+1)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the quote that closes the string
// whose text starts at src[i], or len(src).
func stringEnd(src []byte, i int) int {
	for {
		k := bytes.IndexByte(src[i:], '"')
		if k < 0 {
			return len(src)
		}
		q := i + k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for q-1-n >= i && src[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}
