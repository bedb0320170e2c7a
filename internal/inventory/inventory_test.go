package inventory

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"testing/iotest"
)

func TestPURL(t *testing.T) {
	for _, c := range []struct {
		p    Package
		want string
	}{
		{Package{Ecosystem: NPM, Name: "@babel/traverse", Version: "7.23.2"}, "pkg:npm/%40babel/traverse@7.23.2"},
		{Package{Ecosystem: NPM, Name: "lodash", Version: "4.17.20"}, "pkg:npm/lodash@4.17.20"},
		{Package{Ecosystem: Go, Name: "golang.org/x/net", Version: "v0.1.0"}, "pkg:golang/golang.org/x/net@v0.1.0"},
		{Package{Ecosystem: Go, Name: "stdlib", Version: "1.21.0"}, "pkg:golang/stdlib@1.21.0"},
		{Package{Ecosystem: PyPI, Name: "Django_Rest.Framework", Version: "3.0"}, "pkg:pypi/django-rest-framework@3.0"},
		{Package{Ecosystem: Maven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{Package{Ecosystem: CratesIO, Name: "smallvec", Version: "1.6.0+build"}, "pkg:cargo/smallvec@1.6.0%2Bbuild"},
		{Package{Ecosystem: Packagist, Name: "symfony/http-kernel", Version: "5.4.0"}, "pkg:composer/symfony/http-kernel@5.4.0"},
		{Package{Ecosystem: RubyGems, Name: "rails"}, "pkg:gem/rails"},
		{Package{Ecosystem: NuGet, Name: "Newtonsoft.Json", Version: "12.0.1"}, "pkg:nuget/Newtonsoft.Json@12.0.1"},
	} {
		if got := c.p.PURL(); got != c.want {
			t.Errorf("PURL(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for _, c := range []struct{ eco, in, want string }{
		{PyPI, "Django", "django"},
		{PyPI, "zope.interface", "zope-interface"},
		{PyPI, "Foo__Bar--baz", "foo-bar-baz"},
		{PyPI, "_leading", "leading"},
		{CratesIO, "Regex", "regex"},
		{Go, "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{NPM, "@Scope/Name", "@Scope/Name"},
	} {
		if got := NormalizeName(c.eco, c.in); got != c.want {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", c.eco, c.in, got, c.want)
		}
	}
}

func TestNormalizeNameKeepsNormal(t *testing.T) {
	for _, in := range []string{"requests", "zope-interface", "a1-b2", "-x", "x-", "a--b", "A", "a_b", "a.b"} {
		if got, want := NormalizeName(PyPI, in), normalizeSlow(in); got != want {
			t.Errorf("NormalizeName(PyPI, %q) = %q, want %q", in, got, want)
		}
	}
}

// normalizeSlow is PEP 503 as the specification writes it.
func normalizeSlow(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[-_.]+`).ReplaceAllString(s, "-")
	return strings.Trim(s, "-")
}

func TestProblemsAddCaps(t *testing.T) {
	var ps Problems
	for i := 1; i <= MaxProblems+5; i++ {
		ps.Add(&ParseError{Path: "f", Line: i, Err: errors.New("bad"), Warning: i != MaxProblems+3})
	}
	if len(ps) != MaxProblems+1 {
		t.Fatalf("kept %d problems, want %d", len(ps), MaxProblems+1)
	}
	last := ps[len(ps)-1]
	if got, want := last.Error(), "f: 5 more problems not listed"; got != want || last.Warning {
		t.Errorf("last problem = %q (warning %v), want %q, an error", got, last.Warning, want)
	}
	var ws Problems
	for i := 0; i < MaxProblems+2; i++ {
		ws.Add(&ParseError{Path: "f", Err: errors.New("w"), Warning: true})
	}
	if ws.HasErrors() {
		t.Error("warnings beyond the cap became an error")
	}
}

func TestReadFile(t *testing.T) {
	root := fstest.MapFS{
		"a/req.txt":     {Data: []byte("x")},
		"a/up.txt":      {Data: []byte("../b/req.txt"), Mode: fs.ModeSymlink},
		"a/out.txt":     {Data: []byte("../../etc/passwd"), Mode: fs.ModeSymlink},
		"a/abs.txt":     {Data: []byte("/etc/passwd"), Mode: fs.ModeSymlink},
		"a/dir":         {Data: []byte(".."), Mode: fs.ModeSymlink},
		"a/loop":        {Data: []byte("loop"), Mode: fs.ModeSymlink},
		"b/req.txt":     {Data: []byte("y")},
		"a/sub/x.txt":   {Data: []byte("z")},
		"a/sub":         {Mode: fs.ModeDir},
		"a/subdir.txt":  {Mode: fs.ModeDir},
		"a/dir2":        {Data: []byte("sub"), Mode: fs.ModeSymlink},
		"a/missing.txt": {Data: []byte("nowhere.txt"), Mode: fs.ModeSymlink},
	}
	for _, c := range []struct{ name, want, err string }{
		{"a/req.txt", "x", ""},
		{"a/up.txt", "y", ""},
		{"a/dir2/x.txt", "z", ""},
		{"a/dir/b/req.txt", "y", ""},
		{"a/out.txt", "", "outside the scanned tree"},
		{"a/abs.txt", "", "outside the scanned tree"},
		{"a/dir/../x", "", "outside the scanned tree"},
		{"/etc/passwd", "", "outside the scanned tree"},
		{"a/loop", "", "too many levels"},
		{"a/subdir.txt", "", "not a regular file"},
		{"a/missing.txt", "", "not exist"},
	} {
		got, err := ReadFile(root, c.name)
		if c.err == "" {
			if err != nil || string(got) != c.want {
				t.Errorf("ReadFile(%s) = %q, %v; want %q", c.name, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ReadFile(%s) error = %v, want one containing %q", c.name, err, c.err)
		}
	}
	if _, err := ReadFile(nil, "a"); err == nil {
		t.Error("ReadFile with no file system: no error")
	}
}

func TestReadInputNamesFileOnce(t *testing.T) {
	in := &Input{Path: "cargo/Cargo.lock", Reader: iotest.ErrReader(&fs.PathError{Op: "read", Path: "cargo/Cargo.lock", Err: syscall.EISDIR})}
	_, err := ReadInput(in)
	if got := err.Error(); strings.Count(got, "Cargo.lock") != 1 {
		t.Errorf("error %q names the file more than once", got)
	}
}
