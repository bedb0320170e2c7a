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
// A hash-pinned requirement gets the sha256 of each of the new version's
// files on the mirror (the PyPI simple API) in place of its old hashes;
// when the mirror gives none it is left for a person (manual).
func (a *Applier) requirementsEdit(ctx context.Context, c Change) ([]spanEdit, string, error) {
	if c.VersionSpan == nil {
		return nil, "", fmt.Errorf("%s:%d: %s is not pinned with == where airlock can edit it: pin %s==%s by hand", c.Manifest, c.Line, c.Name, c.Name, c.To)
	}
	b, err := a.read(c.Manifest)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", c.Manifest, err)
	}
	s := *c.VersionSpan
	if s.End > len(b) || s.Start < 0 || s.Start > s.End {
		return nil, "", fmt.Errorf("%s:%d: the file changed since it was scanned: pin %s==%s by hand", c.Manifest, c.Line, c.Name, c.To)
	}
	pin := spanEdit{start: s.Start, end: s.End, old: c.From, new: c.To}
	if !hashed(b, s.Start) {
		return []spanEdit{pin}, "", nil
	}
	manual := func(why string) ([]spanEdit, string, error) {
		return nil, fmt.Sprintf("%s:%d: %s is hash-pinned and %s: pin %s==%s with the sha256 of each of its files on the mirror (pip-compile --generate-hashes, or pip download --no-deps %s==%s and pip hash)",
			c.Manifest, c.Line, c.Name, why, c.Name, c.To, c.Name, c.To), nil
	}
	var hc hasher
	if a.Registry != nil {
		if cl, err := a.Registry.Client(inventory.PyPI); err == nil {
			hc, _ = cl.(hasher)
		} else {
			return manual(err.Error())
		}
	}
	if hc == nil {
		return manual("no PyPI mirror is configured to read its hashes from")
	}
	hashes, err := hc.Hashes(ctx, c.Name, c.To)
	if err != nil {
		return manual(fmt.Sprintf("the mirror gives no hashes for %s (%v)", c.To, err))
	}
	es, why := hashEdits(b, s.Start, hashes)
	if why != "" {
		return manual(why)
	}
	return append([]spanEdit{pin}, es...), "", nil
}

// hasher reads the sha256 hashes of a version's files; *registry.PyPI is
// one.
type hasher interface {
	Hashes(ctx context.Context, name, version string) ([]string, error)
}

// hashOption matches one --hash option of a requirement.
var hashOption = regexp.MustCompile(`--hash[= ]([A-Za-z0-9]+):([0-9A-Fa-f]+)`)

// hashEdits replaces the --hash options of the requirement at offset i
// with one per hash, each written as the old ones were: the first old
// option's place takes them all, joined by what separated the first two
// (" \\\n    " as pip-compile writes them), and the others go with the
// separator before them. why is set when the options cannot be replaced
// that way (another algorithm than sha256).
func hashEdits(b []byte, i int, hashes []string) ([]spanEdit, string) {
	start, end := requirementLines(b, i)
	text := string(b[start:end])
	ms := hashOption.FindAllStringSubmatchIndex(text, -1)
	if len(ms) == 0 {
		return nil, "its --hash options could not be read"
	}
	for _, m := range ms {
		if alg := text[m[2]:m[3]]; alg != "sha256" {
			return nil, "it is pinned with " + alg + " hashes, which the mirror does not give"
		}
	}
	sep := " \\\n    "
	if len(ms) > 1 {
		sep = text[ms[0][1]:ms[1][0]]
	} else if j := strings.LastIndex(text[:ms[0][0]], "\\\n"); j >= 0 && strings.TrimSpace(text[j+2:ms[0][0]]) == "" {
		sep = text[j-countSpaceBefore(text, j) : ms[0][0]]
	}
	prefix := text[ms[0][0]:ms[0][2]] // "--hash=" or "--hash "
	var opts []string
	for _, h := range hashes {
		opts = append(opts, prefix+"sha256:"+h)
	}
	es := []spanEdit{{start: start + ms[0][0], end: start + ms[0][1], old: text[ms[0][0]:ms[0][1]], new: strings.Join(opts, sep)}}
	for k := 1; k < len(ms); k++ {
		from := ms[k-1][1]
		es = append(es, spanEdit{start: start + from, end: start + ms[k][1], old: text[from:ms[k][1]], new: ""})
	}
	return es, ""
}

// countSpaceBefore counts the blanks just before offset j of s.
func countSpaceBefore(s string, j int) int {
	n := 0
	for j-n-1 >= 0 && (s[j-n-1] == ' ' || s[j-n-1] == '\t') {
		n++
	}
	return n
}

// hashed reports whether the requirement at offset i carries --hash
// options: on its line or the lines it continues onto with "\".
func hashed(b []byte, i int) bool {
	start, end := requirementLines(b, i)
	return strings.Contains(string(b[start:end]), "--hash")
}

// requirementLines returns the extent of the requirement at offset i: its
// line and the lines it continues onto with "\".
func requirementLines(b []byte, i int) (int, int) {
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
	return start, end
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
