package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestGitAndPathSourcesInventoried: a Cargo git crate, a Gemfile GIT gem and
// a requirements.txt git dependency are inventoried with their source (not
// dropped, as they were), and each, pinned to a release tag, is matched by
// the version the tag names.
func TestGitAndPathSourcesInventoried(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	for _, rec := range []struct{ id, eco, name, fixed string }{
		{"RUSTSEC-0000-0001", "crates.io", "smallvec", "1.6.1"},
		{"GHSA-0000-0000-0001", "RubyGems", "rack", "2.2.4"},
		{"PYSEC-0000-0002", "PyPI", "flask", "2.2.6"},
	} {
		p := filepath.Join(dir, rec.id+".json")
		body := fmt.Sprintf(`{"id":%q,"modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z","summary":"flaw in %s",
			"affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":%q}]}]}]}`,
			rec.id, rec.name, rec.eco, rec.name, rec.fixed)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := airlock(t, db, "db", "import", p); r.code != 0 {
			t.Fatalf("import %s: exit %d\n%s%s", rec.id, r.code, r.stdout, r.stderr)
		}
	}
	tree := writeTree(t, map[string]string{
		"Cargo.lock": `version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "git+https://github.com/servo/rust-smallvec?tag=v1.6.0#a4a5e2a3f1c4e58b9f8a2b8c3d5e6f7a8b9c0d1e"
`,
		"Gemfile.lock": `GIT
  remote: https://github.com/rack/rack.git
  revision: 0123456789abcdef0123456789abcdef01234567
  tag: v2.2.3
  specs:
    rack (2.2.3)

GEM
  remote: https://rubygems.org/
  specs:

DEPENDENCIES
  rack!
`,
		"requirements.txt": "flask @ git+https://github.com/pallets/flask.git@2.2.5\n",
	})
	out := filepath.Join(dir, "report.json")
	r := airlock(t, db, "scan", "--scanners", "vuln", "--format", "json", "--fail-on", "none", "--output", out, tree)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	type source struct{ Type, URL, Ref, Commit string }
	var rep struct {
		Manifests []struct {
			Path     string
			Packages []struct {
				Name, Version string
				Source        *source
			}
		}
		Findings []struct {
			ID      string
			Package struct{ Name, Version string }
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]source{
		"Cargo.lock":       {Type: "git", URL: "https://github.com/servo/rust-smallvec", Ref: "v1.6.0", Commit: "a4a5e2a3f1c4e58b9f8a2b8c3d5e6f7a8b9c0d1e"},
		"Gemfile.lock":     {Type: "git", URL: "https://github.com/rack/rack.git", Ref: "v2.2.3", Commit: "0123456789abcdef0123456789abcdef01234567"},
		"requirements.txt": {Type: "git", URL: "https://github.com/pallets/flask.git", Ref: "2.2.5"},
	}
	for _, m := range rep.Manifests {
		w, ok := want[m.Path]
		if !ok {
			continue
		}
		delete(want, m.Path)
		if len(m.Packages) != 1 || m.Packages[0].Source == nil || *m.Packages[0].Source != w {
			t.Errorf("%s: packages %+v, want one with the source %+v", m.Path, m.Packages, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("manifests not reported: %v", want)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.ID+" "+f.Package.Name+"@"+f.Package.Version)
	}
	slices.Sort(got)
	wantFindings := []string{"GHSA-0000-0000-0001 rack@2.2.3", "PYSEC-0000-0002 flask@2.2.5", "RUSTSEC-0000-0001 smallvec@1.6.0"}
	if !slices.Equal(got, wantFindings) {
		t.Errorf("findings %v, want %v", got, wantFindings)
	}
}
