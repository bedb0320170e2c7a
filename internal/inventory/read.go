package inventory

import (
	"bytes"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// ReadAll reads a manifest whole, sizing the buffer once from the reader's
// length or the file's size when it can tell.
func ReadAll(r io.Reader) ([]byte, error) {
	var size int64
	switch s := r.(type) {
	case interface{ Len() int }:
		size = int64(s.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := s.Stat(); err == nil {
			size = fi.Size()
		}
	}
	if size <= 0 || size > 1<<30 {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	b.Grow(int(size) + bytes.MinRead)
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// ExactSemver reports whether v is one exact semantic version
// (MAJOR.MINOR.PATCH with optional pre-release and build), as npm
// lockfiles record resolved versions; ranges, tags and URLs are not.
func ExactSemver(v string) bool {
	core, _, _ := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	if hasPre && pre == "" {
		return false
	}
	parts := 0
	for num := range strings.SplitSeq(core, ".") {
		parts++
		if num == "" || strings.Trim(num, "0123456789") != "" {
			return false
		}
	}
	return parts == 3
}

// QuoteShort quotes a value for an error message, cut to 60 bytes.
func QuoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}
