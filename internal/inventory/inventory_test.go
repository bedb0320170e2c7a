package inventory

import "testing"

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
