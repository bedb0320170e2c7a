package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
)

func mustDetector(t testing.TB, toml string) *Detector {
	t.Helper()
	cfg, err := ParseConfig("test.toml", strings.NewReader(toml))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func secrets(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.RuleID+"="+m.Secret)
	}
	return out
}

// assertRedacted checks that no field but Secret carries the secret, in the
// match and in its finding as JSON.
func assertRedacted(t *testing.T, ms []Match) {
	t.Helper()
	for _, m := range ms {
		if m.Secret == "" {
			continue
		}
		v := reflect.ValueOf(m)
		for i := 0; i < v.NumField(); i++ {
			name := v.Type().Field(i).Name
			if s, ok := v.Field(i).Interface().(string); ok && name != "Secret" && strings.Contains(s, m.Secret) {
				t.Errorf("%s: field %s = %q contains the secret", m.RuleID, name, s)
			}
		}
		b, err := json.Marshal(m.Finding())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(m.Secret)) {
			t.Errorf("%s: finding %s contains the secret", m.RuleID, b)
		}
		if n := len(strings.TrimSuffix(m.Redacted, "****")); n > 4 {
			t.Errorf("%s: Redacted %q keeps %d bytes", m.RuleID, m.Redacted, n)
		}
		for _, o := range ms {
			if o.Secret != "" && strings.Contains(m.Line, o.Secret) {
				t.Errorf("%s: Line %q contains the secret of %s", m.RuleID, m.Line, o.RuleID)
			}
		}
	}
}

const pipelineRules = `
[[rules]]
id = "tok"
description = "test token"
regex = '''\b(tok_[A-Za-z0-9]{16})\b'''
keywords = ["tok_"]

[[rules]]
id = "gated"
regex = '''bar[0-9]{8}'''
keywords = ["foo"]

[[rules]]
id = "ungated"
regex = '''ung_[a-z]{10}'''

[[rules]]
id = "group2"
regex = '''(user)=(\w+):(\w{10,})'''
secretGroup = 3
keywords = ["user="]

[[rules]]
id = "firstgroup"
regex = '''fg(?:-([a-z]+)|-([0-9]+))'''
keywords = ["fg-"]

[[rules]]
id = "entropy"
regex = '''ent=([!-~]{12,})'''
entropy = 3.5
keywords = ["ent="]

[[rules]]
id = "gen"
regex = '''(?i)secret\s*[:=]\s*["']?([^\s"']+)'''
keywords = ["secret"]

[[rules]]
id = "raw"
regex = '''(?i)raw\s*[:=]\s*["']?([^\s"']+)'''
keywords = ["raw"]
tags = ["no-builtin-allowlist"]

[[rules]]
id = "hex"
regex = '''\b([a-f0-9]{40,64})\b'''
keywords = ["a", "b", "c", "d", "e", "f"]
`

func TestPipeline(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	tests := []struct {
		name    string
		path    string
		content string
		want    []string
	}{
		{"keyword gate closed", "a.txt", "bar12345678", nil},
		{"keyword gate open, any case", "a.txt", "FOO bar12345678", []string{"gated=bar12345678"}},
		{"keyword-less rule runs", "a.txt", "ung_qwertyuiop", []string{"ungated=ung_qwertyuiop"}},
		{"secretGroup", "a.txt", "user=admin:Zq8xVb3nM2kL", []string{"group2=Zq8xVb3nM2kL"}},
		{"first non-empty group", "a.txt", "fg-8273619450", []string{"firstgroup=8273619450"}},
		{"no group: whole match", "a.txt", "tok_Ab3dEf6hIj9kLm2n", []string{"tok=tok_Ab3dEf6hIj9kLm2n"}},
		{"entropy too low", "a.txt", "ent=abababababab", nil},
		{"entropy enough", "a.txt", "ent=q7#Lm2!xZ9@v", []string{"entropy=q7#Lm2!xZ9@v"}},
		{"inline gitleaks:allow", "a.txt", "tok_Ab3dEf6hIj9kLm2n // gitleaks:allow", nil},
		{"inline airlock:allow", "a.txt", "# airlock:allow\nx tok_Ab3dEf6hIj9kLm2n # airlock:allow", nil},
		{"inline on another line", "a.txt", "# airlock:allow\ntok_Ab3dEf6hIj9kLm2n", []string{"tok=tok_Ab3dEf6hIj9kLm2n"}},

		{"placeholder xxxx", "a.txt", "secret = xxxxxxxxxxxx", nil},
		{"placeholder angle", "a.txt", "secret = <your-token>", nil},
		{"placeholder changeme", "a.txt", "secret: changeme123", nil},
		{"placeholder REPLACE_ME", "a.txt", "secret=REPLACE_ME", nil},
		{"placeholder example", "a.txt", "secret=AKIAIOSFODNN7EXAMPLE", nil},
		{"placeholder dummy", "a.txt", "secret=dummy-token-9f8e7d", nil},
		{"placeholder your_here", "a.txt", "secret=your_api_key_here", nil},
		{"placeholder masked", "a.txt", "secret=ab******", nil},
		{"repetitive same", "a.txt", "secret=aaaaaaaaaaaa", nil},
		{"repetitive ascending", "a.txt", "secret=abcdefghijk", nil},
		{"repetitive digits", "a.txt", "secret=1234567890", nil},
		{"repetitive after prefix", "a.txt", "tok_AAAAAAAAAAAAAAAA", nil},
		{"alternating runs", "a.txt", "secret=A1B2C3D4E5F6G7H8I9J0", nil},
		{"alternating runs lower case", "a.txt", "secret=a1b2c3d4e5f6g7h8", nil},
		{"alternating runs descending", "a.txt", "secret=Z9Y8X7W6V5U4T3S2R1Q0", nil},
		{"three runs interleaved", "a.txt", "secret=aA1bB2cC3dD4eE5", nil},
		{"repeated unit", "a.txt", "secret=Ab12Ab12Ab12Ab12", nil},
		{"repeated unit after prefix", "a.txt", "tok_x7Kqx7Kqx7Kqx7Kq", nil},
		{"alternating but random kept", "a.txt", "secret=A7K2Q9B4X1M8R3", []string{"gen=A7K2Q9B4X1M8R3"}},
		{"reference ${VAR}", "a.txt", "secret=${DB_PASSWORD}", nil},
		{"reference $VAR", "a.txt", "secret=$DB_PASSWORD", nil},
		{"reference $$VAR escape", "docker-compose.yml", "secret: $$DB_PASSWORD", nil},
		{"reference $${VAR} escape", "Makefile", "secret=$${DB_PASSWORD}", nil},
		{"reference helm", "a.txt", "secret: {{ .Values.db.password }}", nil},
		{"reference python format", "a.txt", "secret = %(db_password)s", nil},
		{"reference os.environ", "a.txt", `secret = os.environ["DB_PASSWORD"]`, nil},
		{"reference process.env", "a.txt", "secret = process.env.DB_PASSWORD", nil},
		{"reference ENV", "a.txt", `secret = ENV["DB_PASSWORD"]`, nil},
		{"uuid", "a.txt", "secret = 123e4567-e89b-12d3-a456-426614174000", nil},
		{"digest marker", "Dockerfile", "FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", nil},
		{"lockfile hex", "Cargo.lock", `checksum = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"`, nil},
		{"go.sum", "sub/go.sum", "golang.org/x/text v0.3.0 h1:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928=", nil},
		{"package-lock integrity", "package-lock.json", `"integrity": "secret=Zk3x9QmP2vL8rT5w"`, nil},
		{"hex outside lockfile kept", "main.go", "key 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c", []string{"hex=9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"}},
		{"real generic kept", "a.txt", "secret = Zk3x9QmP2vL8rT5w", []string{"gen=Zk3x9QmP2vL8rT5w"}},
		{"no-builtin-allowlist keeps placeholder", "a.txt", "raw = xxxxxxxxxxxx", []string{"raw=xxxxxxxxxxxx"}},
		{"no-builtin-allowlist keeps reference", "a.txt", "raw = ${DB_PASSWORD}", []string{"raw=${DB_PASSWORD}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Detect(Fragment{Path: tt.path, Content: []byte(tt.content)})
			if diff := cmp.Diff(tt.want, secrets(got)); diff != "" {
				t.Errorf("Detect(%q) (-want +got):\n%s", tt.content, diff)
			}
			assertRedacted(t, got)
		})
	}
}

func TestAllowlists(t *testing.T) {
	const rule = `
[[rules]]
id = "tok"
regex = '''tok_([A-Za-z0-9]{16})'''
keywords = ["tok_"]
`
	const secret = "tok_Ab3dEf6hIj9kLm2n"
	tests := []struct {
		name      string
		allowlist string // appended after the rule
		path      string
		commit    string
		line      string
		allowed   bool
	}{
		{"regex on secret", "[[rules.allowlists]]\nregexes = ['^Ab3d']", "a", "", secret, true},
		{"regex on secret misses the prefix", "[[rules.allowlists]]\nregexes = ['^tok_']", "a", "", secret, false},
		{"regex on match", "[[rules.allowlists]]\nregexTarget = 'match'\nregexes = ['^tok_Ab']", "a", "", secret, true},
		{"regex on line", "[[rules.allowlists]]\nregexTarget = 'line'\nregexes = ['FIXTURE']", "a", "", "x = " + secret + " # FIXTURE", true},
		{"stopword, any case", "[[rules.allowlists]]\nstopwords = ['HIJ9']", "a", "", secret, true},
		{"stopword absent", "[[rules.allowlists]]\nstopwords = ['nope']", "a", "", secret, false},
		{"path", "[[rules.allowlists]]\npaths = ['^test/']", "test/x.go", "", secret, true},
		{"path other", "[[rules.allowlists]]\npaths = ['^test/']", "src/x.go", "", secret, false},
		{"commit", "[[rules.allowlists]]\ncommits = ['abc123']", "a", "abc123", secret, true},
		{"commit other", "[[rules.allowlists]]\ncommits = ['abc123']", "a", "def456", secret, false},
		{"legacy rule allowlist", "[rules.allowlist]\nstopwords = ['kLm2']", "a", "", secret, true},
		{"OR: one criterion", "[[rules.allowlists]]\npaths = ['^test/']\nstopwords = ['kLm2']", "src/x.go", "", secret, true},
		{"AND: all hold", "[[rules.allowlists]]\ncondition = 'AND'\npaths = ['^test/']\nstopwords = ['kLm2']", "test/x.go", "", secret, true},
		{"AND: path fails", "[[rules.allowlists]]\ncondition = 'AND'\npaths = ['^test/']\nstopwords = ['kLm2']", "src/x.go", "", secret, false},
		{"AND: stopword fails", "[[rules.allowlists]]\ncondition = 'AND'\npaths = ['^test/']\nstopwords = ['zzz']", "test/x.go", "", secret, false},
		{"AND: commit and path", "[[rules.allowlists]]\ncondition = 'AND'\ncommits = ['abc123']\npaths = ['^test/']", "test/x.go", "abc123", secret, true},
		{"AND: commit missing", "[[rules.allowlists]]\ncondition = 'AND'\ncommits = ['abc123']\npaths = ['^test/']", "test/x.go", "", secret, false},
		{"global legacy", "[allowlist]\npaths = ['(?i)\\.MD$']", "README.md", "", secret, true},
		{"global array", "[[allowlists]]\nregexes = ['kLm2n$']", "a", "", secret, true},
		{"global targeting this rule", "[[allowlists]]\ntargetRules = ['tok']\nstopwords = ['kLm2']", "a", "", secret, true},
		{"global targeting another rule", "[[allowlists]]\ntargetRules = ['other']\nstopwords = ['kLm2']", "a", "", secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDetector(t, rule+tt.allowlist+"\n")
			got := d.Detect(Fragment{Path: tt.path, Commit: tt.commit, Content: []byte(tt.line)})
			if allowed := len(got) == 0; allowed != tt.allowed {
				t.Errorf("allowed = %v, want %v (matches %v)", allowed, tt.allowed, secrets(got))
			}
		})
	}
}

func TestLinesAndColumns(t *testing.T) {
	d := mustDetector(t, pipelineRules+`
[[rules]]
id = "pem"
regex = '''-----BEGIN TEST KEY-----[\s\S]{20,}?-----END TEST KEY-----'''
keywords = ["-----begin test key"]
`)
	content := "first\r\n" +
		"  tok_Ab3dEf6hIj9kLm2n\r\n" + // line 2, col 3..22
		"héllo tok_Zz9yXx8wVv7uTt6s\n" + // line 3, 'é' is 2 bytes: col 8..27
		"-----BEGIN TEST KEY-----\nMIIEowIBAAKCAQEAx4Zq\n-----END TEST KEY-----\n" // lines 4-6
	got := d.Detect(Fragment{Path: "k.txt", Content: []byte(content), StartLine: 40})
	type pos struct {
		Rule                   string
		SL, EL, SC, EC         int
		LineHasRedactedSecret  bool
		LineHasNoCarriageRetrn bool
	}
	var gotPos []pos
	for _, m := range got {
		gotPos = append(gotPos, pos{m.RuleID, m.StartLine, m.EndLine, m.StartColumn, m.EndColumn,
			strings.Contains(m.Line, m.Redacted), !strings.Contains(m.Line, "\r")})
	}
	want := []pos{
		{"tok", 41, 41, 3, 22, true, true},
		{"tok", 42, 42, 8, 27, true, true},
		{"pem", 43, 45, 1, 22, true, true},
	}
	if diff := cmp.Diff(want, gotPos); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	assertRedacted(t, got)

	// StartLine 0 means 1.
	got = d.Detect(Fragment{Path: "k.txt", Content: []byte("tok_Ab3dEf6hIj9kLm2n")})
	if len(got) != 1 || got[0].StartLine != 1 || got[0].StartColumn != 1 || got[0].EndColumn != 20 {
		t.Errorf("single line: %+v", got)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "****"},
		{"abc", "****"},
		{"abcdefg", "****"},
		{"abcdefgh", "ab****"},
		{"abcdefghijkl", "abc****"},
		{"ghp_0123456789abcdefghij0123456789abcdef", "ghp_****"},
		{"ééééééééééééééé€", "éééé****"},
		{"\xff\xfe\xfd\xfcabcdefghijkl", "\uFFFD****"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEvidence(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	// Two secrets on one line, the same one twice, and a long line.
	long := strings.Repeat("lorem ipsum ", 100)
	content := long + "tok_Ab3dEf6hIj9kLm2n and secret=Zk3x9QmP2vL8rT5w, again tok_Ab3dEf6hIj9kLm2n " + long
	got := d.Detect(Fragment{Path: "a.txt", Content: []byte(content)})
	if len(got) != 3 {
		t.Fatalf("got %v, want 3 matches", secrets(got))
	}
	assertRedacted(t, got)
	for _, m := range got {
		if len(m.Line) > maxEvidence {
			t.Errorf("Line is %d bytes, want at most %d", len(m.Line), maxEvidence)
		}
		if !strings.Contains(m.Line, m.Redacted) {
			t.Errorf("Line %q lacks %q", m.Line, m.Redacted)
		}
	}
	// Two rules on overlapping text.
	d2 := mustDetector(t, `
[[rules]]
id = "outer"
regex = '''key=([A-Za-z0-9]{24})'''
keywords = ["key="]
[[rules]]
id = "inner"
regex = '''(Q[A-Za-z0-9]{11})'''
keywords = ["q"]
`)
	got = d2.Detect(Fragment{Path: "a", Content: []byte("key=Zk3x9QmP2vL8Qr5wTy7uIo1p end")})
	if len(got) != 2 {
		t.Fatalf("got %v, want 2", secrets(got))
	}
	assertRedacted(t, got)
}

func TestFingerprintAndFinding(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	a := d.Detect(Fragment{Path: "a.txt", Content: []byte("tok_Ab3dEf6hIj9kLm2n")})
	b := d.Detect(Fragment{Path: "a.txt", Content: []byte("\n\n  tok_Ab3dEf6hIj9kLm2n"), Commit: "c1"})
	c := d.Detect(Fragment{Path: "b.txt", Content: []byte("tok_Ab3dEf6hIj9kLm2n")})
	if a[0].Fingerprint != b[0].Fingerprint {
		t.Error("fingerprint changes with the line")
	}
	if a[0].Fingerprint == c[0].Fingerprint {
		t.Error("fingerprint ignores the path")
	}
	date := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	m := d.Detect(Fragment{Path: "p.go", Content: []byte("x\ntok_Ab3dEf6hIj9kLm2n"), Commit: "c0ffee", Author: "A", Email: "a@x", Date: date})[0]
	if m.Commit != "c0ffee" || m.Author != "A" || m.Email != "a@x" || !m.Date.Equal(date) {
		t.Errorf("commit fields not carried: %+v", m)
	}
	want := finding.Finding{
		Kind:        finding.KindSecret,
		ID:          "tok",
		Severity:    finding.High,
		Title:       "test token",
		Evidence:    "tok_****",
		Location:    finding.Location{Path: "p.go", StartLine: 2, StartColumn: 1, EndColumn: 20, Commit: "c0ffee"},
		Fingerprint: m.Fingerprint,
	}
	if diff := cmp.Diff(want, m.Finding()); diff != "" {
		t.Errorf("Finding (-want +got):\n%s", diff)
	}
}

func TestBinaryAndPathRules(t *testing.T) {
	d := mustDetector(t, pipelineRules+`
[[rules]]
id = "keystore"
description = "keystore file"
path = '''\.p12$'''
severity = "medium"
`)
	bin := []byte("tok_Ab3dEf6hIj9kLm2n\x00\x01")
	if got := d.Detect(Fragment{Path: "a.bin", Content: bin}); len(got) != 0 {
		t.Errorf("binary content: %v", secrets(got))
	}
	got := d.Detect(Fragment{Path: "certs/x.p12", Content: bin})
	if len(got) != 1 || got[0].RuleID != "keystore" || got[0].Severity != finding.Medium || got[0].StartLine != 0 {
		t.Errorf("path rule: %+v", got)
	}
	// NUL after the first 8 KiB is text.
	late := append(bytes.Repeat([]byte("a "), 5000), []byte("\x00 tok_Ab3dEf6hIj9kLm2n")...)
	if got := d.Detect(Fragment{Path: "a", Content: late}); len(got) != 1 {
		t.Errorf("late NUL: %v", secrets(got))
	}
	st := d.Stats()
	if st.Fragments != 3 || st.Binary != 2 || st.Matches != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestBadInput(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	// Invalid UTF-8 before and around a secret.
	got := d.Detect(Fragment{Path: "a", Content: []byte("\xff\xfe\xc3 x tok_Ab3dEf6hIj9kLm2n \xe2\x82")})
	if diff := cmp.Diff([]string{"tok=tok_Ab3dEf6hIj9kLm2n"}, secrets(got)); diff != "" {
		t.Errorf("invalid UTF-8 (-want +got):\n%s", diff)
	}
	assertRedacted(t, got)

	// A 10 MB single line with keywords everywhere and a secret at the end.
	var b bytes.Buffer
	for b.Len() < 10<<20 {
		b.WriteString("secret tok_ user= ent= fg- ")
	}
	b.WriteString("secret=Zk3x9QmP2vL8rT5w")
	got = d.Detect(Fragment{Path: "big.min.js", Content: b.Bytes()})
	if diff := cmp.Diff([]string{"gen=Zk3x9QmP2vL8rT5w"}, secrets(got)); diff != "" {
		t.Errorf("huge line (-want +got):\n%s", diff)
	}
	if len(got) == 1 && len(got[0].Line) > maxEvidence {
		t.Errorf("evidence of %d bytes", len(got[0].Line))
	}

	// Many matches on one huge line (the time it takes is measured by
	// BenchmarkDetectLongLine, not here).
	got = d.Detect(Fragment{Path: "many", Content: manyMatchesLine(1 << 20)})
	if len(got) < 45000 {
		t.Errorf("many matches: got %d", len(got))
	}
}

// manyMatchesLine is one line of about n bytes holding a distinct pipeline
// token every 21 bytes.
func manyMatchesLine(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "tok_%016x ", uint64(i)*0x9e3779b97f4a7c15)
	}
	return b.Bytes()
}

func TestConcurrentDetect(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	inputs := []string{
		"secret = Zk3x9QmP2vL8rT5w\ntok_Ab3dEf6hIj9kLm2n",
		"FOO bar12345678 ung_qwertyuiop",
		"user=admin:Zq8xVb3nM2kL # airlock:allow",
		"nothing here at all",
		"key 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c",
	}
	want := make([][]Match, len(inputs))
	for i, in := range inputs {
		want[i] = d.Detect(Fragment{Path: "f", Content: []byte(in), StartLine: i + 1})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				i := r.IntN(len(inputs))
				got := d.Detect(Fragment{Path: "f", Content: []byte(inputs[i]), StartLine: i + 1})
				if diff := cmp.Diff(want[i], got); diff != "" {
					select {
					case errs <- diff:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for diff := range errs {
		t.Errorf("concurrent Detect differs (-want +got):\n%s", diff)
	}
}

func TestKeywordMatcher(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "abcAB_-é"
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 300 {
		var kws []string
		for range 1 + r.IntN(8) {
			kws = append(kws, word(1+r.IntN(4)))
		}
		text := word(r.IntN(60))
		if r.IntN(2) == 0 {
			// Long enough for the four-stream scan.
			text = word(300 + r.IntN(3000))
		}
		m := newKeywordMatcher(kws)
		located := r.IntN(2) == 0
		if located {
			m.locate([]int32{0})
		}
		hit := make([]bool, len(kws))
		var occ []occurrence
		m.scan([]byte(text), hit, &occ)
		lower := lowerASCIIString(text)
		for i, kw := range kws {
			if want := strings.Contains(lower, lowerASCIIString(kw)); hit[i] != want {
				t.Fatalf("keywords %q text %q: hit[%q] = %v, want %v", kws, text, kw, hit[i], want)
			}
		}
		// Every occurrence of a located keyword is reported by the offset
		// of its last byte, and nothing else is.
		var want, got []int
		if located {
			kw := lowerASCIIString(kws[0])
			for i := 0; i+len(kw) <= len(lower); i++ {
				if lower[i:i+len(kw)] == kw {
					want = append(want, i+len(kw)-1)
				}
			}
		}
		for _, o := range occ {
			if o.id != 0 {
				t.Fatalf("keywords %q: occurrence of unlocated keyword %d", kws, o.id)
			}
			got = append(got, o.at)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("keywords %q text %q: occurrences of %q (-want +got):\n%s", kws, text, kws[0], diff)
		}
	}
}

// TestKeywordMatcherCuts puts one keyword at every offset of a long text, so
// that some occurrences straddle the cuts between the scan's streams.
func TestKeywordMatcherCuts(t *testing.T) {
	m := newKeywordMatcher([]string{"other", "NeedleKW"})
	m.locate([]int32{1})
	text := bytes.Repeat([]byte("z"), 1203)
	for at := 0; at+8 <= len(text); at++ {
		b := bytes.Clone(text)
		copy(b[at:], "nEEDLEkw")
		hit := make([]bool, 2)
		var occ []occurrence
		if n := m.scan(b, hit, &occ); n != 1 || !hit[1] {
			t.Fatalf("keyword at %d: found %d, hit %v", at, n, hit)
		}
		if len(occ) == 0 || slices.ContainsFunc(occ, func(o occurrence) bool { return o.at != at+7 }) {
			t.Fatalf("keyword at %d: occurrences %v", at, occ)
		}
	}
}

func TestShannon(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{{"", 0}, {"aaaa", 0}, {"abab", 1}, {"abcd", 2}, {"0123456789abcdef", 4}} {
		if got := shannon([]byte(tt.in)); got != tt.want {
			t.Errorf("shannon(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestGenericYieldsToSpecific: one credential is one finding, under the
// rule that knows its format, even when a generic assignment rule also
// matches it; a generic match elsewhere in the fragment stays.
func TestGenericYieldsToSpecific(t *testing.T) {
	d, err := NewDetector(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	content := "AWS_ACCESS_KEY_ID=AKIAZ7QF4TRW2MKX9BVN\n" +
		"token = \"ghp_Q7rT2xK9mB4vN8cL1zP6wS3dF5gH0jYuE2aR\"\n" +
		"api_secret = \"q8Zt3Lw9Xv2Rk7Yp4Mn6Bc1Jd5Hs0Fg\"\n"
	var got []string
	for _, m := range d.Detect(Fragment{Path: ".env", Content: []byte(content), StartLine: 1}) {
		got = append(got, fmt.Sprintf("%s:%d", m.RuleID, m.StartLine))
	}
	want := []string{"aws-access-key-id:1", "github-pat:2", "generic-secret:3"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("matches %v, want %v", got, want)
	}
}

// fakeStripeKey is a synthetic live Stripe secret key; not real.
const fakeStripeKey = "sk_live_51Hx7QmK3vT9pL2wR8nY4cZ6bD1fG5hJ0kM"

// minifiedBundle is about n bytes of minified JavaScript on one line with
// keyword-rich code and a live key near its end.
func minifiedBundle(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n-100; i++ {
		fmt.Fprintf(&b, `var t%d=function(e){return e.token||e.apiKey||fetch("/api/%d",{headers:{Authorization:"Bearer "+e.secret}})};`, i, i)
	}
	b.WriteString(`var cfg={stripe:"` + fakeStripeKey + `"};`)
	return b.Bytes()
}

// TestSameSecretTwice: the same secret twice in one file is two findings,
// at their own lines, with distinct fingerprints that do not change when
// the occurrences move.
func TestSameSecretTwice(t *testing.T) {
	d := mustDetector(t, pipelineRules)
	const tok = "tok_Ab3dEf6hIj9kLm2n"
	a := d.Detect(Fragment{Path: "a.txt", Content: []byte("x = " + tok + "\ny\nz = " + tok + "\n")})
	if len(a) != 2 || a[0].StartLine != 1 || a[1].StartLine != 3 || a[0].Fingerprint == a[1].Fingerprint {
		t.Fatalf("got %+v", a)
	}
	if a[0].Occurrence != 1 || a[1].Occurrence != 2 || a[0].Fingerprint != Fingerprint("tok", "a.txt", tok, 1) {
		t.Errorf("occurrences %d, %d; first fingerprint %s", a[0].Occurrence, a[1].Occurrence, a[0].Fingerprint)
	}
	// Lines moved and added: the same two fingerprints.
	b := d.Detect(Fragment{Path: "a.txt", Content: []byte("new\nnew\nz = " + tok + "\nx = " + tok + "\n")})
	fps := func(ms []Match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Fingerprint)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(fps(a), fps(b)); diff != "" {
		t.Errorf("fingerprints changed with the lines (-before +after):\n%s", diff)
	}
	// A single occurrence keeps the fingerprint it always had.
	one := d.Detect(Fragment{Path: "a.txt", Content: []byte(tok)})
	if len(one) != 1 || one[0].Fingerprint != a[0].Fingerprint {
		t.Errorf("single occurrence: %+v", one)
	}
}
