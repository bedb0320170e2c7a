package source

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
)

// SkipDirs are never descended into: version control metadata and
// installed dependencies (their manifests describe what the lockfile read
// already says is installed, and they are large).
var SkipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true}

// maxGitignore bounds one .gitignore file.
const maxGitignore = 1 << 20

// WalkOptions configure Walk.
type WalkOptions struct {
	// NoIgnore reads what .gitignore files exclude too.
	NoIgnore bool
	// Progress, when set, is called with the number of files listed so
	// far, every 1,024 files.
	Progress func(files int)
}

// WalkError is a file or directory the walk could not read. What it held
// was not scanned.
type WalkError struct {
	// Path is slash-separated and relative to the tree.
	Path string
	Err  error
	// Warning marks an error that cost nothing but precision: a .gitignore
	// that could not be read, so that what it excludes was read too.
	Warning bool
}

func (e *WalkError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *WalkError) Unwrap() error { return e.Err }

// Walk lists the tree's regular files in path order, once, for every
// analyzer: never into SkipDirs, never through a symbolic link, and, unless
// o.NoIgnore, not what .gitignore files exclude (build output, virtual
// environments and vendored copies are not the project's files). A
// .gitignore is read like any repository-supplied file: a regular file
// inside the tree, of bounded size. Directories that cannot be read are
// returned as WalkErrors; the walk goes on. It stops when ctx is done.
func (t *Tree) Walk(ctx context.Context, o WalkOptions) ([]string, []*WalkError, error) {
	var files []string
	var errs []*WalkError
	var ign gitignore
	root := t.root.Name()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			errs = append(errs, &WalkError{Path: rel, Err: Bare(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && (SkipDirs[d.Name()] || !o.NoIgnore && ign.ignored(rel, true)) {
				return fs.SkipDir
			}
			if !o.NoIgnore {
				name := ".gitignore"
				base := ""
				if p != root {
					name, base = rel+"/.gitignore", rel
				}
				b, err := t.ReadFile(name, maxGitignore)
				switch {
				case err == nil:
					ign.add(base, b)
				case !errors.Is(err, fs.ErrNotExist):
					errs = append(errs, &WalkError{Path: name, Err: Bare(err), Warning: true})
				}
			}
			return nil
		}
		// Symbolic links are not followed: they may point outside the tree.
		if !d.Type().IsRegular() || !o.NoIgnore && ign.ignored(rel, false) {
			return nil
		}
		files = append(files, rel)
		if o.Progress != nil && len(files)%1024 == 0 {
			o.Progress(len(files))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return files, errs, nil
}

// Bare drops the operation and path of a *fs.PathError, for a message
// that names the file already (and must not name a host path).
func Bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
