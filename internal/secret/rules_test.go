package secret

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The default rules' samples live in rules/testdata: <rule-id>.tp holds text
// the rule must find, <rule-id>.fp text no rule may find. A file holds one
// sample per non-empty line, or, when it contains a line that is exactly
// sampleSeparator, multi-line samples separated by such lines. A sample
// starting "@@ PATH @@ " is scanned as the file PATH (rules and allowlists
// can depend on it); others as config/<sample file name>.
const (
	rulesTestdata   = "rules/testdata"
	sampleSeparator = "~~~"
	minSamples      = 3
)

// sample is one piece of text from a sample file.
type sample struct {
	file string
	line int    // first line in the file
	path string // the path the text is scanned as
	text string
}

// newSample reads an optional "@@ PATH @@ " prefix.
func newSample(file string, line int, text string) sample {
	s := sample{file: file, line: line, path: "config/" + file, text: text}
	if rest, ok := strings.CutPrefix(text, "@@ "); ok {
		if p, t, ok := strings.Cut(rest, " @@ "); ok {
			s.path, s.text = p, t
		}
	}
	return s
}

func readSamples(t *testing.T, path string) []sample {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []sample
	if !slices.Contains(lines, sampleSeparator) {
		for i, l := range lines {
			if strings.TrimSpace(l) != "" {
				out = append(out, newSample(name, i+1, l))
			}
		}
		return out
	}
	start := 0
	flush := func(end int) {
		text := strings.Join(lines[start:end], "\n")
		if strings.TrimSpace(text) != "" {
			out = append(out, newSample(name, start+1, text))
		}
		start = end + 1
	}
	for i, l := range lines {
		if l == sampleSeparator {
			flush(i)
		}
	}
	flush(len(lines))
	return out
}

func defaultDetector(t *testing.T) (*Config, *Detector) {
	t.Helper()
	cfg := DefaultConfig()
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatalf("NewDetector(DefaultConfig()): %v", err)
	}
	return cfg, d
}

func detectSample(d *Detector, s sample) []Match {
	return d.Detect(Fragment{Path: s.path, Content: []byte(s.text), StartLine: 1})
}

// describe lists matches as "rule-id(redacted)" for failure messages; the
// secrets themselves stay out of test output.
func describe(ms []Match) string {
	if len(ms) == 0 {
		return "nothing"
	}
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.RuleID+"("+m.Redacted+")")
	}
	return strings.Join(parts, ", ")
}

func TestRulesSamples(t *testing.T) {
	cfg, d := defaultDetector(t)
	for _, r := range cfg.Rules {
		t.Run(r.ID, func(t *testing.T) {
			tp := readSamples(t, filepath.Join(rulesTestdata, r.ID+".tp"))
			fp := readSamples(t, filepath.Join(rulesTestdata, r.ID+".fp"))
			if len(tp) < minSamples {
				t.Errorf("%s.tp has %d samples, want at least %d", r.ID, len(tp), minSamples)
			}
			if len(fp) < minSamples {
				t.Errorf("%s.fp has %d samples, want at least %d", r.ID, len(fp), minSamples)
			}
			for _, s := range tp {
				got := detectSample(d, s)
				if !slices.ContainsFunc(got, func(m Match) bool { return m.RuleID == r.ID }) {
					t.Errorf("%s:%d: not detected by %s; found %s", s.file, s.line, r.ID, describe(got))
				}
			}
			for _, s := range fp {
				if got := detectSample(d, s); len(got) > 0 {
					t.Errorf("%s:%d: false positive: %s", s.file, s.line, describe(got))
				}
			}
		})
	}
}

func TestRulesWellFormed(t *testing.T) {
	cfg, _ := defaultDetector(t)
	if len(cfg.Rules) == 0 {
		t.Fatal("the default rule set is empty")
	}
	ids := map[string]bool{}
	validID := regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	for _, r := range cfg.Rules {
		if ids[r.ID] {
			t.Errorf("rule id %q is defined twice", r.ID)
		}
		ids[r.ID] = true
		if !validID.MatchString(r.ID) {
			t.Errorf("rule id %q: want lower-case words joined by hyphens", r.ID)
		}
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("rule %s has no description", r.ID)
		}
		if r.Severity == "" {
			t.Errorf("rule %s has no severity", r.ID)
		}
		if r.Regex == "" {
			t.Errorf("rule %s has no regex", r.ID)
		}
		if len(r.Keywords) == 0 {
			t.Errorf("rule %s has no keywords, so its regex would run on every file", r.ID)
		}
		for _, k := range r.Keywords {
			if k != strings.ToLower(k) {
				t.Errorf("rule %s: keyword %q is not lower case", r.ID, k)
			}
			if len(k) < 3 {
				t.Errorf("rule %s: keyword %q is too short to be selective", r.ID, k)
			}
		}
		if len(r.Tags) == 0 {
			t.Errorf("rule %s has no tags", r.ID)
		}
	}

	// Every sample file belongs to a rule.
	entries, err := os.ReadDir(rulesTestdata)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || (ext != ".tp" && ext != ".fp") {
			t.Errorf("%s/%s: only <rule-id>.tp and <rule-id>.fp files belong here", rulesTestdata, name)
			continue
		}
		if id := strings.TrimSuffix(name, ext); !ids[id] {
			t.Errorf("%s/%s: no default rule has id %q", rulesTestdata, name, id)
		}
	}
}

// TestRulesCiteSources checks that every rule in default.toml is preceded by
// a "# source:" comment naming the documentation it was written from.
func TestRulesCiteSources(t *testing.T) {
	lines := strings.Split(string(defaultTOML), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "[[rules]]" {
			continue
		}
		cited := false
		for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "# source: https://") {
				cited = true
			}
		}
		if !cited {
			t.Errorf("rules/default.toml:%d: [[rules]] without a \"# source: https://...\" comment above it", i+1)
		}
	}
}

// TestRulesBuiltinFalsePositives runs the placeholder, reference, checksum
// and UUID cases of issue 4 through the default rules: none may be reported.
func TestRulesBuiltinFalsePositives(t *testing.T) {
	_, d := defaultDetector(t)
	tests := []struct {
		name, path, content string
	}{
		{"xxxx token", "deploy/.env", "GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx"},
		{"xxxx password", "config/app.yml", "password: xxxxxxxxxxxxxxxx"},
		{"xxxx aws key", "ci/env.sh", "export AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"angle brackets", "README.md", "curl -H 'PRIVATE-TOKEN: <your_access_token>' https://gitlab.example.com/api/v4/projects"},
		{"angle brackets in assignment", "config/settings.py", `API_KEY = "<insert-api-key-here>"`},
		{"angle brackets in github token", "docs/setup.md", "export GITHUB_TOKEN=<ghp_your_token_here_0123456789abcdef>"},
		{"changeme", "docker-compose.yml", "      POSTGRES_PASSWORD: changeme123456"},
		{"changeme in URL", "config/database.yml", "url: postgres://app:changeme@db:5432/app"},
		{"REPLACE_ME", "terraform.tfvars", `api_token = "REPLACE_ME_WITH_A_REAL_TOKEN"`},
		{"REPLACE_ME secret", "k8s/secret.yaml", "  client_secret: REPLACE_ME"},
		{"example aws key id", "docs/aws.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"},
		{"example aws secret", "docs/aws.md", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"example token", "docs/tokens.md", "token: example-token-9f8e7d6c5b4a"},
		{"${VAR}", "deploy/app.env", "DATABASE_PASSWORD=${DATABASE_PASSWORD}"},
		{"${VAR} in URL", "deploy/app.env", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db.internal:5432/app"},
		{"$VAR", "scripts/deploy.sh", `curl -u "deploy:$DEPLOY_TOKEN_VALUE" https://registry.internal/v2/`},
		{"helm values", "chart/templates/secret.yaml", "  api-key: {{ .Values.apiKey | b64enc }}"},
		{"helm values quoted", "chart/templates/deployment.yaml", `          token: "{{ .Values.gitlab.runnerToken }}"`},
		{"github actions secret", ".github/workflows/ci.yml", "          GITLAB_TOKEN: ${{ secrets.GITLAB_TOKEN }}"},
		{"os.environ", "app/settings.py", `SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]`},
		{"os.environ.get", "app/settings.py", `API_TOKEN = os.environ.get("API_TOKEN", "")`},
		{"os.getenv", "app/config.py", `password = os.getenv("DB_PASSWORD")`},
		{"process.env", "src/config.js", "const apiKey = process.env.STRIPE_API_KEY;"},
		{"Go os.Getenv", "cmd/server/main.go", `	token := os.Getenv("GITLAB_TOKEN")`},
		{"go.sum", "go.sum", "github.com/google/go-cmp v0.7.0 h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8="},
		{"go.sum go.mod line", "go.sum", "github.com/google/go-cmp v0.7.0/go.mod h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8="},
		{"package-lock integrity", "package-lock.json", `      "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="`},
		{"package-lock resolved", "package-lock.json", `      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"`},
		{"yarn.lock checksum", "yarn.lock", "  checksum: 7ab2ad7ba6f0e97fa0c2d1a4c27bb9f6a5de2c3b1f4e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d"},
		{"uuid", "config/app.yml", "tenant_id: 3f2504e0-4f89-41d3-9a0c-0305e82c3301"},
		{"uuid as token", "config/app.yml", "auth_token: 7c9e6679-7425-40de-944b-e07fc1f90ae7"},
		{"uuid as secret", "src/ids.ts", `export const secretId = "f47ac10b-58cc-4372-a567-0e02b2c3d479";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Detect(Fragment{Path: tt.path, Content: []byte(tt.content), StartLine: 1})
			if len(got) > 0 {
				t.Errorf("%s: %q: false positive: %s", tt.path, tt.content, describe(got))
			}
		})
	}
}
