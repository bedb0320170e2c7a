package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// indentJSON appends src, a compact JSON value as json.Marshal writes it
// (no whitespace outside strings), to dst indented exactly as json.Indent
// with no prefix and indent: one line per element, "{}" and "[]" for
// empty ones, ": " after keys. It is json.Indent without the validating
// scanner, which was most of the time of writing a large report; bytes
// after the value (the encoder's newline) are copied.
func indentJSON(dst, src []byte, indent string) []byte {
	dst, _ = indentJSONAt(dst, src, indent, 0)
	return dst
}

// indentJSONAt is indentJSON for a piece of a larger value that starts at
// nesting depth depth; it returns the depth at the end of the piece, so
// that a value can be indented piece by piece. A piece that ends with an
// opening bracket is taken to open a non-empty container.
func indentJSONAt(dst, src []byte, indent string, depth int) ([]byte, int) {
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
	return dst, depth
}

// writeIndentedJSONArray writes v as writeIndentedJSON does, with items in
// place of the empty array that v holds under the object key key (the
// first key of that name in v's JSON form). The items — a large report's
// findings — are encoded and indented in chunks on every core and written
// in order as they are ready, so the report is never held whole in
// memory; the bytes are those of writeIndentedJSON on v with the array
// filled in.
func writeIndentedJSONArray[E any](w io.Writer, v any, key string, items []E) error {
	if len(items) == 0 {
		return writeIndentedJSON(w, v)
	}
	compact, err := marshalCompact(v)
	if err != nil {
		return err
	}
	at := emptyArrayAt(compact, key)
	if at < 0 {
		return fmt.Errorf("report: no empty %q array to fill", key)
	}
	const indent = "  "
	// Up to and including the array's '[': indentJSONAt takes it to open a
	// non-empty array and ends at the depth of its elements.
	head, inner := indentJSONAt(make([]byte, 0, 2*at), compact[:at+1], indent, 0)
	if _, err := w.Write(head); err != nil {
		return err
	}
	const chunk = 256
	n := (len(items) + chunk - 1) / chunk
	type piece struct {
		b   []byte
		err error
	}
	out := make([]chan piece, n)
	for i := range out {
		out[i] = make(chan piece, 1)
	}
	// Workers take chunks in order; the writer below waits for each in
	// turn. A failed write stops the workers at their next chunk.
	var next sync.Mutex
	nextChunk, stop := 0, false
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for {
				next.Lock()
				c := nextChunk
				nextChunk++
				quit := stop
				next.Unlock()
				if c >= n || quit {
					return
				}
				var dst []byte
				var err error
				for i := c * chunk; i < min((c+1)*chunk, len(items)); i++ {
					if i > 0 {
						dst = append(dst, ',')
						dst = appendNewline(dst, indent, inner)
					}
					buf.Reset()
					if err = enc.Encode(items[i]); err != nil {
						break
					}
					elem := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
					dst, _ = indentJSONAt(dst, elem, indent, inner)
				}
				out[c] <- piece{dst, err}
			}
		}()
	}
	var werr error
	for c := range n {
		p := <-out[c]
		if werr == nil {
			werr = p.err
		}
		if werr == nil {
			_, werr = w.Write(p.b)
		}
		if werr != nil {
			next.Lock()
			stop = true
			next.Unlock()
			break
		}
	}
	wg.Wait()
	if werr != nil {
		return werr
	}
	tail, _ := indentJSONAt(make([]byte, 0, 2*(len(compact)-at)), compact[at+1:], indent, inner)
	_, err = w.Write(tail)
	return err
}

func appendNewline(dst []byte, indent string, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, indent...)
	}
	return dst
}

// marshalCompact is v as json.Encoder writes it with HTML escaping off.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// emptyArrayAt finds the first object key key in compact JSON whose value
// is an empty array, and returns the index of that array's '['; -1 when
// there is none.
func emptyArrayAt(src []byte, key string) int {
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			end := stringEnd(src, i+1)
			// A string followed by ':' is a key.
			if end+2 < len(src) && src[end] == ':' && src[end+1] == '[' && src[end+2] == ']' &&
				string(src[i+1:end-1]) == key {
				return end + 1
			}
			i = end - 1
		}
	}
	return -1
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
