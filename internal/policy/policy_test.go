package policy

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
)

func load(t *testing.T, name string) (*Policy, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(name, bytes.NewReader(b))
}

func TestParseErrors(t *testing.T) {
	for name, want := range map[string]string{
		"noreason.yaml": `noreason.yaml:2: ignore[0]: field "reason" is required`,
		"baddate.yaml":  `baddate.yaml:2: ignore[0]: field "expires": "next week" is not a date`,
		"unknown.yaml":  `unknown.yaml:1: unknown field "ignores"`,
		"broken.yaml":   `broken.yaml: line`,
		"badgo.yaml":    `badgo.yaml:2: field "go_version": "newest" is not a Go release`,
	} {
		_, err := load(t, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
}

// TestGoVersion: go_version names the site's Go toolchain; a number as YAML
// writes it ("1.20") keeps its digits.
func TestGoVersion(t *testing.T) {
	p, err := load(t, "goversion.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := (gomod.Options{GoVersion: "1.20.0"}); p.Go != want || len(p.Ignores) != 1 {
		t.Errorf("go_version: %+v (%d ignores), want %+v", p.Go, len(p.Ignores), want)
	}
	p, err = Parse("x.yaml", strings.NewReader("go_version: go-directive\n"))
	if err != nil || !p.Go.GoDirective {
		t.Errorf("go_version: go-directive: %+v, %v", p, err)
	}
	p, err = Parse("x.yaml", strings.NewReader("ignore: []\n"))
	if err != nil || p.Go != (gomod.Options{}) {
		t.Errorf("no go_version: %+v, %v", p, err)
	}
}

func vuln(id, path, name string, aliases ...string) finding.Finding {
	return finding.Finding{Kind: finding.KindVulnerability, ID: id, Aliases: aliases,
		Location: finding.Location{Path: path},
		Package:  &inventory.Package{Ecosystem: inventory.PyPI, Name: name, Version: "1.0"}}
}

func TestApply(t *testing.T) {
	p, err := load(t, "valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs := []finding.Finding{
		vuln("PYSEC-1", "a/go.mod", "x", "GHSA-aaaa-bbbb-cccc"),           // by alias, anywhere
		vuln("PYSEC-2", "svc/requirements.txt", "demo-pkg", "CVE-2020-1"), // package + path match
		vuln("PYSEC-3", "svc/requirements.txt", "other", "CVE-2020-1"),    // wrong package
		vuln("PYSEC-4", "svc/poetry.lock", "demo-pkg", "CVE-2020-1"),      // wrong path
		vuln("GO-2022-0969", "go.mod", "stdlib"),                          // expired ignore
	}
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	expired := p.Apply(fs, now)
	got := []bool{}
	for _, f := range fs {
		got = append(got, f.Ignored != nil)
	}
	want := []bool{true, true, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d (%s): ignored=%v, want %v", i, fs[i].ID, got[i], want[i])
		}
	}
	if fs[1].Ignored.Reason != "only the CLI uses it" || fs[1].Ignored.Expires == nil {
		t.Errorf("ignore = %+v", fs[1].Ignored)
	}
	if len(expired) != 1 || !strings.Contains(expired[0].String(), "valid.yaml:10: the ignore of GO-2022-0969 expired on 2025-01-01") {
		t.Errorf("expired = %v", expired)
	}
	// The day after the expiry date, the second ignore stops applying too.
	fs[1].Ignored = nil
	if exp := p.Apply(fs[:2], now.Add(2*time.Hour)); len(exp) != 2 || fs[1].Ignored != nil {
		t.Errorf("after expiry: %v %+v", exp, fs[1].Ignored)
	}
}

func TestMatchPath(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"go.mod", "go.mod", true},
		{"go.mod", "a/b/go.mod", true},
		{"a/go.mod", "b/a/go.mod", false},
		{"**/package-lock.json", "x/y/package-lock.json", true},
		{"**/package-lock.json", "package-lock.json", true},
		{"legacy", "legacy/x/go.mod", true},
		{"legacy/*", "legacy/go.mod", true},
		{"services/*/go.mod", "services/api/go.mod", true},
	} {
		if got := matchPath(c.pattern, c.path); got != c.want {
			t.Errorf("matchPath(%q, %q) = %v", c.pattern, c.path, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(".airlock.yaml", bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), ".airlock.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, ig := range p.Ignores {
			if ig.ID == "" || ig.Reason == "" {
				t.Fatalf("accepted an ignore without id or reason: %+v", ig)
			}
		}
		p.Apply([]finding.Finding{vuln("X", "a", "b")}, time.Now())
	})
}

// TestYAMLErrorWithoutGoTypes: decoder errors are told in the file's
// terms, never with Go type names.
func TestYAMLErrorWithoutGoTypes(t *testing.T) {
	for body, want := range map[string]string{
		"ignore: 5\n":        "x.yaml: line 1: found a number where a list of ignores is expected",
		"ignore:\n  - [a]\n": "x.yaml: line 2: found a list where an ignore (a mapping with id and reason) is expected",
		"ignore:\n  - id: {a: b}\n    reason: r\n": "x.yaml: line 2: found a mapping where a string is expected",
	} {
		_, err := Parse("x.yaml", strings.NewReader(body))
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
	var c struct {
		D time.Duration `yaml:"d"`
	}
	dec := yaml.NewDecoder(strings.NewReader("d: [1]\ne: 2\n"))
	dec.KnownFields(true)
	err := dec.Decode(&c)
	if got, want := YAMLError(err), `line 1: found a list where a duration such as 30s or 5m is expected; line 2: unknown key "e"`; got != want {
		t.Errorf("YAMLError = %q, want %q", got, want)
	}
}
