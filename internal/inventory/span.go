package inventory

import (
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
)

// SpanOf returns the span [start, end) when data[start:end] is exactly
// version, and nil otherwise: extractors record a version's span only where
// the file holds the version's text as it is reported.
func SpanOf(data []byte, start, end int, version string) *Span {
	if version == "" || start < 0 || end > len(data) || start > end || string(data[start:end]) != version {
		return nil
	}
	return &Span{Start: start, End: end}
}

// CheckSpans reports the first package of pkgs whose VersionSpan does not
// hold its version: the bytes [Start, End) of the file at its
// Location.Path, read from fsys, must be the package's Version. Tests call
// it on every package of every fixture.
func CheckSpans(fsys fs.FS, pkgs []Package) error {
	files := map[string][]byte{}
	for _, p := range pkgs {
		if p.VersionSpan == nil {
			continue
		}
		data, ok := files[p.Location.Path]
		if !ok {
			var err error
			if data, err = fs.ReadFile(fsys, p.Location.Path); err != nil {
				return err
			}
			files[p.Location.Path] = data
		}
		s := *p.VersionSpan
		if s.Start < 0 || s.End > len(data) || s.Start > s.End {
			return fmt.Errorf("%s:%d: %s %s: span [%d,%d) outside the file (%d bytes)", p.Location.Path, p.Location.Line, p.Name, p.Version, s.Start, s.End, len(data))
		}
		if got := string(data[s.Start:s.End]); got != p.Version {
			return fmt.Errorf("%s:%d: %s: span [%d,%d) holds %q, want the version %q", p.Location.Path, p.Location.Line, p.Name, s.Start, s.End, got, p.Version)
		}
	}
	return nil
}

// releaseTag matches a git tag that names a release: "v1.2.3", "1.2.3",
// "v1.2.3-rc.1", "2.2" (PyPI projects often tag two components).
var releaseTag = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+){1,3}(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.+-]*)?)$`)

// TagVersion returns the version a git tag names when the tag names a
// release ("v1.2.3" names 1.2.3), and "" for other refs (branches, commit
// hashes).
func TagVersion(ref string) string {
	if IsCommit(ref) {
		return ""
	}
	if m := releaseTag.FindStringSubmatch(ref); m != nil {
		return m[1]
	}
	return ""
}

// IsCommit reports whether ref is a full git commit hash (40 or 64 hex
// digits).
func IsCommit(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// GitSource reads the git source URLs that Cargo.lock and uv.lock write,
// "[git+]URL[?tag=T|branch=B|rev=R]#commit": the URL without its query, the
// tag, branch or rev as Ref, and the commit after "#".
func GitSource(s string) *Source {
	rest, commit, _ := strings.Cut(strings.TrimPrefix(s, "git+"), "#")
	src := &Source{Type: SourceGit, URL: rest, Commit: commit}
	if base, query, ok := strings.Cut(rest, "?"); ok {
		src.URL = base
		if q, err := url.ParseQuery(query); err == nil {
			for _, k := range []string{"tag", "branch", "rev"} {
				if v := q.Get(k); v != "" {
					src.Ref = v
					break
				}
			}
		}
	}
	return src
}
