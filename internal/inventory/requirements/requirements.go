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
// specifier as written without spaces. Extras and environment markers are
// dropped; the package is kept whatever its marker says, since the scanner
// cannot know the target environment. Names are kept as written; a name
// repeated in one file is reported once, at its first line.
//
// Includes are followed through the scanned tree, relative to the including
// file: packages of a file included with -r/--requirement are reported at
// their own file and line, and a file included with -c/--constraint only
// supplies versions (or extra constraints) for packages required elsewhere.
// Each file is read at most once, so include cycles end. A missing include,
// or one leaving the scanned tree, is an error, as it is for pip.
//
// Every requirement is direct, except in pip-compile output: a requirement
// followed by a "# via" annotation that names only other packages (no
// "-r file", "-c file" or "project (pyproject.toml)" source) is transitive.
//
// Skipped, because they name no registry release that can be matched:
// editable installs (-e/--editable), URLs and VCS references, local paths and
// archive files, and PEP 508 direct references ("name @ url"). Also skipped:
// index and other pip options (--index-url, --extra-index-url, -f,
// --trusted-host, ...), which configure pip rather than name packages, and
// includes given as URLs or through environment variables, which cannot be
// resolved offline.
package requirements

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	data, err := io.ReadAll(in.Reader)
	if err != nil {
		return nil, &inventory.ParseError{Path: in.Path, Err: err}
	}
	r := &reader{
		ctx:         ctx,
		root:        in.Root,
		seen:        map[fileKey]bool{},
		constraints: map[string]requirement{},
	}
	r.seen[fileKey{path.Clean(in.Path), false}] = true
	if err := r.file(in.Path, data, false); err != nil {
		return nil, err
	}
	r.applyConstraints()
	return r.pkgs, nil
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
}

// requirement is one parsed requirement specifier.
type requirement struct {
	name       string
	version    string // exact pin, if any
	constraint string // specifier without spaces, when not pinned
}

// file reads one file; constraint says it was included with -c.
func (r *reader) file(name string, data []byte, constraint bool) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	// byName maps a normalised name to its package's index in r.pkgs.
	byName := map[string]int{}
	var via viaBlock
	lines := logicalLines(data)
	for lines.next() {
		ln := lines.cur
		text, comment := splitComment(ln.text)
		text = strings.TrimSpace(text)
		if text == "" {
			via.comment(comment, r.pkgs)
			continue
		}
		via.finish(r.pkgs)
		if strings.HasPrefix(text, "-") {
			if err := r.option(name, ln.num, text); err != nil {
				return err
			}
			continue
		}
		req, skip, err := parseRequirement(argPart(text))
		if err != nil {
			return &inventory.ParseError{Path: name, Line: ln.num, Err: err}
		}
		if skip {
			continue
		}
		key := inventory.NormalizeName(inventory.PyPI, req.name)
		if constraint {
			if _, ok := r.constraints[key]; !ok {
				r.constraints[key] = req
			}
			continue
		}
		if i, ok := byName[key]; ok {
			if r.pkgs[i].Version == "" && req.version != "" {
				r.pkgs[i].Version, r.pkgs[i].Constraint = req.version, ""
			}
			continue
		}
		byName[key] = len(r.pkgs)
		r.pkgs = append(r.pkgs, inventory.Package{
			Ecosystem:  inventory.PyPI,
			Name:       req.name,
			Version:    req.version,
			Constraint: req.constraint,
			Relation:   inventory.RelationDirect,
			Location:   inventory.Location{Path: name, Line: ln.num},
		})
		via.start(len(r.pkgs)-1, comment, r.pkgs)
	}
	via.finish(r.pkgs)
	return nil
}

// option handles a line that starts with an option: includes are followed,
// everything else is skipped.
func (r *reader) option(name string, line int, text string) error {
	fields := strings.Fields(text)
	flag, arg := fields[0], ""
	switch {
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
	if arg == "" {
		return &inventory.ParseError{Path: name, Line: line, Field: flag, Err: errors.New("missing file name")}
	}
	if strings.Contains(arg, "://") || strings.Contains(arg, "${") {
		return nil
	}
	target := arg
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(name), target)
	}
	if path.IsAbs(target) || !fs.ValidPath(target) {
		return &inventory.ParseError{Path: name, Line: line, Field: flag,
			Err: fmt.Errorf("include %s is outside the scanned tree", arg)}
	}
	key := fileKey{target, constraint}
	if r.seen[key] {
		return nil
	}
	r.seen[key] = true
	if r.root == nil {
		return &inventory.ParseError{Path: name, Line: line, Field: flag,
			Err: fmt.Errorf("include %s: no file system to read it from", arg)}
	}
	data, err := fs.ReadFile(r.root, target)
	if err != nil {
		return &inventory.ParseError{Path: name, Line: line, Field: flag,
			Err: fmt.Errorf("include %s: %w", arg, unwrapPathError(err))}
	}
	if err := r.file(target, data, constraint); err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			return &inventory.ParseError{Path: name, Line: line, Err: err}
		}
		return err
	}
	return nil
}

// unwrapPathError drops the file system's own path from err, since the
// ParseError already names the include as written.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
			p.Version, p.Constraint = c.version, ""
		case c.constraint != "" && p.Constraint == "":
			p.Constraint = c.constraint
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
}

type lineIter struct {
	data []byte
	num  int // physical lines consumed
	cur  line
}

func logicalLines(data []byte) *lineIter { return &lineIter{data: data} }

// next advances to the next logical line, joining continuations as pip does:
// a line ending in a backslash continues on the next one unless it is a
// comment line; a comment line ends a continuation.
func (it *lineIter) next() bool {
	if len(it.data) == 0 {
		return false
	}
	var b strings.Builder
	start := it.num + 1
	for len(it.data) > 0 {
		raw := it.data
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw, it.data = raw[:i], it.data[i+1:]
		} else {
			it.data = nil
		}
		it.num++
		s := strings.TrimSuffix(string(raw), "\r")
		if isCommentLine(s) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
			break
		}
		if !strings.HasSuffix(s, `\`) {
			b.WriteString(s)
			break
		}
		b.WriteString(strings.TrimRight(s, `\`))
	}
	it.cur = line{num: start, text: b.String()}
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
