package fix

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/cargolock"
	"github.com/airlock-sec/airlock/internal/inventory/maven"
	"github.com/airlock-sec/airlock/internal/inventory/requirements"
	"github.com/airlock-sec/airlock/internal/registry"
)

// extracted reads a file of dir with an extractor and returns the named
// package.
func extracted(t *testing.T, x inventory.Extractor, dir, file, name string) inventory.Package {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, err := x.Extract(context.Background(), &inventory.Input{Path: file, Reader: f, Root: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s: no %s", file, name)
	return inventory.Package{}
}

func change(p inventory.Package, to string) Change {
	return Change{Ecosystem: p.Ecosystem, Name: p.Name, Manifest: p.Location.Path, Line: p.Location.Line, Relation: p.Relation,
		From: p.Version, To: to, VersionSpan: p.VersionSpan, Status: StatusFix, Method: MethodDirect}
}

func applyOne(t *testing.T, a *Applier, c Change) Plan {
	t.Helper()
	p := Plan{Key: c.Key(), Changes: []Change{c}}
	if err := a.Apply(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

const pom = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>1.0.0</version>
  <properties>
    <log4j.version>2.14.1</log4j.version>   <!-- keep in step -->
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>org.springframework</groupId>
      <artifactId>spring-beans</artifactId>
      <version>5.3.17</version>
    </dependency>
  </dependencies>
</project>
`

// TestMavenEdit: a literal version and a version set by a property are
// edited in place; nothing else of the file moves.
func TestMavenEdit(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644)
	a := &Applier{Root: dir}
	for _, tc := range []struct{ name, to, old, new string }{
		{"org.springframework:spring-beans", "5.3.18", "<version>5.3.17</version>", "<version>5.3.18</version>"},
		{"org.apache.logging.log4j:log4j-core", "2.17.1", "<log4j.version>2.14.1</log4j.version>   <!-- keep in step -->", "<log4j.version>2.17.1</log4j.version>   <!-- keep in step -->"},
	} {
		p := applyOne(t, a, change(extracted(t, maven.New(), dir, "pom.xml", tc.name), tc.to))
		if len(p.Edits) != 1 || len(p.Manual) != 0 {
			t.Fatalf("%s: edits %d manual %v", tc.name, len(p.Edits), p.Manual)
		}
		if want := strings.Replace(pom, tc.old, tc.new, 1); string(p.Edits[0].New) != want {
			t.Errorf("%s: got\n%s", tc.name, p.Edits[0].New)
		}
	}
	// A transitive dependency is pinned by hand, with the snippet.
	c := change(extracted(t, maven.New(), dir, "pom.xml", "org.springframework:spring-beans"), "5.3.18")
	c.Relation = inventory.RelationTransitive
	p := applyOne(t, a, c)
	if len(p.Edits) != 0 || len(p.Manual) != 1 || !strings.Contains(p.Manual[0], "<dependencyManagement>") {
		t.Errorf("transitive: %+v", p)
	}
}

const cargoLock = `version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "time 0.1.45",
]

[[package]]
name = "time"
version = "0.1.45"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "1b797afad3f312d1c66a56d11d0316f916356d11bd158fbc6ca6389ff6bf805a"

[[package]]
name = "time"
version = "0.3.36"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "5dfd88e563464686c916c7e46e623e520ddc6d79fa6641390f2e3fa86e83e885"
`

// TestCargoEdit: the version, the checksum from the index mirror and the
// "name version" references change together.
func TestCargoEdit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ti/me/time" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"name":"time","vers":"0.1.45","deps":[],"cksum":"1b797afad3f312d1c66a56d11d0316f916356d11bd158fbc6ca6389ff6bf805a","features":{},"yanked":false}
{"name":"time","vers":"0.1.47","deps":[],"cksum":"feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface","features":{},"yanked":false}
`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Cargo.lock"), []byte(cargoLock), 0o644)
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{"crates": {URL: srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	pkg := extracted(t, cargolock.New(), dir, "Cargo.lock", "time")
	p := applyOne(t, &Applier{Root: dir, Registry: reg}, change(pkg, "0.1.47"))
	if len(p.Edits) != 1 {
		t.Fatalf("edits %d manual %v", len(p.Edits), p.Manual)
	}
	want := strings.NewReplacer(`"time 0.1.45"`, `"time 0.1.47"`, `version = "0.1.45"`, `version = "0.1.47"`,
		"1b797afad3f312d1c66a56d11d0316f916356d11bd158fbc6ca6389ff6bf805a", "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface").Replace(cargoLock)
	if got := string(p.Edits[0].New); got != want {
		t.Errorf("got\n%s\nwant\n%s\ndiff\n%s", got, want, Diff("Cargo.lock", []byte(want), []byte(got)))
	}
}

func TestAddOverrides(t *testing.T) {
	cs := []Change{{Name: "lodash", To: "4.17.21"}, {Name: "@scope/x", To: "1.2.3"}}
	for _, tc := range []struct{ in, want string }{
		{"{\n  \"name\": \"a\"\n}\n", "{\n  \"name\": \"a\",\n  \"overrides\": {\n    \"lodash\": \"4.17.21\",\n    \"@scope/x\": \"1.2.3\"\n  }\n}\n"},
		{"{\n    \"overrides\": {\n        \"y\": \"1\"\n    }\n}", "{\n    \"overrides\": {\n        \"lodash\": \"4.17.21\",\n        \"@scope/x\": \"1.2.3\",\n        \"y\": \"1\"\n    }\n}"},
		{"{}", "{\n  \"overrides\": {\n    \"lodash\": \"4.17.21\",\n    \"@scope/x\": \"1.2.3\"\n  }\n}"},
	} {
		got, err := addOverrides([]byte(tc.in), cs)
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: %v\n%s\nwant\n%s", tc.in, err, got, tc.want)
		}
	}
	if _, err := addOverrides([]byte(`{"overrides": {"lodash": "1"}}`), cs); err == nil {
		t.Error("an override already set was replaced")
	}
	if _, err := addOverrides([]byte(`[1]`), cs); err == nil {
		t.Error("not an object: no error")
	}
}

func TestHashed(t *testing.T) {
	b := []byte("a==1\nb==2 \\\n  --hash=sha256:00\nc==3\n")
	for i, want := range map[int]bool{0: false, 5: true, 31: false} {
		if got := hashed(b, i); got != want {
			t.Errorf("offset %d: %v", i, got)
		}
	}
}

// TestToolFailure: when the go command fails (the mirror lacks the
// version), the plan keeps its output and proposes no change; no other
// host is reached.
func TestToolFailure(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n"), 0o644)
	a := &Applier{Root: dir, Env: append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw"), GoSumDB: "off",
		Mirror: func(string) (registry.Mirror, bool) { return registry.Mirror{URL: srv.URL}, true }}
	c := Change{Ecosystem: inventory.Go, Name: "example.com/dep", Manifest: "go.mod", From: "v1.0.0", To: "v1.0.1", Status: StatusFix, Method: MethodDirect}
	p := applyOne(t, a, c)
	if p.Failed == "" || len(p.Edits) != 0 || p.Diff != "" || !strings.Contains(p.ToolOutput, "$ go get example.com/dep@v1.0.1") || !strings.Contains(p.ToolOutput, "404") {
		t.Errorf("failed %q edits %d output:\n%s", p.Failed, len(p.Edits), p.ToolOutput)
	}
	if len(asked) == 0 {
		t.Error("the mirror was never asked")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !strings.Contains(string(b), "v1.0.0") {
		t.Error("go.mod changed")
	}
}

// TestRequirementsHashes: a hash-pinned requirement gets the new
// version's sha256 hashes from the mirror's PEP 691 page, laid out as the
// old ones were; a requirement on one line keeps its form; when the
// mirror has no file of the target, or the pins use another algorithm,
// the plan says so and changes nothing.
func TestRequirementsHashes(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "registry", "testdata", "pypi-simple-hashes.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/jinja2/" || r.Header.Get("Accept") != "application/vnd.pypi.simple.v1+json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		w.Write(page)
	}))
	defer srv.Close()
	reg := registrySet(t, "pypi", srv.URL+"/simple")
	const (
		h1 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
		h2 = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
		h3 = "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
	)
	for _, tc := range []struct {
		name, in, to, want, manual string
	}{
		{"pip-compile", "# via flask\njinja2[i18n]==3.1.3 ; python_version >= \"3.8\" \\\n    --hash=sha256:" + h1 + " \\\n    --hash=sha256:" + h1[:63] + "0\n    # via flask\nmarkupsafe==2.1.5\n",
			"3.1.4", "# via flask\njinja2[i18n]==3.1.4 ; python_version >= \"3.8\" \\\n    --hash=sha256:" + h2 + " \\\n    --hash=sha256:" + h3 + "\n    # via flask\nmarkupsafe==2.1.5\n", ""},
		{"one hash", "jinja2==3.1.3 \\\n  --hash=sha256:" + h1 + "\n", "3.1.4", "jinja2==3.1.3 \\\n  --hash=sha256:" + h1 + "\n", ""},
		{"one line", "jinja2==3.1.3 --hash sha256:" + h1 + "\n", "3.1.4", "jinja2==3.1.4 --hash sha256:" + h2 + " \\\n    --hash sha256:" + h3 + "\n", ""},
		{"not on the mirror", "jinja2==3.1.3 --hash=sha256:" + h1 + "\n", "3.1.5", "", "the mirror gives no hashes for 3.1.5"},
		{"sha512", "jinja2==3.1.3 --hash=sha512:abcd\n", "3.1.4", "", "pinned with sha512 hashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(tc.in), 0o644)
			pkg := extracted(t, requirements.New(), dir, "requirements.txt", "jinja2")
			a := &Applier{Root: dir, Registry: reg, Mirror: reg.Mirror}
			p := applyOne(t, a, change(pkg, tc.to))
			if tc.manual != "" {
				if len(p.Edits) != 0 || len(p.Manual) != 1 || !strings.Contains(p.Manual[0], tc.manual) || !strings.Contains(p.Manual[0], "hash-pinned") {
					t.Errorf("edits %d, manual %q; want none and %q", len(p.Edits), p.Manual, tc.manual)
				}
				return
			}
			if tc.name == "one hash" {
				// The mirror lists two files of 3.1.4: both hashes, one
				// option each, on lines of their own as before.
				tc.want = "jinja2==3.1.4 \\\n  --hash=sha256:" + h2 + " \\\n  --hash=sha256:" + h3 + "\n"
			}
			if len(p.Edits) != 1 || len(p.Manual) != 0 {
				t.Fatalf("edits %d manual %q", len(p.Edits), p.Manual)
			}
			if got := string(p.Edits[0].New); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
