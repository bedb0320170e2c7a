// Package policy reads a repository's .airlock.yaml and applies it to
// findings: ignores with a mandatory reason, optionally limited to one
// package or path, optionally expiring. An expired ignore stops applying and
// says so.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
)

// FileName is the configuration file read at the root of a scanned tree.
const FileName = ".airlock.yaml"

// Policy is a parsed configuration file.
type Policy struct {
	// Source names the file it came from.
	Source  string
	Ignores []Ignore
	// Go is the go_version setting: the release of the Go toolchain that
	// builds the repository's modules, or "go-directive" (see
	// gomod.ParseGoVersion). The --go-version flag wins over it.
	Go gomod.Options
	// Risk and Licenses are the "risk:" and "licenses:" sections, which
	// the risk and license analyzers read (nil when absent).
	Risk, Licenses *yaml.Node
}

// Ignore suppresses one vulnerability (by any of its ids).
type Ignore struct {
	// ID is a vulnerability id or alias (GHSA-..., CVE-..., GO-...).
	ID string `yaml:"id"`
	// Reason is mandatory.
	Reason string `yaml:"reason"`
	// Package limits the ignore to one package name (as the manifest spells
	// it, compared the way the ecosystem compares names).
	Package string `yaml:"package,omitempty"`
	// Path limits the ignore to manifests matching a slash-separated glob
	// ("services/api/go.mod", "**/package-lock.json", "legacy/*").
	Path string `yaml:"path,omitempty"`
	// Expires is a date (YYYY-MM-DD); from the day after it, the ignore no
	// longer applies.
	Expires string `yaml:"expires,omitempty"`

	line    int
	expires time.Time
}

type file struct {
	Version   int       `yaml:"version"`
	Ignore    []Ignore  `yaml:"ignore"`
	GoVersion string    `yaml:"go_version"`
	Risk      yaml.Node `yaml:"risk"`
	Licenses  yaml.Node `yaml:"licenses"`
}

// Parse reads a configuration. Errors name the file, the line and the field.
func Parse(name string, r io.Reader) (*Policy, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &Policy{Source: name}
	if len(bytes.TrimSpace(b)) == 0 {
		return p, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return p, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the file must be a mapping with an \"ignore\" list", name, doc.Line)
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k := doc.Content[i]
		switch k.Value {
		case "version", "ignore", "go_version":
		case "risk":
			p.Risk = doc.Content[i+1]
		case "licenses":
			p.Licenses = doc.Content[i+1]
		default:
			return nil, fmt.Errorf("%s:%d: unknown field %q (known: version, ignore, go_version, risk, licenses)", name, k.Line, k.Value)
		}
	}
	var f file
	if err := doc.Decode(&f); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, YAMLError(te))
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Version > 1 {
		return nil, fmt.Errorf("%s: version %d is newer than this airlock understands (1)", name, f.Version)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "ignore":
			list = doc.Content[i+1]
		case "go_version":
			if p.Go, err = gomod.ParseGoVersion(f.GoVersion); err != nil {
				return nil, fmt.Errorf("%s:%d: field \"go_version\": %w", name, doc.Content[i+1].Line, err)
			}
		}
	}
	for i := range f.Ignore {
		ig := &f.Ignore[i]
		ig.line = list.Content[i].Line
		if err := ig.validate(list.Content[i]); err != nil {
			return nil, fmt.Errorf("%s:%d: ignore[%d]: %w", name, ig.line, i, err)
		}
	}
	p.Ignores = f.Ignore
	return p, nil
}

// yamlTypeError matches the YAML decoder's "line 3: cannot unmarshal !!seq
// into string", and yamlUnknownField its "line 1: field x not found in type
// main.config": both name Go types.
var (
	yamlTypeError    = regexp.MustCompile("^(line \\d+): cannot unmarshal !!(\\w+)(?: `[^`]*`)? into (\\S+)$")
	yamlUnknownField = regexp.MustCompile(`^(line \d+): field (\S+) not found in type .+$`)
)

// YAMLError renders an error of the YAML decoder in the file's terms,
// without the Go type names it carries: "line 2: found a list where a
// string is expected", "line 1: unknown key \"listen\"". Syntax errors
// lose their "yaml: " prefix.
func YAMLError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
			msgs[i] = fmt.Sprintf("%s: unknown key %q", m[1], m[2])
			continue
		}
		msgs[i] = plainTypeError(e)
	}
	return strings.Join(msgs, "; ")
}

// goTypeWords says in the file's terms what a Go type of this package
// expects.
var goTypeWords = map[string]string{
	"string":          "a string",
	"int":             "a whole number",
	"int64":           "a whole number",
	"bool":            "true or false",
	"time.Duration":   "a duration such as 30s or 5m",
	"[]policy.Ignore": "a list of ignores",
	"policy.Ignore":   "an ignore (a mapping with id and reason)",
}

var yamlKinds = map[string]string{"seq": "a list", "map": "a mapping", "str": "a string", "int": "a number", "float": "a number", "bool": "true or false", "null": "nothing"}

// plainTypeError rewrites a YAML type error without Go type names: "line
// 2: found a list where a string is expected".
func plainTypeError(msg string) string {
	m := yamlTypeError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	got, want := yamlKinds[m[2]], goTypeWords[m[3]]
	if got == "" {
		got = "a value of type " + m[2]
	}
	if want == "" {
		want = "another kind of value"
	}
	return fmt.Sprintf("%s: found %s where %s is expected", m[1], got, want)
}

func (ig *Ignore) validate(n *yaml.Node) error {
	known := map[string]bool{"id": true, "reason": true, "package": true, "path": true, "expires": true}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if !known[n.Content[i].Value] {
			return fmt.Errorf("unknown field %q (known: id, reason, package, path, expires)", n.Content[i].Value)
		}
	}
	ig.ID = strings.TrimSpace(ig.ID)
	ig.Reason = strings.TrimSpace(ig.Reason)
	switch {
	case ig.ID == "":
		return errors.New(`field "id" is required (a vulnerability id such as GHSA-xxxx-xxxx-xxxx or CVE-2024-1234)`)
	case ig.Reason == "":
		return fmt.Errorf(`field "reason" is required: say why %s does not apply`, ig.ID)
	}
	if ig.Path != "" {
		if _, err := path.Match(strings.ReplaceAll(ig.Path, "**/", ""), ""); err != nil {
			return fmt.Errorf("field \"path\": bad pattern %q: %w", ig.Path, err)
		}
	}
	if ig.Expires != "" {
		t, err := time.Parse(time.DateOnly, ig.Expires)
		if err != nil {
			return fmt.Errorf("field \"expires\": %q is not a date (YYYY-MM-DD)", ig.Expires)
		}
		ig.expires = t
	}
	return nil
}

// Expired reports whether the ignore no longer applies at now: an ignore
// that expires on a date applies through the whole of that day (UTC).
func (ig *Ignore) Expired(now time.Time) bool {
	return !ig.expires.IsZero() && !now.UTC().Before(ig.expires.AddDate(0, 0, 1))
}

func (ig *Ignore) matches(f *finding.Finding) bool {
	idOK := false
	for _, id := range f.IDs() {
		if strings.EqualFold(id, ig.ID) {
			idOK = true
			break
		}
	}
	if !idOK {
		return false
	}
	if ig.Package != "" {
		if f.Package == nil || inventory.NormalizeName(f.Package.Ecosystem, f.Package.Name) != inventory.NormalizeName(f.Package.Ecosystem, ig.Package) {
			return false
		}
	}
	if ig.Path != "" && !matchPath(ig.Path, f.Location.Path) {
		return false
	}
	return true
}

// matchPath matches a slash-separated glob as .gitignore does: a leading
// "**/" matches any number of directories, a pattern without a slash
// matches a file or directory name at any depth, and a pattern naming a
// directory matches everything below it.
func matchPath(pattern, p string) bool {
	if ok, _ := path.Match(pattern, p); ok {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "**/"); ok {
		for q := p; ; {
			if m, _ := path.Match(rest, q); m {
				return true
			}
			i := strings.IndexByte(q, '/')
			if i < 0 {
				return false
			}
			q = q[i+1:]
		}
	}
	if !strings.Contains(pattern, "/") {
		for _, seg := range strings.Split(p, "/") {
			if ok, _ := path.Match(pattern, seg); ok {
				return true
			}
		}
		return false
	}
	dir := strings.TrimSuffix(pattern, "/")
	return strings.HasPrefix(p, dir+"/")
}

// Expiry is an ignore that has expired and no longer applies.
type Expiry struct {
	Source string
	Line   int
	ID     string
	On     string
}

func (e Expiry) String() string {
	return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Message())
}

// Message is String without the file and line.
func (e Expiry) Message() string {
	return fmt.Sprintf("the ignore of %s expired on %s and no longer applies", e.ID, e.On)
}

// Apply marks the findings that an unexpired ignore covers and returns the
// ignores that have expired. A nil policy changes nothing.
func (p *Policy) Apply(fs []finding.Finding, now time.Time) []Expiry {
	if p == nil {
		return nil
	}
	var expired []Expiry
	for i := range p.Ignores {
		ig := &p.Ignores[i]
		if ig.Expired(now) {
			expired = append(expired, Expiry{Source: p.Source, Line: ig.line, ID: ig.ID, On: ig.Expires})
			continue
		}
		for j := range fs {
			if fs[j].Ignored == nil && ig.matches(&fs[j]) {
				ign := &finding.Ignore{Reason: ig.Reason, Source: p.Source}
				if !ig.expires.IsZero() {
					t := ig.expires
					ign.Expires = &t
				}
				fs[j].Ignored = ign
			}
		}
	}
	return expired
}
