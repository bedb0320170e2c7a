package requirements

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// parseRequirement parses the requirement part of a line. skip reports a
// requirement that names no registry release: a path, a URL, an archive or a
// direct reference.
//
// scratch is reused for the version clauses: pass the same one for every
// line of a file.
func parseRequirement(s string, scratch *[]clause) (req requirement, skip bool, err error) {
	s = strings.TrimSpace(s)
	spec := s
	if i := strings.IndexByte(s, ';'); i >= 0 {
		spec = strings.TrimSpace(s[:i])
		req.marker = stripSpace(s[i+1:])
	}
	if isLocation(spec) {
		return requirement{}, true, nil
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
		return requirement{}, true, nil
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
			req.version = c.version
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

type clause struct{ op, version string }

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
		out = append(out, clause{op, p.s[start:p.i]})
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
