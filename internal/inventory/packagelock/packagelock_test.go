package packagelock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

var _ inventory.Extractor = New()

func TestFileRequired(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"package-lock.json", true},
		{"a/b/package-lock.json", true},
		{"npm-shrinkwrap.json", true},
		{"web/npm-shrinkwrap.json", true},
		{"package-lock.json.bak", false},
		{"old-package-lock.json", false},
		{"package.json", false},
		{"yarn.lock", false},
		{"node_modules/.package-lock.json", false},
		{"node_modules/foo/package-lock.json", false},
		{"a/node_modules/@s/foo/npm-shrinkwrap.json", false},
		{"my_node_modules/package-lock.json", true},
	} {
		if got := New().FileRequired(tc.path); got != tc.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.json")
	inventorytest.Golden(t, New(), "testdata/*/package-lock.json")
	inventorytest.Golden(t, New(), "testdata/*/npm-shrinkwrap.json")
}

func TestAliasAndSemver(t *testing.T) {
	for _, tc := range []struct {
		in            string
		name, version string
		ok            bool
	}{
		{"npm:ms@2.0.0", "ms", "2.0.0", true},
		{"npm:@s/x@1.2.3", "@s/x", "1.2.3", true},
		{"npm:@s/x", "", "", false},
		{"1.2.3", "", "", false},
	} {
		n, v, ok := alias(tc.in)
		if n != tc.name || v != tc.version || ok != tc.ok {
			t.Errorf("alias(%q) = %q, %q, %v; want %q, %q, %v", tc.in, n, v, ok, tc.name, tc.version, tc.ok)
		}
	}
	for v, want := range map[string]bool{
		"1.2.3": true, "0.0.0-use.local": true, "1.2.3+b.1": true, "10.20.30-rc.1+x": true,
		"1.2": false, "v1.2.3": false, "^1.2.3": false, "1.2.3-": false, "": false, "1.2.x": false,
		"git+https://github.com/a/b.git#abc": false, "file:../x": false,
	} {
		if got := inventory.ExactSemver(v); got != want {
			t.Errorf("inventory.ExactSemver(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New().Extract(ctx, &inventory.Input{Path: "package-lock.json", Reader: bytes.NewReader(generate(10))})
	if err == nil {
		t.Fatal("Extract with a canceled context succeeded")
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "package-lock.json", "testdata/*.json")
}

// generate returns a version 3 lockfile with n packages, shaped like npm's:
// some scoped, some nested under another package, a third dev-only.
func generate(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"name\": \"bench\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n")
	b.WriteString("    \"\": {\n      \"name\": \"bench\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n")
	direct := min(n, 40)
	for i := range direct {
		sep := ","
		if i == direct-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "        %q: \"^%d.0.0\"%s\n", name(i), i%5+1, sep)
	}
	b.WriteString("      }\n    }")
	for i := range n {
		key := "node_modules/" + name(i)
		if i%7 == 6 {
			key = "node_modules/" + name(i-1) + "/" + key
		}
		fmt.Fprintf(&b, ",\n    %q: {\n", key)
		fmt.Fprintf(&b, "      \"version\": \"%d.%d.%d\",\n", i%5+1, i%13, i%3)
		short := name(i)[strings.LastIndexByte(name(i), '/')+1:]
		fmt.Fprintf(&b, "      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%d.%d.%d.tgz\",\n", name(i), short, i%5+1, i%13, i%3)
		fmt.Fprintf(&b, "      \"integrity\": \"sha512-%s==\",\n", strings.Repeat(string(rune('A'+i%26)), 86))
		if i%3 == 0 {
			b.WriteString("      \"dev\": true,\n")
		}
		if i+1 < n {
			fmt.Fprintf(&b, "      \"dependencies\": {\n        %q: \"^%d.0.0\"", name(i+1), (i+1)%5+1)
			if i+2 < n {
				fmt.Fprintf(&b, ",\n        %q: \"~%d.1.0\"", name(i+2), (i+2)%5+1)
			}
			b.WriteString("\n      },\n")
		}
		b.WriteString("      \"engines\": {\n        \"node\": \">=14\"\n      },\n")
		b.WriteString("      \"license\": \"MIT\"\n    }")
	}
	b.WriteString("\n  }\n}\n")
	return b.Bytes()
}

func name(i int) string {
	if i%10 == 9 {
		return fmt.Sprintf("@scope-%d/pkg-%d", i%17, i)
	}
	return fmt.Sprintf("pkg-%d", i)
}

func extract(tb testing.TB, data []byte) []inventory.Package {
	tb.Helper()
	pkgs, err := New().Extract(context.Background(), &inventory.Input{Path: "package-lock.json", Reader: bytes.NewReader(data)})
	if err != nil {
		tb.Fatal(err)
	}
	return pkgs
}

func TestGenerated(t *testing.T) {
	pkgs := extract(t, generate(1000))
	if len(pkgs) != 1000 {
		t.Fatalf("got %d packages, want 1000", len(pkgs))
	}
	direct, dev := 0, 0
	for _, p := range pkgs {
		if p.Relation == inventory.RelationDirect {
			direct++
		}
		if p.Dev {
			dev++
		}
	}
	// Of the 40 root dependencies, those at i%7 == 6 are only installed
	// nested under another package, so the root resolves none of them.
	if want := 40 - 40/7; direct != want {
		t.Errorf("got %d direct packages, want %d", direct, want)
	}
	if want := (1000 + 2) / 3; dev != want {
		t.Errorf("got %d dev packages, want %d", dev, want)
	}
}

// TestLinearMemory checks that the bytes allocated per input byte do not
// grow with the size of the lockfile.
func TestLinearMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	perByte := func(n int) float64 {
		data := generate(n)
		extract(t, data) // warm up
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		extract(t, data)
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(len(data))
	}
	small, large := perByte(10_000), perByte(40_000)
	t.Logf("allocated bytes per input byte: %.2f at 10k packages, %.2f at 40k", small, large)
	if large > 1.5*small {
		t.Errorf("allocation grows faster than input: %.2f B/B at 10k, %.2f B/B at 40k", small, large)
	}
}

func BenchmarkExtract10k(b *testing.B) {
	data := generate(10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		extract(b, data)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
		want string
	}{
		{`{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0"}}} x`, 1, "data after the top-level object"},
		{"{\n\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"version\": \"1.0\\x\"}}}", 3, "escape"},
		{"{\n\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"dev\": \"yes\"}}}", 3, "want true or false"},
		{"{\n\"lockfileVersion\": 3,\n\"packages\": {\"\": {\"dependencies\": {\"a\": 1}}}}", 3, "want an object of strings"},
		{"{\n\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"x\": 01}}}", 3, "leading zero"},
		{"{\n\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"x\": [1,]}}}", 3, "trailing comma"},
		{"{\n\"lockfileVersion\": \"3\"}", 2, "unsupported lockfileVersion"},
		{"{\n\"lockfileVersion\": 1,\n\"dependencies\": {\"a\": []}}", 3, "want '{'"},
		{"{\"name\": \"x\"}", 0, "missing lockfileVersion"},
		{"{\"lockfileVersion\": 2, \"packages\": nul}", 1, "want '{'"},
		{"{\"lockfileVersion\": 2, \"packages\": {\"a\": {\"x\": \"\x01\"}}}", 1, "want a string character"},
		{strings.Repeat("[", 20000), 1, "want a JSON object"},
		{"{\"x\":" + strings.Repeat("[", 20000), 1, "nested more than"},
	} {
		_, err := New().Extract(context.Background(), &inventory.Input{Path: "package-lock.json", Reader: strings.NewReader(tc.in)})
		var pe *inventory.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Extract(%.40q) error = %v, want a ParseError", tc.in, err)
			continue
		}
		if pe.Line != tc.line || !strings.Contains(pe.Error(), tc.want) {
			t.Errorf("Extract(%.40q) error = %v (line %d), want line %d and %q", tc.in, err, pe.Line, tc.line, tc.want)
		}
	}
}

func TestLinks(t *testing.T) {
	// A package reached through a workspace's own node_modules is direct for
	// that workspace; one only its dependency needs is transitive.
	in := `{
  "lockfileVersion": 3,
  "packages": {
    "": {"workspaces": ["w"]},
    "node_modules/w": {"resolved": "w", "link": true},
    "w": {"name": "w", "version": "1.0.0", "devDependencies": {"a": "^1"}},
    "w/node_modules/a": {"version": "1.0.0", "dev": true},
    "w/node_modules/b": {"version": "2.0.0", "dev": true}
  }
}`
	pkgs := extract(t, []byte(in))
	want := []inventory.Package{
		{Ecosystem: inventory.NPM, Name: "a", Version: "1.0.0", Relation: inventory.RelationDirect, Dev: true, Location: inventory.Location{Path: "package-lock.json", Line: 7}},
		{Ecosystem: inventory.NPM, Name: "b", Version: "2.0.0", Relation: inventory.RelationTransitive, Dev: true, Location: inventory.Location{Path: "package-lock.json", Line: 8}},
	}
	if diff := cmp.Diff(want, pkgs, cmpopts.IgnoreFields(inventory.Package{}, "VersionSpan")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// BenchmarkResolveVia10k resolves the direct dependencies behind every
// package of the generated lockfile, where each package depends on the next
// two: all of the forty direct packages are above every later one.
func BenchmarkResolveVia10k(b *testing.B) {
	pkgs := extract(b, generate(10_000))
	b.ReportAllocs()
	for b.Loop() {
		inventory.ResolveVia(pkgs)
	}
}

func TestResolveViaGenerated(t *testing.T) {
	pkgs := extract(t, generate(100))
	inventory.ResolveVia(pkgs)
	for _, p := range pkgs {
		if p.Relation == inventory.RelationTransitive && len(p.Via) == 0 {
			t.Errorf("%s@%s is transitive but reached from no direct package (parents %v)", p.Name, p.Version, p.Parents)
		}
	}
}
