package requirements

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// parseRequirement parses the requirement part of a line. A path, a URL,
// an archive or a VCS reference is read by parseLocation; skip reports one
// that names no project.
//
// scratch is reused for the version clauses: pass the same one for every
// line of a file.
func parseRequirement(s string, scratch *[]clause) (req requirement, skip bool, err error) {
	lead := len(s) - len(strings.TrimLeft(s, " \t"))
	s = strings.TrimSpace(s)
	spec := s
	req.at = -1
	if i := strings.IndexByte(s, ';'); i >= 0 {
		spec = strings.TrimSpace(s[:i])
		req.marker = stripSpace(s[i+1:])
	}
	if isLocation(spec) && !directReference(spec) {
		loc := parseLocation(spec, "")
		if loc.name == "" {
			return requirement{}, true, nil
		}
		req.name, req.version, req.source = loc.name, loc.version, loc.source
		if loc.at >= 0 {
			req.at = lead + loc.at
		}
		return req, false, nil
	}
	p := &scanner{s: spec, clauses: (*scratch)[:0]}
	defer func() { *scratch = p.clauses }()
	req.name = p.name()
	if req.name == "" {
		return requirement{}, false, fmt.Errorf("invalid requirement %s: expected a project name", inventory.QuoteShort(s))
	}
	p.space()
	if p.peek() == '[' {
		if err := p.extras(); err != nil {
			return requirement{}, false, fmt.Errorf("invalid requirement %s: %w", inventory.QuoteShort(s), err)
		}
		p.space()
	}
	if p.peek() == '@' {
		// A PEP 508 direct reference, "name @ url".
		p.i++
		p.space()
		loc := parseLocation(spec[p.i:], req.name)
		req.version, req.source = loc.version, loc.source
		if loc.at >= 0 {
			req.at = lead + p.i + loc.at
		}
		return req, false, nil
	}
	if p.done() {
		return req, false, nil
	}
	clauses, err := p.specifiers()
	if err != nil {
		return requirement{}, false, fmt.Errorf("invalid requirement %s: %w", inventory.QuoteShort(s), err)
	}
	if len(clauses) == 1 {
		c := clauses[0]
		if c.op == "===" || c.op == "==" && !strings.Contains(c.version, "*") {
			req.version, req.at = c.version, lead+c.pos
			return req, false, nil
		}
	}
	var b strings.Builder
	for i, c := range clauses {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.op)
		b.WriteString(c.version)
	}
	req.constraint = b.String()
	return req, false, nil
}

// isLocation reports whether a requirement names a path, URL or archive
// rather than a project.
func isLocation(s string) bool {
	if strings.Contains(s, "://") || strings.ContainsAny(s, `/\`) ||
		strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") {
		return true
	}
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "file:") {
		return true
	}
	for _, ext := range []string{".whl", ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

type clause struct {
	op, version string
	pos         int // of the version in the scanned text
}

type scanner struct {
	s       string
	i       int
	clauses []clause // what specifiers read
}

func (p *scanner) done() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *scanner) space() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// name reads a PEP 508 project name: letters and digits, with ".", "-" and
// "_" inside.
func (p *scanner) name() string {
	start := p.i
	for !p.done() && isNameByte(p.s[p.i]) {
		p.i++
	}
	n := p.s[start:p.i]
	if !validName(n) {
		p.i = start
		return ""
	}
	return n
}

func isNameByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '_'
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func validName(n string) bool {
	if n == "" || !isAlnum(n[0]) || !isAlnum(n[len(n)-1]) {
		return false
	}
	for i := 0; i < len(n); i++ {
		if !isNameByte(n[i]) {
			return false
		}
	}
	return true
}

// extras reads "[a, b]"; the names are not kept.
func (p *scanner) extras() error {
	end := strings.IndexByte(p.s[p.i:], ']')
	if end < 0 {
		return errors.New("unclosed extras")
	}
	for _, e := range strings.Split(p.s[p.i+1:p.i+end], ",") {
		if e = strings.TrimSpace(e); e != "" && !validName(e) {
			return fmt.Errorf("invalid extra %s", inventory.QuoteShort(e))
		}
	}
	p.i += end + 1
	return nil
}

var operators = []string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"}

// specifiers reads a comma-separated list of version clauses, optionally in
// parentheses, up to the end of the input.
func (p *scanner) specifiers() ([]clause, error) {
	paren := p.peek() == '('
	if paren {
		p.i++
	}
	out := p.clauses[:0]
	defer func() { p.clauses = out }()
	for {
		p.space()
		op := ""
		for _, o := range operators {
			if strings.HasPrefix(p.s[p.i:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, fmt.Errorf("expected a version operator at %s", inventory.QuoteShort(p.s[p.i:]))
		}
		p.i += len(op)
		p.space()
		start := p.i
		for !p.done() && isVersionByte(p.s[p.i], op == "===") {
			p.i++
		}
		if p.i == start {
			return nil, fmt.Errorf("missing version after %s", op)
		}
		out = append(out, clause{op, p.s[start:p.i], start})
		p.space()
		if p.peek() == ',' {
			p.i++
			continue
		}
		break
	}
	if paren {
		if p.peek() != ')' {
			return nil, errors.New("unclosed parenthesis")
		}
		p.i++
		p.space()
	}
	if !p.done() {
		return nil, fmt.Errorf("unexpected %s", inventory.QuoteShort(p.s[p.i:]))
	}
	return out, nil
}

// isVersionByte reports whether c may appear in a version; arbitrary
// equality (===) takes any string up to whitespace, a comma or a parenthesis.
func isVersionByte(c byte, arbitrary bool) bool {
	if arbitrary {
		return c != ' ' && c != '\t' && c != ',' && c != ')' && c != ';'
	}
	return isAlnum(c) || strings.IndexByte(".*+!_-", c) >= 0
}

// directReference reports whether spec starts "name @" or "name[extras] @".
func directReference(spec string) bool {
	p := &scanner{s: spec}
	if p.name() == "" {
		return false
	}
	p.space()
	if p.peek() == '[' {
		if p.extras() != nil {
			return false
		}
		p.space()
	}
	return p.peek() == '@'
}

// location is what a path, URL or VCS reference says.
type location struct {
	name    string // from "#egg=name" or an archive's file name; "" if none
	version string // a release tag's or an archive file name's version
	at      int    // offset of version in the reference, -1 when none
	source  *inventory.Source
}

// parseLocation reads a requirement given as a location:
// "git+https://host/repo.git@v1.2.3#egg=name" is Source git (the ref as
// Ref, and as Commit when it is a commit hash) with the version a release
// tag names; "file:" URLs and paths are Source path; other URLs are Source
// url. An archive or wheel file named "name-version…" gives both. name, when
// not empty, is the project the requirement names ("name @ url"): a file
// name's version is only taken when the file is that project's.
func parseLocation(u, name string) location {
	loc := location{name: name, at: -1}
	ref, frag, _ := strings.Cut(u, "#")
	for kv := range strings.SplitSeq(frag, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == "egg" && loc.name == "" && validName(v) {
			loc.name = v
		}
	}
	lower := strings.ToLower(ref)
	switch {
	case strings.HasPrefix(lower, "git+"):
		src := &inventory.Source{Type: inventory.SourceGit, URL: ref[len("git+"):]}
		// The ref follows the last "@" of the path, after any user@ in
		// the host part.
		pathStart := 0
		if i := strings.Index(src.URL, "://"); i >= 0 {
			if j := strings.IndexByte(src.URL[i+3:], '/'); j >= 0 {
				pathStart = i + 3 + j
			}
		}
		if i := strings.LastIndexByte(src.URL[pathStart:], '@'); i >= 0 {
			at := pathStart + i
			src.URL, src.Ref = src.URL[:at], src.URL[at+1:]
			if inventory.IsCommit(src.Ref) {
				src.Commit = src.Ref
			}
			if v := inventory.TagVersion(src.Ref); v != "" {
				loc.version = v
				loc.at = len("git+") + at + 1 + len(src.Ref) - len(v)
			}
		}
		loc.source = src
		return loc
	case strings.HasPrefix(lower, "file:"):
		p := strings.TrimPrefix(ref[len("file:"):], "//")
		loc.source = &inventory.Source{Type: inventory.SourcePath, Path: p}
	case strings.Contains(ref, "://"):
		loc.source = &inventory.Source{Type: inventory.SourceURL, URL: u}
	default:
		loc.source = &inventory.Source{Type: inventory.SourcePath, Path: ref}
	}
	// An archive or a wheel: "name-version.tar.gz", "name-version-….whl".
	base := ref[strings.LastIndexAny(ref, `/\`)+1:]
	stem := ""
	for _, ext := range []string{".whl", ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			stem = base[:len(base)-len(ext)]
			break
		}
	}
	if stem != "" {
		fileName, version, _ := strings.Cut(stem, "-")
		version, _, _ = strings.Cut(version, "-")
		if validName(fileName) && version != "" && version[0] >= '0' && version[0] <= '9' &&
			(loc.name == "" || inventory.NormalizeName(inventory.PyPI, fileName) == inventory.NormalizeName(inventory.PyPI, loc.name)) {
			if loc.name == "" {
				loc.name = fileName
			}
			loc.version = version
			loc.at = len(ref) - len(base) + len(fileName) + 1
		}
		return loc
	}
	if loc.name == "" && loc.source.Type == inventory.SourcePath {
		// A project directory: pip reads its name from its metadata, which
		// is not read here; it is reported under the directory's name,
		// except "." and its parents (the project itself).
		if d := strings.TrimRight(ref, `/\`); d != "" && d != "." && d != ".." && !strings.HasSuffix(d, "/..") && !strings.HasSuffix(d, "/.") {
			if b := d[strings.LastIndexAny(d, `/\`)+1:]; validName(b) {
				loc.name = b
			}
		}
	}
	return loc
}
