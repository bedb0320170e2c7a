package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wholeDetector is the reference the windowed scan must agree with: every
// regex over the whole fragment, as before line-local rules existed.
func wholeDetector(t testing.TB, cfg *Config) *Detector {
	t.Helper()
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.whole = true
	return d
}

// sameMatches fails when the windowed and whole detectors disagree on f.
func sameMatches(t *testing.T, windowed, whole *Detector, f Fragment) {
	t.Helper()
	want, got := whole.Detect(f), windowed.Detect(f)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: windowed scan differs from whole (-whole +windowed):\n%s", f.Path, diff)
	}
}

func TestLineAnchors(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []string // nil: not line-local
	}{
		{`(?i)\b((?:AKIA|ASIA)[A-Z2-7]{16})\b`, []string{"akia", "asia"}},
		{`(?i)(?:access|api)[_.-]?key\s*=\s*"([^"\n]+)"`, nil}, // \s holds \n
		{`(?i)(?:access|api)[_.-]?key[ \t]*=[ \t]*"([^"\s]+)"`, []string{"access-key", "access.key", "access_key", "accesskey", "api-key", "api.key", "api_key", "apikey"}},
		{`(?i)(?:secret|token|\bauth)(?:[_.-]?key)?[ \t]*=(\w+)`, []string{"auth", "secret", "token"}},
		{`(?m)^token=(\w{8,})$`, []string{"token="}},
		{`^token=(\w{8,})`, nil},                   // ^ is the text's start
		{`token=(\w{8,})\z`, nil},                  // \z is the text's end
		{`(?s)token.{8,}`, nil},                    // . holds \n
		{`token[\s\S]{8,}`, nil},                   // so does [\s\S]
		{`[a-z0-9]{32}`, nil},                      // no literal
		{`(?:token|[0-9]{4})=(\w+)`, nil},          // a branch without one
		{`a=(\w+)`, nil},                           // too short to help
		{`(?:tok|tik)+en`, []string{"tik", "tok"}}, // "en" too short; tok or tik through +
	} {
		got := lineAnchors(tt.pattern)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("lineAnchors(%q) (-want +got):\n%s", tt.pattern, diff)
		}
	}
}

// TestDefaultRulesLineLocal keeps the rules that run on most files
// line-local: a change to their regex that loses it costs throughput.
func TestDefaultRulesLineLocal(t *testing.T) {
	_, d := defaultDetector(t)
	for _, id := range []string{"generic-secret", "generic-password", "connection-string-password", "aws-access-key-id"} {
		for _, r := range d.rules {
			if r.id == id && len(r.anchors) == 0 {
				t.Errorf("%s is not line-local", id)
			}
		}
	}
}

// TestRegexBytes: a large file with one keyword line gives the regex of a
// line-local rule that line only.
func TestRegexBytes(t *testing.T) {
	_, d := defaultDetector(t)
	filler := strings.Repeat("x := y + z // nothing to see here\n", 3000)
	line := `api_key = "ghx8Qd0Zf3Lq9Wm2Rt7Kv5Bn1"`
	content := filler + line + "\n" + filler
	ms := d.Detect(Fragment{Path: "conf/app.ini", Content: []byte(content), StartLine: 1})
	if len(ms) != 1 || ms[0].RuleID != "generic-secret" || ms[0].StartLine != 3001 {
		t.Fatalf("matches: %s", describe(ms))
	}
	st := d.Stats()
	if st.RegexRuns == 0 || st.RegexBytes > int64(len(line))*st.RegexRuns {
		t.Errorf("regexes read %d bytes in %d runs, want at most the %d-byte line each", st.RegexBytes, st.RegexRuns, len(line))
	}
}

// TestWindowedSameAsWhole compares the windowed scan with the whole one on
// the rules' samples, the detector's test files, text where a keyword and
// a match are far apart, the case-folding traps, and the Go toolchain's
// source tree.
func TestWindowedSameAsWhole(t *testing.T) {
	cfg, d := defaultDetector(t)
	whole := wholeDetector(t, cfg)
	samples, _ := filepath.Glob(filepath.Join(rulesTestdata, "*"))
	for _, name := range samples {
		for _, s := range readSamples(t, name) {
			sameMatches(t, d, whole, Fragment{Path: s.path, Content: []byte(s.text), StartLine: 1})
		}
	}
	files, _ := filepath.Glob("testdata/detect/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sameMatches(t, d, whole, Fragment{Path: filepath.Base(name), Content: b, StartLine: 1})
	}
	far := strings.Repeat("filler line\n", 500)
	for _, text := range []string{
		// The keyword "access_key" far from "access.key", an anchor only.
		"access_key is documented below\n" + far + `access.key = "Zq8Lm2Wx9Rt4Kv7Bn3Hs"` + "\n",
		// Long S and Kelvin sign match s and k under (?i) but are not
		// anchors: the fragment is scanned whole.
		"token mentioned\n" + far + "\u017fecret = \"Zq8Lm2Wx9Rt4Kv7Bn3Hs\"\napi_\u212aey = \"Pq8Lm2Wx9Rt4Kv7Bn3Hs\"\n",
		// Windows merging and a keyword on the last line, without newline.
		"token = \"Aq8Lm2Wx9Rt4Kv7Bn3Hs\"\nx\ntoken = \"Bq8Lm2Wx9Rt4Kv7Bn3Hs\"\r\n" + far + "secret: Cq8Lm2Wx9Rt4Kv7Bn3Hs",
	} {
		sameMatches(t, d, whole, Fragment{Path: "conf/app.ini", Content: []byte(text), StartLine: 1})
		if len(whole.Detect(Fragment{Path: "conf/app.ini", Content: []byte(text), StartLine: 1})) == 0 {
			t.Errorf("no match in %.40q...: the case tests nothing", text)
		}
	}
	frags, err := gorootFiles()
	if err != nil || len(frags) == 0 {
		t.Logf("GOROOT source not readable (%v): skipping the tree", err)
		return
	}
	if testing.Short() {
		return
	}
	n := 0
	for _, f := range frags {
		want, got := whole.Detect(f), d.Detect(f)
		n += len(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: windowed scan differs from whole (-whole +windowed):\n%s", f.Path, diff)
		}
	}
	t.Logf("GOROOT/src: %d files, %d matches, the same", len(frags), n)
}
