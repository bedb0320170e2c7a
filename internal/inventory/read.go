package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
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

// ReadInput reads in whole, as ReadAll does. Its error is a ParseError
// naming in.Path once: a *fs.PathError from the reader, which names the file
// again (often by another path), is unwrapped.
func ReadInput(in *Input) ([]byte, error) {
	data, err := ReadAll(in.Reader)
	if err != nil {
		return nil, &ParseError{Path: in.Path, Err: unwrapPath(err)}
	}
	return data, nil
}

// unwrapPath drops a *fs.PathError's own path from err: the ParseError that
// carries it names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// MaxSiblingSize is the largest sibling file (an include, a parent POM)
// that ReadFile reads: the scan's default limit for a manifest.
const MaxSiblingSize = 64 << 20

// ErrOutsideTree is returned by ReadFile for a path, or a symbolic link on
// the way to it, that leads outside the scanned tree.
var ErrOutsideTree = errors.New("outside the scanned tree")

// ReadFile reads the sibling file at the slash-separated path name inside
// root, for formats that read other files of the tree (requirements
// includes, parent POMs). It refuses an absolute path or one with "..",
// a symbolic link on the way that leads outside root (where root can tell
// links apart: fs.ReadLinkFS, as os.DirFS and source.Tree are), anything but
// a regular file, and a file over MaxSiblingSize. Its errors are bare (no
// path): callers name the file as the manifest wrote it.
func ReadFile(root fs.FS, name string) ([]byte, error) {
	if root == nil {
		return nil, errors.New("no file system to read it from")
	}
	if !fs.ValidPath(name) {
		return nil, ErrOutsideTree
	}
	resolved, err := resolveLinks(root, name)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(root, resolved)
	if err != nil {
		return nil, unwrapPathErr(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > MaxSiblingSize {
		return nil, fmt.Errorf("larger than %d MiB (%d bytes)", MaxSiblingSize>>20, fi.Size())
	}
	f, err := root.Open(resolved)
	if err != nil {
		return nil, unwrapPathErr(err)
	}
	defer f.Close()
	data, err := ReadAll(io.LimitReader(f, MaxSiblingSize+1))
	if err != nil {
		return nil, unwrapPathErr(err)
	}
	if len(data) > MaxSiblingSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxSiblingSize>>20)
	}
	return data, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// resolveLinks follows the symbolic links on the way to name, component by
// component, and returns the path they lead to, or ErrOutsideTree when one
// leads out of root (an absolute target, or one climbing above the root).
func resolveLinks(root fs.FS, name string) (string, error) {
	if _, ok := root.(fs.ReadLinkFS); !ok {
		return name, nil
	}
	done, rest := "", name
	for hops := 0; rest != ""; {
		elem, tail, _ := strings.Cut(rest, "/")
		cur := path.Join(done, elem)
		fi, err := fs.Lstat(root, cur)
		if err != nil {
			return "", unwrapPathErr(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done, rest = cur, tail
			continue
		}
		if hops++; hops > 40 {
			return "", errors.New("too many levels of symbolic links")
		}
		target, err := fs.ReadLink(root, cur)
		if err != nil {
			return "", unwrapPathErr(err)
		}
		if path.IsAbs(target) {
			return "", fmt.Errorf("symbolic link %s to %s: %w", cur, target, ErrOutsideTree)
		}
		next := path.Join(done, target)
		if next == ".." || strings.HasPrefix(next, "../") {
			return "", fmt.Errorf("symbolic link %s to %s: %w", cur, target, ErrOutsideTree)
		}
		// Resolve the link's target afresh, then what followed it.
		done, rest = "", path.Join(next, tail)
		if rest == "." {
			rest = ""
		}
	}
	if done == "" {
		done = "."
	}
	return done, nil
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

// TypeMismatch describes a JSON value of the wrong type in the words of
// the format ("want a string, got a JSON array"), not of the Go type it
// was decoded into.
func TypeMismatch(te *json.UnmarshalTypeError) error {
	want := "another type"
	switch te.Type.Kind() {
	case reflect.Struct, reflect.Map:
		want = "an object"
	case reflect.Slice, reflect.Array:
		want = "an array"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		want = "a number"
	}
	return fmt.Errorf("want %s, got a JSON %s", want, te.Value)
}
