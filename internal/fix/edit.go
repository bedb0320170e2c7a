package fix

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// requirementsEdit replaces a pin's version in a requirements file, in
// place: comments, extras, markers and options around it stay as they are.
// A hash-pinned requirement is left for a person (manual): its hashes
// would have to change with it.
func (a *Applier) requirementsEdit(c Change) (spanEdit, string, error) {
	if c.VersionSpan == nil {
		return spanEdit{}, "", fmt.Errorf("%s:%d: %s is not pinned with == where airlock can edit it: pin %s==%s by hand", c.Manifest, c.Line, c.Name, c.Name, c.To)
	}
	b, err := a.read(c.Manifest)
	if err != nil {
		return spanEdit{}, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	s := *c.VersionSpan
	if s.End > len(b) || s.Start < 0 || s.Start > s.End {
		return spanEdit{}, "", fmt.Errorf("%s:%d: the file changed since it was scanned: pin %s==%s by hand", c.Manifest, c.Line, c.Name, c.To)
	}
	if hashed(b, s.Start) {
		return spanEdit{}, fmt.Sprintf("%s:%d: %s is hash-pinned: airlock does not fetch hashes from the mirror; pin %s==%s with the sha256 of each of its files on the mirror (pip-compile --generate-hashes, or pip download --no-deps %s==%s and pip hash)",
			c.Manifest, c.Line, c.Name, c.Name, c.To, c.Name, c.To), nil
	}
	return spanEdit{start: s.Start, end: s.End, old: c.From, new: c.To}, "", nil
}

// hashed reports whether the requirement at offset i carries --hash
// options: on its line or the lines it continues onto with "\".
func hashed(b []byte, i int) bool {
	start := strings.LastIndexByte(string(b[:i]), '\n') + 1
	end := start
	for {
		n := strings.IndexByte(string(b[end:]), '\n')
		if n < 0 {
			end = len(b)
			break
		}
		line := strings.TrimRight(string(b[end:end+n]), "\r \t")
		end += n + 1
		if !strings.HasSuffix(line, "\\") {
			break
		}
	}
	return strings.Contains(string(b[start:end]), "--hash")
}

// propertyRef is a Maven version given by a property.
var propertyRef = regexp.MustCompile(`^\$\{([A-Za-z0-9_.\-]+)\}$`)

// mavenEdit changes a dependency's version in a pom.xml: the literal
// <version> of the dependency, or the <properties> entry its version
// names, formatting untouched. A transitive dependency is pinned through
// dependencyManagement, by hand.
func (a *Applier) mavenEdit(c Change) ([]spanEdit, string, error) {
	if c.Relation == inventory.RelationTransitive {
		return nil, manualInstruction(c), nil
	}
	if c.VersionSpan != nil {
		return []spanEdit{{start: c.VersionSpan.Start, end: c.VersionSpan.End, old: c.From, new: c.To}}, "", nil
	}
	b, err := a.read(c.Manifest)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	text := string(b)
	// Find the dependency's <version> text, then the property it names.
	depRe := regexp.MustCompile(`(?s)<dependency>\s*(?:<[^>]+>[^<]*</[^>]+>\s*)*?<groupId>\s*` + regexp.QuoteMeta(groupOf(c.Name)) +
		`\s*</groupId>.*?</dependency>`)
	var prop string
	for _, m := range depRe.FindAllString(text, -1) {
		if !strings.Contains(m, "<artifactId>"+artifactOf(c.Name)+"</artifactId>") {
			continue
		}
		vm := regexp.MustCompile(`<version>\s*([^<]*?)\s*</version>`).FindStringSubmatch(m)
		if vm != nil {
			if pm := propertyRef.FindStringSubmatch(vm[1]); pm != nil {
				prop = pm[1]
			}
		}
	}
	if prop == "" {
		return nil, manualInstruction(c) + " (its version is not written in " + c.Manifest + ")", nil
	}
	open, close := "<"+prop+">", "</"+prop+">"
	if strings.Count(text, open) != 1 {
		return nil, fmt.Sprintf("%s: property %s, which sets %s's version, is not defined exactly once in this file: set it to %s by hand", c.Manifest, prop, c.Name, c.To), nil
	}
	i := strings.Index(text, open) + len(open)
	j := strings.Index(text[i:], close)
	if j < 0 || strings.TrimSpace(text[i:i+j]) != c.From {
		return nil, fmt.Sprintf("%s: property %s does not read %s: set %s to %s by hand", c.Manifest, prop, c.From, c.Name, c.To), nil
	}
	val := text[i : i+j]
	lead := len(val) - len(strings.TrimLeft(val, " \t\r\n"))
	return []spanEdit{{start: i + lead, end: i + lead + len(c.From), old: c.From, new: c.To}}, "", nil
}

// cargoEdit changes a package's version in Cargo.lock, with its checksum
// from the mirror's index and the "name version" references of other
// packages.
func (a *Applier) cargoEdit(ctx context.Context, c Change) ([]spanEdit, string, error) {
	if c.VersionSpan == nil {
		return nil, manualInstruction(c), nil
	}
	if a.Registry == nil {
		return nil, manualInstruction(c), nil
	}
	cl, err := a.Registry.Client(inventory.CratesIO)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	rp, err := cl.Package(ctx, c.Name)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	var newSum string
	if v, ok := rp.Find(c.To); ok {
		newSum = v.Checksum
	}
	if newSum == "" {
		return nil, manualInstruction(c) + " (the mirror's index gives no checksum for " + c.To + ")", nil
	}
	b, err := a.read(c.Manifest)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	text := string(b)
	if strings.Contains(text, "name = \""+c.Name+"\"\nversion = \""+c.To+"\"") {
		return nil, manualInstruction(c) + " (" + c.To + " is already in the lockfile beside " + c.From + ")", nil
	}
	s := *c.VersionSpan
	es := []spanEdit{{start: s.Start, end: s.End, old: c.From, new: c.To}}
	// The package's block runs to the next [[package]] header.
	end := strings.Index(text[s.End:], "\n[[")
	if end < 0 {
		end = len(text)
	} else {
		end += s.End
	}
	block := text[s.End:end]
	if k := strings.Index(block, "checksum = \""); k >= 0 {
		at := s.End + k + len("checksum = \"")
		q := strings.IndexByte(text[at:], '"')
		if q < 0 {
			return nil, "", fmt.Errorf("%s:%d: unterminated checksum", c.Manifest, c.Line)
		}
		es = append(es, spanEdit{start: at, end: at + q, old: text[at : at+q], new: newSum})
	}
	ref := `"` + c.Name + " " + c.From
	for i := 0; ; {
		k := strings.Index(text[i:], ref)
		if k < 0 {
			break
		}
		at := i + k + 1 + len(c.Name) + 1
		if next := text[at+len(c.From)]; next == '"' || next == ' ' {
			es = append(es, spanEdit{start: at, end: at + len(c.From), old: c.From, new: c.To})
		}
		i = at + len(c.From)
	}
	return es, "", nil
}
