package packagelock

import (
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// source reads where a package comes from out of its "resolved" value
// (versions 2 and 3) or its version 1 "version": a registry tarball, a git
// repository at a commit, a local folder or tarball, or another URL. It
// returns nil when there is nothing to read.
func source(resolved, name string) *inventory.Source {
	switch {
	case resolved == "":
		return nil
	case isGit(resolved):
		url, frag, _ := strings.Cut(resolved, "#")
		src := &inventory.Source{Type: inventory.SourceGit, URL: strings.TrimPrefix(url, "git+")}
		if isCommit(frag) {
			src.Commit = frag
		} else if frag != "" {
			src.Ref = frag
		}
		return src
	case strings.HasPrefix(resolved, "file:"):
		return &inventory.Source{Type: inventory.SourcePath, Path: strings.TrimPrefix(resolved, "file:")}
	case strings.HasPrefix(resolved, "http://"), strings.HasPrefix(resolved, "https://"):
		if name != "" {
			if i := strings.Index(resolved, "/"+name+"/-/"); i > 0 {
				return &inventory.Source{Type: inventory.SourceRegistry, URL: resolved[:i]}
			}
		}
		return &inventory.Source{Type: inventory.SourceURL, URL: resolved}
	}
	return nil
}

// isGit reports whether a resolved value or a spec names a git repository.
func isGit(s string) bool {
	for _, p := range []string{"git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// isCommit reports whether s is a (possibly abbreviated) commit hash.
func isCommit(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// gitRef returns the tag or other ref that a git spec names after its "#"
// ("github:a/b#v1.2.3", "git+https://…#semver:^1.2"), unless it is a
// commit.
func gitRef(spec string) string {
	_, frag, ok := strings.Cut(spec, "#")
	if !ok || !isGit(spec) || isCommit(frag) {
		return ""
	}
	return frag
}

// tagVersion returns the release a git ref names: "v1.2.3", "1.2.3" and
// "semver:1.2.3" name 1.2.3; a range ("semver:^1.2") or a branch names none.
func tagVersion(ref string) string {
	v := strings.TrimPrefix(ref, "semver:")
	if len(v) > 1 && v[0] == 'v' && '0' <= v[1] && v[1] <= '9' {
		v = v[1:]
	}
	if inventory.ExactSemver(v) {
		return v
	}
	return ""
}

// tail narrows a span to its last n bytes (the version of an alias).
func tail(s *inventory.Span, n int) *inventory.Span {
	if s == nil || s.End-s.Start < n {
		return nil
	}
	return &inventory.Span{Start: s.End - n, End: s.End}
}

// tarballVersion returns the version in the file name of a registry
// tarball (".../name/-/name-1.2.3.tgz"), or "".
func tarballVersion(url, name string) string {
	base := name[strings.LastIndexByte(name, '/')+1:]
	_, file, ok := strings.Cut(url, "/"+name+"/-/")
	if !ok {
		return ""
	}
	v, ok := strings.CutPrefix(strings.TrimSuffix(file, ".tgz"), base+"-")
	if !ok || !inventory.ExactSemver(v) {
		return ""
	}
	return v
}
