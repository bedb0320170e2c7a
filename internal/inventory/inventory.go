// Package inventory defines what dependency extractors produce: packages with
// the place in a manifest or lockfile where each is declared.
//
// Each supported format lives in its own small package below this one and
// implements Extractor; internal/inventory/list lists them all.
package inventory

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
)

// Ecosystem names, spelled as OSV spells them.
const (
	Go        = "Go"
	NPM       = "npm"
	PyPI      = "PyPI"
	CratesIO  = "crates.io"
	Maven     = "Maven"
	RubyGems  = "RubyGems"
	Packagist = "Packagist"
	NuGet     = "NuGet"
)

// Relation says how a package reaches the project.
type Relation string

// Relations. RelationUnknown means the format does not say.
const (
	RelationUnknown    Relation = ""
	RelationDirect     Relation = "direct"
	RelationTransitive Relation = "transitive"
)

// Location is where a package is declared.
type Location struct {
	// Path is slash-separated and relative to the scan root.
	Path string `json:"path"`
	// Line is 1-based; 0 when the format gives no line.
	Line int `json:"line,omitempty"`
}

// Package is one dependency found in a manifest or lockfile.
type Package struct {
	// Ecosystem is one of the constants above.
	Ecosystem string `json:"ecosystem"`
	// Name as the ecosystem spells it (Maven: "group:artifact"; npm: "@scope/name").
	Name string `json:"name"`
	// Version is the exact resolved version; empty when the manifest does not
	// pin one (see Constraint).
	Version string `json:"version,omitempty"`
	// Constraint is the requirement as written when the package is not pinned
	// to one version (for example ">=2.0,<3"); empty for pinned packages.
	Constraint string `json:"constraint,omitempty"`
	// Relation is direct, transitive or unknown.
	Relation Relation `json:"relation,omitempty"`
	// Dev is true for development-only dependencies, where the format says so.
	Dev bool `json:"dev,omitempty"`
	// Location is where the package is declared.
	Location Location `json:"location"`
	// VersionSpan is where the version's text is in the file, for edits in
	// place (remediation); nil when the format or the extractor cannot say.
	VersionSpan *Span `json:"version_span,omitempty"`
	// Parents are the packages of the same file that depend on this one
	// directly, where the format records dependency edges.
	Parents []Ref `json:"parents,omitempty"`
	// Via are the direct dependencies that pull a transitive package in
	// (nearest first), computed from Parents by ResolveVia.
	Via []Ref `json:"via,omitempty"`
	// Source says where the package comes from when the file says: its
	// registry, a VCS repository and commit, or a local path.
	Source *Source `json:"source,omitempty"`
	// License is the declared license as the file records it (an SPDX
	// expression in package-lock v2/v3 and composer.lock); empty when the
	// file does not say.
	License string `json:"license,omitempty"`
}

// Span is a range of bytes in a file: [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Ref names a package of the same file.
type Ref struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// SourceType is where a package comes from.
type SourceType string

// Source types.
const (
	SourceRegistry SourceType = "registry"
	SourceGit      SourceType = "git"
	SourcePath     SourceType = "path"
	SourceURL      SourceType = "url"
)

// Source is where a package comes from.
type Source struct {
	Type SourceType `json:"type"`
	// URL is the registry, the VCS repository or the archive's address.
	URL string `json:"url,omitempty"`
	// Commit is the VCS commit a git dependency is pinned to; Ref the
	// branch or tag it names, when given.
	Commit string `json:"commit,omitempty"`
	Ref    string `json:"ref,omitempty"`
	// Path is a local path, relative to the file's directory as written.
	Path string `json:"path,omitempty"`
}

// Pinned reports whether the package has an exact version to match.
func (p Package) Pinned() bool { return p.Version != "" }

// PURL returns the package URL (https://github.com/package-url/purl-spec).
func (p Package) PURL() string {
	typ, ns, name := "", "", p.Name
	switch p.Ecosystem {
	case Go:
		typ = "golang"
		if i := strings.LastIndex(name, "/"); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	case NPM:
		typ = "npm"
		if strings.HasPrefix(name, "@") {
			if i := strings.Index(name, "/"); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case PyPI:
		typ, name = "pypi", NormalizeName(PyPI, name)
	case CratesIO:
		typ = "cargo"
	case Maven:
		typ = "maven"
		if i := strings.Index(name, ":"); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	case RubyGems:
		typ = "gem"
	case Packagist:
		typ = "composer"
		if i := strings.Index(name, "/"); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	case NuGet:
		typ = "nuget"
	default:
		typ = strings.ToLower(p.Ecosystem)
	}
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(typ)
	b.WriteByte('/')
	if ns != "" {
		for i, seg := range strings.Split(ns, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(purlEscape(seg))
		}
		b.WriteByte('/')
	}
	b.WriteString(purlEscape(name))
	if p.Version != "" {
		b.WriteByte('@')
		b.WriteString(purlEscape(p.Version))
	}
	return b.String()
}

// purlEscape percent-encodes a purl segment: the spec reserves "@" (so an npm
// scope is "%40scope") and "+" besides what a URL path escapes.
func purlEscape(s string) string {
	return strings.NewReplacer("+", "%2B", "@", "%40").Replace(url.PathEscape(s))
}

// NormalizeName returns the form of a package name under which an ecosystem
// considers two names the same: PEP 503 for PyPI, lower case for the
// case-insensitive registries, unchanged elsewhere (Go module paths and npm
// names are case-sensitive).
func NormalizeName(ecosystem, name string) string {
	switch ecosystem {
	case PyPI:
		if normalPyPI(name) {
			return name
		}
		var b strings.Builder
		b.Grow(len(name))
		sep := false
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '-' || c == '_' || c == '.' {
				sep = true
				continue
			}
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		return b.String()
	case CratesIO, Packagist, NuGet:
		return strings.ToLower(name)
	default:
		return name
	}
}

// normalPyPI reports whether name is already in PEP 503 form, so that
// NormalizeName need not build a copy.
func normalPyPI(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z', c == '_', c == '.':
			return false
		case c == '-' && (i == 0 || i == len(name)-1 || name[i-1] == '-'):
			return false
		}
	}
	return true
}

// Input is one file handed to an extractor.
type Input struct {
	// Path is slash-separated and relative to Root; it is what locations report.
	Path string
	// Reader yields the file's content.
	Reader io.Reader
	// Root is the tree being scanned, for formats that read sibling files
	// (requirements includes, go.sum). It may be nil.
	Root fs.FS
}

// Extractor turns one kind of manifest or lockfile into packages.
type Extractor interface {
	// Name is a short stable identifier, e.g. "npm/package-lock".
	Name() string
	// FileRequired reports whether the file at the slash-separated path is
	// one this extractor reads. It looks at the name only.
	FileRequired(path string) bool
	// Extract reads the file. Errors name the file and, where they can, the
	// line and field (use ParseError).
	//
	// An extractor reads what it can: when some entries of the file cannot be
	// read, it returns the packages it could read together with a Problems
	// error listing the entries it could not (errors) and those it read but
	// could not resolve (warnings). Any other error means the file was not
	// read at all.
	Extract(ctx context.Context, in *Input) ([]Package, error)
}

// Problems lists what an extractor could not read, or could not resolve, in
// a file whose other entries it read. Extract returns it beside the
// packages; callers keep those packages and report each problem.
type Problems []*ParseError

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems as errors, for errors.Is and errors.As.
func (ps Problems) Unwrap() []error {
	out := make([]error, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

// HasErrors reports whether any problem is an error rather than a warning:
// some of the file's content was not read.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

// MaxProblems is how many problems Add keeps for one file; a last problem
// counts the rest, so that a file of a million bad lines costs little.
const MaxProblems = 100

// Add appends p, or, past MaxProblems, counts it in a last problem that
// says how many more there were (an error if any of them is one).
func (ps *Problems) Add(p *ParseError) {
	if len(*ps) < MaxProblems {
		*ps = append(*ps, p)
		return
	}
	last := (*ps)[len(*ps)-1]
	more, ok := last.Err.(*moreProblems)
	if !ok {
		more = &moreProblems{}
		last = &ParseError{Path: p.Path, Err: more, Warning: true}
		*ps = append(*ps, last)
	}
	more.n++
	if !p.Warning {
		last.Warning = false
	}
}

// moreProblems stands for the problems beyond MaxProblems.
type moreProblems struct{ n int }

func (m *moreProblems) Error() string {
	return fmt.Sprintf("%d more problems not listed", m.n)
}

// Result returns pkgs and ps as Extract returns them: ps only when it is
// not empty.
func (ps Problems) Result(pkgs []Package) ([]Package, error) {
	if len(ps) == 0 {
		return pkgs, nil
	}
	return pkgs, ps
}

// ParseError is an error in a manifest, naming the file, line and field.
type ParseError struct {
	Path  string
	Line  int    // 0 when unknown
	Field string // empty when not about one field
	Err   error
	// Warning marks an entry that is valid but could not be resolved (pip's
	// ${VAR} in a version): its package is still reported, unpinned. Only
	// meaningful inside Problems.
	Warning bool
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Manifest is one file an extractor read, with its packages.
type Manifest struct {
	// Path is slash-separated and relative to the scanned tree.
	Path string `json:"path"`
	// Extractor names the extractor that read it.
	Extractor string `json:"extractor"`
	// Packages are the dependencies it declares.
	Packages []Package `json:"packages"`
}
