// Package requirements extracts PyPI dependencies from pip requirements files
// (requirements.txt, requirements-dev.txt, dev-requirements.txt,
// requirements/*.txt).
//
// The file is read the way pip reads it: lines ending in a backslash are
// joined to the next, comments start with "#" at the beginning of a line or
// after whitespace, and per-requirement options such as --hash may follow a
// requirement on the same logical line. A requirement pinned with "==" or
// "===" to one version (no wildcard) yields that version; any other
// specifier, or none, yields an unpinned package whose Constraint is the
// specifier as written without spaces. Extras are dropped. Environment
// markers are kept apart but not evaluated: the scanner cannot know the
// target environment, so a package is reported whatever its marker says,
// and a name required twice under different markers (numpy 1.21.0 on
// Linux, 1.19.5 on Windows) is two packages. Names are kept as written; a
// name repeated under the same marker is reported once, at its first line.
//
// A line that cannot be read (stray text, an invalid version) is an error
// naming its file and line, and the other lines are still read. A
// requirement using one of pip's ${VAR} environment variables is valid but
// cannot be resolved offline: a warning, and the package is reported
// unpinned with the specifier as written (or not at all when the variable
// is in the name).
//
// Includes are followed through the scanned tree, relative to the including
// file: packages of a file included with -r/--requirement are reported at
// their own file and line, and a file included with -c/--constraint only
// supplies versions (or extra constraints) for packages required elsewhere.
// Each file is read at most once, so include cycles end. An include that is
// missing, absolute, leaves the scanned tree (by "..", or by a symbolic
// link) or is not a regular file is an error at its line, as it is for pip;
// the rest of the file is still read. Includes given as URLs or through
// environment variables cannot be resolved offline: a warning each.
//
// Every requirement is direct, except in pip-compile output: a requirement
// followed by a "# via" annotation that names only other packages (no
// "-r file", "-c file" or "project (pyproject.toml)" source) is transitive.
//
// A pinned version carries the span of its text in the file (nil when it
// comes from a constraints file or spans a line continuation).
//
// Requirements given by location are reported with their Source: PEP 508
// direct references ("name @ url"), editable installs (-e/--editable) and
// bare URLs, VCS references, paths and archives. A git reference
// ("git+https://host/repo.git@v1.2.3") is Source git with the ref as Ref
// (and as Commit when it is a full commit hash); a ref that is a release
// tag names the version ("v1.2.3" is 1.2.3, its span the tag's digits).
// A file: URL or a path is Source path; another URL is Source url; an
// archive or wheel named "name-version…" gives the version. The name is the
// one written ("name @ …"), the "#egg=" fragment's, the archive's or, for a
// project directory, the directory's (pip would read it from the project's
// metadata); "." (the project itself) and locations without a name are
// skipped. The --index-url (-i) option gives the registry URL of every
// package found without another source; other pip options
// (--extra-index-url, -f, --trusted-host, ...) configure pip rather than
// name packages and are skipped.
//
// Memory is linear in the file: lines are slices of its text, and only what
// a package keeps is copied out of it.
package requirements

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads pip requirements files.
type Extractor struct{}

// New returns a requirements file extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "python/requirements" }

// FileRequired implements inventory.Extractor: requirements*.txt,
// *-requirements.txt, *_requirements.txt and any .txt file in a directory
// named requirements.
func (*Extractor) FileRequired(p string) bool {
	base := strings.ToLower(path.Base(p))
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	return strings.HasPrefix(base, "requirements") ||
		strings.HasSuffix(base, "-requirements.txt") ||
		strings.HasSuffix(base, "_requirements.txt") ||
		strings.ToLower(path.Base(path.Dir(p))) == "requirements"
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	r := &reader{
		ctx:         ctx,
		root:        in.Root,
		seen:        map[fileKey]bool{},
		constraints: map[string]requirement{},
	}
	r.seen[fileKey{path.Clean(in.Path), false}] = true
	text := string(data)
	if err := r.file(in.Path, text, false); err != nil {
		return nil, err
	}
	r.applyConstraints()
	if r.index != "" {
		for i := range r.pkgs {
			if r.pkgs[i].Source == nil {
				r.pkgs[i].Source = &inventory.Source{Type: inventory.SourceRegistry, URL: r.index}
			}
		}
	}
	return r.problems.Result(r.pkgs)
}

type fileKey struct {
	path       string
	constraint bool
}

// reader walks one requirements file and its includes.
type reader struct {
	ctx  context.Context
	root fs.FS
	seen map[fileKey]bool
	pkgs []inventory.Package
	// constraints holds the first constraint per normalised name.
	constraints map[string]requirement
	// clauses is scratch space for parseRequirement.
	clauses []clause
	// problems lists the lines not read, or read but not resolved, in the
	// file and its includes, each at its own file and line.
	problems inventory.Problems
	// index is the last --index-url.
	index string
}

// requirement is one parsed requirement specifier.
type requirement struct {
	name       string
	version    string // exact pin, if any
	constraint string // specifier without spaces, when not pinned
	marker     string // environment marker without spaces, if any
	at         int    // offset of version in the parsed text; -1 if not there
	source     *inventory.Source
}

// file reads one file; constraint says it was included with -c. A line it
// cannot read is a problem, and the lines after it are still read; the
// only error it returns is the context's.
func (r *reader) file(name string, data string, constraint bool) error {
	whole := data
	data = strings.TrimPrefix(data, "\ufeff") // UTF-8 byte order mark
	base := len(whole) - len(data)
	// byKey maps a normalised name and marker to the package's index in
	// r.pkgs: the same name under two markers is two packages.
	byKey := map[string]int{}
	var via viaBlock
	lines := logicalLines(data)
	for n := 0; lines.next(); n++ {
		if n%4096 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		ln := lines.cur
		text, comment := splitComment(ln.text)
		text = strings.TrimSpace(text)
		if text == "" {
			via.comment(comment, r.pkgs)
			continue
		}
		via.finish(r.pkgs)
		// textAt is the offset of text in the line.
		textAt := len(ln.text) - len(strings.TrimLeft(ln.text, " \t"))
		arg := argPart(text)
		if editable, at := editableArg(text); editable != "" {
			arg, textAt = editable, textAt+at
		} else if strings.HasPrefix(text, "-") {
			if err := r.option(name, ln.num, text); err != nil {
				return err
			}
			continue
		}
		var req requirement
		if strings.Contains(arg, "${") {
			var ok bool
			if req, ok = r.unresolved(name, ln.num, arg); !ok {
				continue
			}
		} else {
			var skip bool
			var err error
			req, skip, err = parseRequirement(arg, &r.clauses)
			if err != nil {
				r.problems.Add(&inventory.ParseError{Path: name, Line: ln.num, Err: err})
				continue
			}
			if skip {
				continue
			}
		}
		key := inventory.NormalizeName(inventory.PyPI, req.name)
		if constraint {
			if _, ok := r.constraints[key]; !ok {
				r.constraints[key] = req
			}
			continue
		}
		if req.marker != "" {
			key += ";" + req.marker
		}
		var span *inventory.Span
		if req.version != "" && req.at >= 0 && textAt+req.at+len(req.version) <= ln.first {
			start := base + ln.off + textAt + req.at
			if end := start + len(req.version); end <= len(whole) && whole[start:end] == req.version {
				span = &inventory.Span{Start: start, End: end}
			}
		}
		if i, ok := byKey[key]; ok {
			if r.pkgs[i].Version == "" && req.version != "" {
				r.pkgs[i].Version, r.pkgs[i].Constraint = strings.Clone(req.version), ""
				r.pkgs[i].VersionSpan = span
			}
			continue
		}
		byKey[key] = len(r.pkgs)
		// The package outlives the file's text: copy what it keeps, in one
		// allocation, so the text can be freed.
		kept := req.name + req.version + req.constraint
		pkgName, rest := kept[:len(req.name)], kept[len(req.name):]
		r.add(inventory.Package{
			Ecosystem:   inventory.PyPI,
			Name:        pkgName,
			Version:     rest[:len(req.version)],
			Constraint:  rest[len(req.version):],
			Relation:    inventory.RelationDirect,
			Location:    inventory.Location{Path: name, Line: ln.num},
			VersionSpan: span,
			Source:      cloneSource(req.source),
		})
		via.start(len(r.pkgs)-1, comment, r.pkgs)
	}
	via.finish(r.pkgs)
	return nil
}

// cloneSource copies s out of the file's text.
func cloneSource(s *inventory.Source) *inventory.Source {
	if s == nil {
		return nil
	}
	return &inventory.Source{Type: s.Type, URL: strings.Clone(s.URL), Commit: strings.Clone(s.Commit), Ref: strings.Clone(s.Ref), Path: strings.Clone(s.Path)}
}

// editableArg returns the location of an editable install line ("-e loc",
// "--editable loc", "--editable=loc") and its offset in text; "" for other
// lines.
func editableArg(text string) (string, int) {
	for _, flag := range []string{"-e", "--editable"} {
		rest, ok := strings.CutPrefix(text, flag)
		if !ok || rest == "" || rest[0] != ' ' && rest[0] != '\t' && rest[0] != '=' {
			continue
		}
		at := len(flag) + 1
		rest = rest[1:]
		trimmed := strings.TrimLeft(rest, " \t")
		at += len(rest) - len(trimmed)
		arg, _, _ := strings.Cut(trimmed, " ")
		arg, _, _ = strings.Cut(arg, "\t")
		return arg, at
	}
	return "", 0
}

// add appends p to the packages, doubling the list when full: large
// slices otherwise grow by a quarter at a time, which allocates several
// times the final size in all.
func (r *reader) add(p inventory.Package) {
	if len(r.pkgs) == cap(r.pkgs) {
		grown := make([]inventory.Package, len(r.pkgs), 2*cap(r.pkgs)+16)
		copy(grown, r.pkgs)
		r.pkgs = grown
	}
	r.pkgs = append(r.pkgs, p)
}

// unresolved handles a requirement that uses an environment variable, which
// pip expands when it installs and which is unknown here. With the variable
// in the version, the package is kept unpinned, its constraint as written;
// with it in the name, no package can be named. Either way the line is a
// warning: valid, but not resolved.
func (r *reader) unresolved(name string, line int, arg string) (requirement, bool) {
	spec, marker, _ := strings.Cut(arg, ";")
	p := &scanner{s: strings.TrimSpace(spec)}
	req := requirement{name: p.name(), marker: stripSpace(marker)}
	if req.name == "" || strings.HasPrefix(p.s[p.i:], "${") || strings.HasPrefix(p.s[p.i:], "[") && strings.Contains(p.s[p.i:strings.IndexByte(p.s, ']')+1], "${") {
		r.problems.Add(&inventory.ParseError{Path: name, Line: line, Warning: true,
			Err: fmt.Errorf("requirement %s names its project through an environment variable, unknown offline: not reported", inventory.QuoteShort(arg))})
		return requirement{}, false
	}
	req.constraint = stripSpace(p.s[p.i:])
	if b := strings.IndexByte(req.constraint, ']'); strings.HasPrefix(req.constraint, "[") && b >= 0 {
		req.constraint = req.constraint[b+1:]
	}
	r.problems.Add(&inventory.ParseError{Path: name, Line: line, Warning: true,
		Err: fmt.Errorf("requirement %s uses an environment variable, unknown offline: %s reported unpinned", inventory.QuoteShort(arg), req.name)})
	return req, true
}

// stripSpace returns s without its spaces and tabs.
func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	return strings.Map(func(c rune) rune {
		if c == ' ' || c == '\t' {
			return -1
		}
		return c
	}, s)
}

// option handles a line that starts with an option: includes are followed,
// everything else is skipped. An include that cannot be read is a problem;
// the only error it returns is the context's.
func (r *reader) option(name string, line int, text string) error {
	fields := strings.Fields(text)
	flag, arg := fields[0], ""
	switch {
	case flag == "-i" || flag == "--index-url":
		if len(fields) > 1 {
			r.index = strings.Clone(fields[1])
		}
		return nil
	case strings.HasPrefix(flag, "--index-url="):
		r.index = strings.Clone(strings.TrimPrefix(flag, "--index-url="))
		return nil
	case flag == "-r" || flag == "--requirement" || flag == "-c" || flag == "--constraint":
		if len(fields) > 1 {
			arg = fields[1]
		}
	case strings.HasPrefix(flag, "--requirement=") || strings.HasPrefix(flag, "--constraint="):
		flag, arg, _ = strings.Cut(flag, "=")
	case strings.HasPrefix(flag, "-r") || strings.HasPrefix(flag, "-c"):
		flag, arg = flag[:2], flag[2:]
	default:
		return nil
	}
	constraint := flag == "-c" || flag == "--constraint"
	problem := func(warning bool, format string, a ...any) error {
		r.problems.Add(&inventory.ParseError{Path: name, Line: line, Field: flag, Warning: warning, Err: fmt.Errorf(format, a...)})
		return nil
	}
	switch {
	case arg == "":
		return problem(false, "missing file name")
	case strings.Contains(arg, "://"):
		return problem(true, "include %s is a URL, not fetched offline: its packages are not reported", inventory.QuoteShort(arg))
	case strings.Contains(arg, "${"):
		return problem(true, "include %s names an environment variable, unknown offline: its packages are not reported", inventory.QuoteShort(arg))
	case path.IsAbs(arg) || strings.HasPrefix(arg, `\\`) || len(arg) > 1 && arg[1] == ':':
		return problem(false, "include %s is an absolute path: only files inside the scanned tree are read (use a path relative to %s)", inventory.QuoteShort(arg), path.Base(name))
	}
	target := path.Join(path.Dir(name), arg)
	if !fs.ValidPath(target) {
		return problem(false, "include %s is outside the scanned tree", inventory.QuoteShort(arg))
	}
	key := fileKey{target, constraint}
	if r.seen[key] {
		return nil
	}
	r.seen[key] = true
	data, err := inventory.ReadFile(r.root, target)
	if err != nil {
		return problem(false, "include %s: %w", inventory.QuoteShort(arg), err)
	}
	return r.file(target, string(data), constraint)
}

// applyConstraints gives unpinned requirements the version or range that a
// constraints file sets for them.
func (r *reader) applyConstraints() {
	if len(r.constraints) == 0 {
		return
	}
	for i := range r.pkgs {
		p := &r.pkgs[i]
		c, ok := r.constraints[inventory.NormalizeName(inventory.PyPI, p.Name)]
		if !ok || p.Version != "" {
			continue
		}
		switch {
		case c.version != "":
			p.Version, p.Constraint = strings.Clone(c.version), ""
		case c.constraint != "" && p.Constraint == "":
			p.Constraint = strings.Clone(c.constraint)
		case c.constraint != "":
			p.Constraint += "," + c.constraint
		}
	}
}

// argPart returns the requirement part of a line: the tokens before the
// first one that starts with "-" (per-requirement options such as --hash).
func argPart(text string) string {
	rest := text
	for {
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			return text
		}
		j := i
		for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
			j++
		}
		if j < len(rest) && rest[j] == '-' {
			return text[:len(text)-len(rest)+i]
		}
		rest = rest[j:]
	}
}

// line is one logical line: physical lines joined at trailing backslashes.
type line struct {
	num  int // 1-based number of its first physical line
	text string
	// off is the byte offset of the line in the data; text[:first] is the
	// data's text there (text after first comes from continuation lines).
	off, first int
}

type lineIter struct {
	data string
	num  int // physical lines consumed
	pos  int // bytes consumed
	cur  line
	buf  strings.Builder
}

func logicalLines(data string) *lineIter { return &lineIter{data: data} }

// next advances to the next logical line, joining continuations as pip does:
// a line ending in a backslash continues on the next one unless it is a
// comment line; a comment line ends a continuation. A line without a
// continuation is a slice of the data, not a copy.
func (it *lineIter) next() bool {
	if len(it.data) == 0 {
		return false
	}
	start, off, first := it.num+1, it.pos, -1
	joined := false
	it.buf.Reset()
	for len(it.data) > 0 {
		s := it.data
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s, it.data = s[:i], it.data[i+1:]
			it.pos += i + 1
		} else {
			it.data = ""
			it.pos += len(s)
		}
		it.num++
		s = strings.TrimSuffix(s, "\r")
		comment := isCommentLine(s)
		if !joined && (comment || !strings.HasSuffix(s, `\`)) {
			it.cur = line{num: start, text: s, off: off, first: len(s)}
			return true
		}
		if comment {
			it.buf.WriteByte(' ')
			it.buf.WriteString(s)
			break
		}
		if !strings.HasSuffix(s, `\`) {
			it.buf.WriteString(s)
			break
		}
		joined = true
		it.buf.WriteString(strings.TrimRight(s, `\`))
		if first < 0 {
			first = it.buf.Len()
		}
	}
	it.cur = line{num: start, text: it.buf.String(), off: off, first: max(first, 0)}
	return true
}

func isCommentLine(s string) bool {
	return strings.HasPrefix(strings.TrimLeft(s, " \t"), "#")
}

// splitComment cuts s at a "#" that starts the line or follows whitespace,
// returning the text before it and the comment after the "#".
func splitComment(s string) (text, comment string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
