package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/config/*.toml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.toml", bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// A rule set that parses compiles, unless it only overrides rules of
		// a rule set it extends.
		if cfg.Extend.UseDefault || cfg.Extend.Path != "" {
			return
		}
		d, err := NewDetector(cfg)
		if err != nil {
			t.Fatalf("parsed but does not compile: %v", err)
		}
		d.Detect(Fragment{Path: "a.txt", Content: data})
	})
}

const fuzzRules = `
[[rules]]
id = "tok"
regex = '''\b(tok_[A-Za-z0-9]{16})\b'''
keywords = ["tok_"]

[[rules]]
id = "gen"
regex = '''(?i)(?:secret|token)\s*[:=]\s*["']?([^\s"']{6,})'''
keywords = ["secret", "token"]
entropy = 2.0
[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['fixture']
stopwords = ['test']

# Line-local with anchors ("api.key", "acc-key") that are not keywords.
[[rules]]
id = "local"
regex = '''(?i)(?:api|acc)[_.-]?key[ \t]*=[ \t]*"([^"\s]{6,})"'''
keywords = ["api_key", "acc_key"]

[[rules]]
id = "raw"
regex = '''pw=(\S{1,40})'''
keywords = ["pw="]
tags = ["no-builtin-allowlist"]

[[rules]]
id = "pem"
regex = '''-----BEGIN[ A-Z]*KEY-----[\s\S]{8,}?-----END[ A-Z]*KEY-----'''
keywords = ["-----begin"]

[[rules]]
id = "nokw"
regex = '''(?s)<<(.{8,20}?)>>'''

[[rules]]
id = "file"
path = '''\.key$'''

[allowlist]
stopwords = ["allowme"]
`

func FuzzDetect(f *testing.F) {
	d := mustDetector(f, fuzzRules)
	whole := mustDetector(f, fuzzRules)
	whole.whole = true
	files, _ := filepath.Glob("testdata/detect/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		line := 1
		if strings.HasSuffix(name, ".yaml") {
			line = 5 // scanned as a YAML file
		}
		f.Add(b, line)
	}
	f.Fuzz(func(t *testing.T, content []byte, startLine int) {
		path := "a.txt"
		switch {
		case startLine%7 == 0:
			path = "x.key"
		case startLine%5 == 0:
			path = "secret.yaml"
		}
		ms := d.Detect(Fragment{Path: path, Content: content, StartLine: startLine})
		if want := whole.Detect(Fragment{Path: path, Content: content, StartLine: startLine}); !reflect.DeepEqual(want, ms) {
			t.Fatalf("windowed scan found %s, whole %s", describe(ms), describe(want))
		}
		first := max(startLine, 1)
		for _, m := range ms {
			if m.RuleID == "file" {
				continue
			}
			if m.Secret == "" || !bytes.Contains(content, []byte(m.Secret)) && !inKubeValue(path, content, m.Secret) {
				t.Fatalf("%s: secret %q not in content", m.RuleID, m.Secret)
			}
			if m.StartLine < first || m.EndLine < m.StartLine || m.StartColumn < 1 || m.EndColumn < 1 {
				t.Fatalf("%s: bad position %d:%d-%d:%d", m.RuleID, m.StartLine, m.StartColumn, m.EndLine, m.EndColumn)
			}
			if len(m.Line) > maxEvidence || !utf8.ValidString(m.Line) || !utf8.ValidString(m.Redacted) {
				t.Fatalf("%s: bad evidence %q", m.RuleID, m.Line)
			}
			if n := utf8.RuneCountInString(strings.TrimSuffix(m.Redacted, "****")); n > 4 {
				t.Fatalf("%s: Redacted %q keeps %d characters", m.RuleID, m.Redacted, n)
			}
			ev, err := json.Marshal(m.Finding())
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) > maxSearchedSecrets {
				continue
			}
			for _, o := range ms {
				if len(o.Secret) < 8 {
					continue
				}
				if strings.Contains(m.Line, o.Secret) || strings.Contains(m.Redacted, o.Secret) {
					t.Fatalf("%s: evidence %q shows the secret of %s", m.RuleID, m.Line, o.RuleID)
				}
				if q, _ := json.Marshal(o.Secret); bytes.Contains(ev, q[1:len(q)-1]) {
					t.Fatalf("%s: finding %s shows the secret of %s", m.RuleID, ev, o.RuleID)
				}
			}
		}
	})
}

// FuzzKubeSecretValues: the Kubernetes Secret reader never panics, and
// every value it returns lies inside the input and decodes to what it says.
func FuzzKubeSecretValues(f *testing.F) {
	files, _ := filepath.Glob("testdata/kube/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		for _, kv := range kubeSecretValues("x.yaml", content) {
			if kv.start < 0 || kv.end > len(content) || kv.start >= kv.end {
				t.Fatalf("value %d..%d outside %d bytes", kv.start, kv.end, len(content))
			}
			enc := string(content[kv.start:kv.end])
			dec, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				dec, err = base64.RawStdEncoding.DecodeString(enc)
			}
			if err != nil || !bytes.Equal(dec, kv.decoded) {
				t.Fatalf("value %q is not the encoding of %q: %v", enc, kv.decoded, err)
			}
		}
	})
}

// inKubeValue reports whether a decoded value of a Kubernetes Secret in
// content holds secret.
func inKubeValue(path string, content []byte, secret string) bool {
	for _, kv := range kubeSecretValues(path, content) {
		if bytes.Contains(kv.decoded, []byte(secret)) {
			return true
		}
	}
	return false
}
