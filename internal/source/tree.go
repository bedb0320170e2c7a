package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// ErrNotRegular is returned when a path in a tree names something other
// than a regular file or a directory: a FIFO, a device or a socket. Reading
// one could block forever or never end.
var ErrNotRegular = errors.New("not a regular file")

// Tree is a directory tree being scanned, as an fs.FS that never leaves it:
// a path with ".." or a symbolic link that points outside the tree is
// refused (os.Root enforces it), and only regular files and directories
// open, without blocking (a FIFO is refused, not waited on). Unlike os.DirFS,
// it accepts names that are not UTF-8: a directory name in Latin-1 is as
// much a part of the tree as any other.
//
// Tree implements fs.StatFS and fs.ReadLinkFS. Close it when done.
type Tree struct {
	root *os.Root
}

// OpenTree opens the directory dir as a Tree.
func OpenTree(dir string) (*Tree, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return &Tree{root: r}, nil
}

// Sub opens the directory dir of the tree as a tree of its own. Opening a
// file directly in dir through it costs one system call, where the tree
// resolves every directory of the path in turn. A link leaving dir is
// refused by the sub-tree even where the tree allows it: callers fall
// back to the tree on an error.
func (t *Tree) Sub(dir string) (*Tree, error) {
	if !validPath(dir) {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrInvalid}
	}
	r, err := t.root.OpenRoot(dir)
	if err != nil {
		return nil, outside(err)
	}
	return &Tree{root: r}, nil
}

// Close releases the tree's directory handle.
func (t *Tree) Close() error { return t.root.Close() }

// validPath is fs.ValidPath without its UTF-8 requirement.
func validPath(name string) bool {
	if name == "." {
		return true
	}
	for name != "" {
		elem, rest, _ := strings.Cut(name, "/")
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if rest == "" && strings.HasSuffix(name, "/") {
			return false
		}
		name = rest
	}
	return true
}

// Open opens a regular file or directory of the tree for reading.
func (t *Tree) Open(name string) (fs.File, error) {
	if !validPath(name) || name == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer. It changes nothing for regular files and directories.
	f, err := t.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, outside(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return f, nil
}

// outside turns os.Root's refusal of a link that leads out of the tree,
// which has no exported sentinel ("path escapes from parent"), into
// ErrOutsideRepo.
func outside(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: fmt.Errorf("%w: a symbolic link leads out of it", ErrOutsideRepo)}
	}
	return err
}

// Stat describes a file of the tree, following links inside it.
func (t *Tree) Stat(name string) (fs.FileInfo, error) {
	if !validPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	fi, err := t.root.Stat(name)
	return fi, outside(err)
}

// Lstat describes a file of the tree without following a final link.
func (t *Tree) Lstat(name string) (fs.FileInfo, error) {
	if !validPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrInvalid}
	}
	return t.root.Lstat(name)
}

// ReadLink returns the target of a symbolic link in the tree.
func (t *Tree) ReadLink(name string) (string, error) {
	if !validPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return t.root.Readlink(name)
}

// ErrFileTooLarge is returned by ReadFile for a file over its size limit.
var ErrFileTooLarge = errors.New("file too large")

// ReadFile reads a regular file of the tree whole, refusing one larger
// than limit bytes (limit <= 0: no limit) without reading it.
func (t *Tree) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, name, limit)
}

// readBounded reads an open regular file whole, refusing a directory and,
// when limit > 0, a file over limit bytes: from its size before reading,
// and again while reading (it may grow).
func readBounded(f fs.File, name string, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	if limit > 0 && fi.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: %d bytes, over the limit of %d", ErrFileTooLarge, fi.Size(), limit)}
	}
	r := io.Reader(f)
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: over the limit of %d bytes", ErrFileTooLarge, limit)}
	}
	return b, nil
}
