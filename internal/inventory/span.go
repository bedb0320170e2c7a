package inventory

import (
	"fmt"
	"io/fs"
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
