package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// MaxRepoConfigSize bounds a configuration file that a repository supplies
// (.gitleaks.toml and the files it extends, .gitleaksignore, .airlock.yaml).
const MaxRepoConfigSize = 1 << 20

// ErrOutsideRepo is returned for a repository-relative path that is absolute
// or climbs out of the repository with "..".
var ErrOutsideRepo = errors.New("outside the repository")

// ReadRepoFile reads a file that a repository supplies, such as its own
// configuration, given the repository's root directory and a slash-separated
// path relative to it. Repository content is untrusted, so only a regular
// file inside the tree is read: an absolute path or one that climbs out with
// ".." is refused (ErrOutsideRepo) before anything is opened, a symbolic link
// that resolves outside the tree is refused, a FIFO, device or socket is
// refused without blocking (ErrNotRegular), and a file over limit bytes is
// refused (ErrFileTooLarge) without being read. limit <= 0 means
// MaxRepoConfigSize.
//
// Errors are *fs.PathError values naming rel, never a host path or any of
// the file's content; a missing file satisfies errors.Is(err,
// fs.ErrNotExist).
func ReadRepoFile(root, rel string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxRepoConfigSize
	}
	name, err := repoPath(rel)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: rel, Err: err}
	}
	t, err := OpenTree(root)
	if err != nil {
		// The root's own error without its host path (a missing root
		// stays fs.ErrNotExist).
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "read", Path: rel, Err: fmt.Errorf("repository not readable: %w", err)}
	}
	defer t.Close()
	b, err := t.ReadFile(name, limit)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "read", Path: rel, Err: err}
	}
	return b, nil
}

// repoPath checks a repository-relative slash path and returns it cleaned.
func repoPath(rel string) (string, error) {
	if rel == "" {
		return "", fs.ErrInvalid
	}
	if strings.HasPrefix(rel, "/") || strings.Contains(rel, "\\") || len(rel) > 1 && rel[1] == ':' {
		return "", ErrOutsideRepo
	}
	name := path.Clean(rel)
	if name == ".." || strings.HasPrefix(name, "../") {
		return "", ErrOutsideRepo
	}
	if !validPath(name) || name == "." {
		return "", fs.ErrInvalid
	}
	return name, nil
}

// ReadRegularFile reads a file named by the operator (a host path, which
// may be a symbolic link) but only if it is a regular file of at most limit
// bytes: a device such as /dev/zero or a FIFO is refused without blocking
// (ErrNotRegular) and a larger file without being read (ErrFileTooLarge).
// limit must be positive.
func ReadRegularFile(name string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer. It changes nothing for a regular file.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, name, limit)
}
