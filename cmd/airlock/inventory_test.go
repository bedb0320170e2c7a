package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regression tests for the dependency extractors as a user meets them: a
// manifest with one bad entry still has its other packages reported, the
// bad entry is an error notice at its file and line, and the scan exits 1
// because it is incomplete.

// invReport is the part of the JSON report these tests read.
type invReport struct {
	Manifests []struct {
		Path     string
		Packages []struct {
			Name, Version, Constraint string
			Location                  struct {
				Path string
				Line int
			}
		}
	}
	Notices []invNotice
}

type invNotice struct {
	Level, Path, Message string
	Line                 int
}

// pypiDB returns a database with the shared PyPI records, enough for the
// scan to read manifests of every ecosystem.
func pypiDB(t *testing.T) string {
	t.Helper()
	zip := filepath.Join(osvDir, "PyPI", "all.zip")
	if _, err := os.Stat(zip); err != nil {
		t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", zip)
	}
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", zip); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return db
}

// tree writes files (slash-separated paths to contents) under a new
// directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanTree scans dir to a JSON report with --fail-on none, so that the exit
// code says only whether the scan is complete.
func scanTree(t *testing.T, db, dir string, args ...string) (invReport, result) {
	t.Helper()
	r := airlock(t, db, append([]string{"scan", "--format", "json", "--fail-on", "none", "--scanners", "vuln"}, append(args, dir)...)...)
	var rep invReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	return rep, r
}

// packages lists the reported packages of the manifest at path as
// "name@version" ("name" when unpinned).
func (rep invReport) packages(path string) []string {
	var out []string
	for _, m := range rep.Manifests {
		if m.Path != path {
			continue
		}
		for _, p := range m.Packages {
			s := p.Name
			if p.Version != "" {
				s += "@" + p.Version
			}
			out = append(out, s)
		}
	}
	return out
}

// notice returns the notice at path and line of the given level.
func (rep invReport) notice(level, path string, line int) (invNotice, bool) {
	for _, n := range rep.Notices {
		if n.Level == level && n.Path == path && n.Line == line {
			return n, true
		}
	}
	return invNotice{}, false
}

func wantPackages(t *testing.T, rep invReport, path string, want ...string) {
	t.Helper()
	got := strings.Join(rep.packages(path), " ")
	if got != strings.Join(want, " ") {
		t.Errorf("%s packages = %q, want %q", path, got, strings.Join(want, " "))
	}
}

func wantNotice(t *testing.T, rep invReport, level, path string, line int, substr string) {
	t.Helper()
	n, ok := rep.notice(level, path, line)
	if !ok {
		t.Errorf("no %s notice at %s:%d; notices: %+v", level, path, line, rep.Notices)
		return
	}
	if !strings.Contains(n.Message, substr) {
		t.Errorf("notice at %s:%d = %q, want it to contain %q", path, line, n.Message, substr)
	}
	if strings.Contains(n.Message, path+":") {
		t.Errorf("notice message %q repeats the file name", n.Message)
	}
}

func TestInventoryPartialFiles(t *testing.T) {
	db := pypiDB(t)

	t.Run("requirements bad line", func(t *testing.T) {
		dir := tree(t, map[string]string{"requirements.txt": "supybot==0.83.4\nlimnoria==2013-01-21T20:33:09+0100\nrequests==2.19.0\nthis is stray text\nflask==0.12\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1 (incomplete scan)\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "requirements.txt", "supybot@0.83.4", "requests@2.19.0", "flask@0.12")
		wantNotice(t, rep, "error", "requirements.txt", 2, "limnoria")
		wantNotice(t, rep, "error", "requirements.txt", 4, "stray text")
		if _, r := scanTree(t, db, dir, "--allow-parse-errors"); r.code != 0 {
			t.Errorf("--allow-parse-errors: exit %d, want 0", r.code)
		}
	})

	t.Run("requirements env var is a warning", func(t *testing.T) {
		dir := tree(t, map[string]string{"requirements.txt": "django==${DJANGO_VERSION}\nrequests==2.19.0\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 0 {
			t.Errorf("exit %d, want 0: a ${VAR} is a warning\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "requirements.txt", "django", "requests@2.19.0")
		wantNotice(t, rep, "warning", "requirements.txt", 1, "environment variable")
	})

	t.Run("requirements missing constraint and include", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("-c constraints.txt\n-r missing.txt\n-r /etc/hostname\n-r ../outside.txt\n")
		var want []string
		for _, p := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
			b.WriteString("pkg-" + p + "==1.0\n")
			want = append(want, "pkg-"+p+"@1.0")
		}
		dir := tree(t, map[string]string{"app/requirements.txt": b.String(), "outside.txt": "x==1\n"})
		rep, r := scanTree(t, db, filepath.Join(dir, "app"))
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "requirements.txt", want...)
		wantNotice(t, rep, "error", "requirements.txt", 1, "constraints.txt")
		wantNotice(t, rep, "error", "requirements.txt", 2, "missing.txt")
		wantNotice(t, rep, "error", "requirements.txt", 3, "absolute path")
		wantNotice(t, rep, "error", "requirements.txt", 4, "outside the scanned tree")
	})

	t.Run("requirements symlinked include leaving the tree", func(t *testing.T) {
		outside := tree(t, map[string]string{"secret.txt": "leaked==1.0\n"})
		dir := tree(t, map[string]string{"requirements.txt": "-r base.txt\nkept==1.0\n"})
		if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "base.txt")); err != nil {
			t.Skipf("symbolic links not supported: %v", err)
		}
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "requirements.txt", "kept@1.0")
		wantNotice(t, rep, "error", "requirements.txt", 1, "outside the scanned tree")
	})

	t.Run("requirements markers", func(t *testing.T) {
		dir := tree(t, map[string]string{"requirements.txt": "numpy==1.21.0; sys_platform == \"linux\"\nnumpy==1.19.5; sys_platform == \"win32\"\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 0 {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "requirements.txt", "numpy@1.21.0", "numpy@1.19.5")
	})

	t.Run("gradle conflict marker", func(t *testing.T) {
		dir := tree(t, map[string]string{"gradle.lockfile": "com.google.guava:guava:31.1-jre=runtimeClasspath\n>>>>>>> main\norg.slf4j:slf4j-api:1.7.36=runtimeClasspath\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "gradle.lockfile", "com.google.guava:guava@31.1-jre", "org.slf4j:slf4j-api@1.7.36")
		wantNotice(t, rep, "error", "gradle.lockfile", 2, "merge conflict")
	})

	t.Run("pom without groupId", func(t *testing.T) {
		dir := tree(t, map[string]string{"pom.xml": `<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version><dependencies>
<dependency><artifactId>lost</artifactId><version>1</version></dependency>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency>
</dependencies></project>`})
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "pom.xml", "org.apache.logging.log4j:log4j-core@2.14.1")
		wantNotice(t, rep, "error", "pom.xml", 2, "groupId")
	})

	t.Run("pom not XML", func(t *testing.T) {
		dir := tree(t, map[string]string{"pom.xml": "notes, not a POM\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantNotice(t, rep, "error", "pom.xml", 0, "not a POM")
	})

	t.Run("pom parent in the tree", func(t *testing.T) {
		dir := tree(t, map[string]string{
			"pom.xml": `<project><groupId>com.example</groupId><artifactId>parent</artifactId><version>${revision}</version>
<properties><revision>1.0</revision><log4j.version>2.14.1</log4j.version></properties>
<dependencyManagement><dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${log4j.version}</version></dependency>
</dependencies></dependencyManagement>
<profiles><profile><activation><activeByDefault>true</activeByDefault></activation>
<dependencies><dependency><groupId>com.h2database</groupId><artifactId>h2</artifactId><version>2.1.210</version></dependency></dependencies>
</profile></profiles></project>`,
			"core/pom.xml": `<project><parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>${revision}</version></parent>
<artifactId>core</artifactId><dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
</dependencies></project>`,
			"lib/pom.xml": `<project><parent><groupId>com.example</groupId><artifactId>corp</artifactId><version>3</version><relativePath>../corp/pom.xml</relativePath></parent>
<artifactId>lib</artifactId><dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
</dependencies></project>`,
		})
		rep, r := scanTree(t, db, dir)
		if r.code != 0 {
			t.Errorf("exit %d, want 0 (warnings only)\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "core/pom.xml", "org.apache.logging.log4j:log4j-core@2.14.1")
		wantPackages(t, rep, "pom.xml", "com.h2database:h2@2.1.210")
		wantPackages(t, rep, "lib/pom.xml", "org.apache.logging.log4j:log4j-core")
		wantNotice(t, rep, "warning", "lib/pom.xml", 3, "com.example:corp:3")
	})

	t.Run("package-lock v2 without packages", func(t *testing.T) {
		dir := tree(t, map[string]string{"package-lock.json": `{"name": "x", "lockfileVersion": 2,
  "dependencies": {"lodash": {"version": "4.17.20"}}}`})
		rep, r := scanTree(t, db, dir)
		if r.code != 0 {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "package-lock.json", "lodash@4.17.20")
	})

	t.Run("shrinkwrap beside package-lock", func(t *testing.T) {
		dir := tree(t, map[string]string{
			"package-lock.json":   `{"lockfileVersion": 3, "packages": {"": {}, "node_modules/lodash": {"version": "4.17.21"}}}`,
			"npm-shrinkwrap.json": `{"lockfileVersion": 3, "packages": {"": {}, "node_modules/lodash": {"version": "4.17.20"}}}`,
		})
		rep, r := scanTree(t, db, dir)
		if r.code != 0 {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		wantPackages(t, rep, "npm-shrinkwrap.json", "lodash@4.17.20")
		wantPackages(t, rep, "package-lock.json")
		wantNotice(t, rep, "warning", "package-lock.json", 0, "npm-shrinkwrap.json")
	})

	t.Run("pnpm packages alias", func(t *testing.T) {
		dir := tree(t, map[string]string{"pnpm-lock.yaml": "lockfileVersion: '6.0'\nx: &l\n  - /a@1.0.0\npackages: *l\n"})
		rep, r := scanTree(t, db, dir)
		if r.code != 1 {
			t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		wantNotice(t, rep, "error", "pnpm-lock.yaml", 4, "alias")
		if n, _ := rep.notice("error", "pnpm-lock.yaml", 4); !strings.Contains(n.Message, `"packages"`) {
			t.Errorf("notice %q does not name the field", n.Message)
		}
	})
}
