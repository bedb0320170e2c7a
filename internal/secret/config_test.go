package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfigShapes(t *testing.T) {
	f, err := os.Open("testdata/config/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseConfig(".gitleaks.toml", f)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Title: "team rules",
		Extend: Extend{
			UseDefault:    true,
			DisabledRules: []string{"generic-password"},
		},
		Rules: []Rule{
			{
				ID:          "internal-token",
				Description: "Internal service token",
				Regex:       `(?i)\b(itk_[a-z0-9]{32})\b`,
				SecretGroup: 1,
				Entropy:     3.5,
				Keywords:    []string{"itk_"},
				Tags:        []string{"internal", "token"},
				Severity:    "critical",
				Allowlists: []Allowlist{
					{Condition: "OR", Regexes: []string{`itk_0{32}`}, RegexTarget: "secret", StopWords: []string{"sample"}},
					{Description: "fixtures", Condition: "AND", Paths: []string{`^testdata/`}, Regexes: []string{`fixture`}, RegexTarget: "line"},
				},
			},
			{
				ID:          "keystore",
				Description: "Java keystore file",
				Path:        `\.(?:jks|p12)$`,
			},
		},
		Allowlists: []Allowlist{
			{Description: "legacy global", Condition: "OR", Paths: []string{`(?:^|/)vendor/`, `\.min\.js$`}, Commits: []string{"0123abcd"}, RegexTarget: "secret"},
			{Condition: "OR", StopWords: []string{"notasecret"}, RegexTarget: "match", TargetRules: []string{"internal-token"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseConfig (-want +got):\n%s", diff)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, toml, want string
	}{
		{
			name: "bad regex",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\n\n[[rules]]\nid = \"b\"\nkeywords = [\n  \"k\",\n]\nregex = '''(unclosed'''\n",
			want: `x.toml:10: rules[1] (id "b"): field "regex": error parsing regexp: missing closing )`,
		},
		{
			name: "lookahead",
			toml: "[[rules]]\nid = \"la\"\nregex = '''foo(?=bar)'''\n",
			want: `x.toml:3: rules[0] (id "la"): field "regex": lookaround "(?=...)" is not supported by RE2`,
		},
		{
			name: "unknown rule field",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules]]\nid = \"b\"\nregex = 'y'\nsecretgrop = 1\n",
			want: `x.toml:7: rules[1] (id "b"): unknown field "secretgrop"`,
		},
		{
			name: "unknown top-level field",
			toml: "title = \"t\"\nverbose = true\n",
			want: `x.toml:2: unknown field "verbose"`,
		},
		{
			name: "unknown allowlist field",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.allowlists]]\nregexes = ['y']\ntarget = 'line'\n",
			want: `x.toml:6: rules[0] (id "a").allowlists[0]: unknown field "target"`,
		},
		{
			name: "bad severity",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\nseverity = \"urgent\"\n",
			want: `x.toml:4: rules[0] (id "a"): field "severity": "urgent" is not one of`,
		},
		{
			name: "secret group out of range",
			toml: "[[rules]]\nid = \"a\"\nregex = '(x)'\nsecretGroup = 2\n",
			want: `x.toml:4: rules[0] (id "a"): field "secretGroup": 2 is more than the 1 groups`,
		},
		{
			name: "missing id",
			toml: "[[rules]]\nregex = 'x'\n",
			want: `x.toml:1: rules[0]: field "id": required`,
		},
		{
			name: "no regex nor path",
			toml: "[[rules]]\nid = \"a\"\n",
			want: `x.toml:1: rules[0] (id "a"): a rule needs "regex", "path" or both`,
		},
		{
			name: "bad condition",
			toml: "[allowlist]\ncondition = \"XOR\"\npaths = ['a']\n",
			want: `x.toml:2: allowlist: field "condition": "XOR" is not OR or AND`,
		},
		{
			name: "bad regex target",
			toml: "[[allowlists]]\nregexTarget = \"file\"\nregexes = ['a']\n",
			want: `x.toml:2: allowlists[0]: field "regexTarget": "file" is not secret, match or line`,
		},
		{
			name: "empty allowlist",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\n[rules.allowlist]\ndescription = \"nothing\"\n",
			want: `x.toml:4: rules[0] (id "a") allowlist: an allowlist needs commits, paths, regexes or stopwords`,
		},
		{
			name: "bad allowlist path",
			toml: "[allowlist]\npaths = [\n  '''ok''',\n  '''[bad''',\n]\n",
			want: `x.toml:2: allowlist: field "paths": error parsing regexp: missing closing ]`,
		},
		{
			name: "empty stop word",
			toml: "[[allowlists]]\nstopwords = [\"\"]\n",
			want: `x.toml:2: allowlists[0]: field "stopwords": an empty stop word would allow every secret`,
		},
		{
			name: "extend url",
			toml: "[extend]\nurl = \"https://example.com/rules.toml\"\n",
			want: `x.toml:2: extend: field "url": airlock works offline`,
		},
		{
			name: "composite rule",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\n[[rules.required]]\nid = \"b\"\n",
			want: `x.toml:4: rules[0] (id "a"): field "required": composite rules are not supported`,
		},
		{
			name: "toml syntax",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x\n",
			want: `x.toml:3: `,
		},
		{
			name: "wrong type",
			toml: "[[rules]]\nid = \"a\"\nregex = 'x'\nentropy = \"high\"\n",
			want: `x.toml:`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("x.toml", strings.NewReader(tt.toml))
			if err == nil {
				t.Fatalf("ParseConfig: no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig error:\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ruleIDs(c *Config) []string {
	var ids []string
	for _, r := range c.Rules {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestLoadConfigExtend(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shared", "base.toml"), `
title = "base"
[[rules]]
id = "base-a"
regex = 'aaa(\d+)'
keywords = ["aaa"]
[[rules]]
id = "base-b"
regex = 'bbb'
[allowlist]
paths = ['^vendor/']
`)
	writeFile(t, filepath.Join(dir, ".gitleaks.toml"), `
[extend]
useDefault = true
path = "shared/base.toml"
disabledRules = ["base-b", "private-key"]

[[rules]]
id = "base-a"
description = "overridden"
entropy = 2.0
keywords = ["zzz"]

[[rules]]
id = "own"
regex = 'own[0-9]{8}'
`)
	cfg, err := LoadConfig(filepath.Join(dir, ".gitleaks.toml"))
	if err != nil {
		t.Fatal(err)
	}
	ids := ruleIDs(cfg)
	for _, want := range []string{"aws-access-key-id", "base-a", "own"} {
		if !strings.Contains(strings.Join(ids, ","), want) {
			t.Errorf("rules %v lack %q", ids, want)
		}
	}
	for _, gone := range []string{"base-b", "private-key"} {
		for _, id := range ids {
			if id == gone {
				t.Errorf("disabled rule %q still present", gone)
			}
		}
	}
	var a Rule
	for _, r := range cfg.Rules {
		if r.ID == "base-a" {
			a = r
		}
	}
	want := Rule{ID: "base-a", Description: "overridden", Regex: `aaa(\d+)`, Entropy: 2.0, Keywords: []string{"aaa", "zzz"}}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("merged rule (-want +got):\n%s", diff)
	}
	if len(cfg.Allowlists) != len(DefaultConfig().Allowlists)+1 {
		t.Errorf("global allowlists: got %d, want the default's plus one", len(cfg.Allowlists))
	}
	if _, err := NewDetector(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigNoExtend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	writeFile(t, p, "[[rules]]\nid = \"only\"\nregex = 'x{8}'\n")
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"only"}, ruleIDs(cfg)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func TestLoadConfigCycle(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.toml"), "[extend]\npath = \"b.toml\"\n")
	writeFile(t, filepath.Join(dir, "b.toml"), "[extend]\npath = \"a.toml\"\n")
	_, err := LoadConfig(filepath.Join(dir, "a.toml"))
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("LoadConfig: got %v, want a cycle error", err)
	}
}

func TestLoadConfigMissing(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("LoadConfig: got %v, want an error naming the file", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	a := DefaultConfig()
	if len(a.Rules) == 0 {
		t.Fatal("no default rules")
	}
	if _, err := NewDetector(a); err != nil {
		t.Fatal(err)
	}
	a.Rules[0].Keywords = append(a.Rules[0].Keywords, "mutated")
	a.Rules = a.Rules[:0]
	b := DefaultConfig()
	if len(b.Rules) == 0 || strings.Contains(strings.Join(b.Rules[0].Keywords, ","), "mutated") {
		t.Error("DefaultConfig returned shared state")
	}
}

func TestNewDetectorErrors(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{"lookbehind", Rule{ID: "lb", Regex: `(?<!x)y`}, `rule "lb": regex: lookaround`},
		{"backreference", Rule{ID: "br", Regex: `(a)\1`}, `rule "br": regex:`},
		{"secret group", Rule{ID: "sg", Regex: `a(b)`, SecretGroup: 3}, `rule "sg": secretGroup 3`},
		{"severity", Rule{ID: "sv", Regex: `a`, Severity: "severe"}, `rule "sv": severity`},
		{"path", Rule{ID: "p", Path: `[`}, `rule "p": path`},
		{"empty", Rule{ID: "e"}, `rule "e": needs a regex`},
		{"allowlist", Rule{ID: "al", Regex: `a`, Allowlists: []Allowlist{{Regexes: []string{`(`}}}}, `rule "al": allowlist 0: regexes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDetector(&Config{Rules: []Rule{tt.rule}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewDetector: got %v, want %q", err, tt.want)
			}
		})
	}
}
