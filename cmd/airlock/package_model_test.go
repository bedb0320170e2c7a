package main

import (
	"encoding/json"
	"testing"
)

// packageLock is a version 3 lockfile: the project depends on express-lite,
// which pulls in lodash 4.17.11 (vulnerable to GHSA-jf85-cpcp-j695), and on
// left-pad from a git tag.
const packageLock = `{
  "name": "app",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "dependencies": {
        "express-lite": "^1.0.0",
        "left-pad": "github:stevemao/left-pad#v1.3.0"
      }
    },
    "node_modules/express-lite": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/express-lite/-/express-lite-1.0.0.tgz",
      "dependencies": {"lodash": "^4.17.0"}
    },
    "node_modules/left-pad": {
      "resolved": "git+ssh://git@github.com/stevemao/left-pad.git#5f8fa5b5f1e4d2f9b6b4c1f2f1f2e3d4c5b6a7b8"
    },
    "node_modules/lodash": {
      "version": "4.17.11",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.11.tgz",
      "license": "MIT"
    }
  }
}
`

type ref struct{ Name, Version string }

// TestPackageModel: a finding on a transitive npm package says, in via,
// which direct dependency pulls it in; a git dependency is inventoried with
// its repository and commit, and with the version its tag names.
func TestPackageModel(t *testing.T) {
	db := recordsDB(t, map[string][]string{"osv-ghsa/npm/all.zip": {"GHSA-jf85-cpcp-j695"}})
	dir := writeTree(t, map[string]string{"package-lock.json": packageLock})
	r := airlock(t, db, "scan", "--scanners", "vuln", "--format", "json", "--fail-on", "none", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Manifests []struct {
			Packages []struct {
				Name, Version string
				Source        *struct{ Type, URL, Commit, Ref string }
			}
		}
		Findings []struct {
			ID      string
			Package *struct {
				Name, Version, Relation string
				Parents, Via            []ref
				VersionSpan             *struct{ Start, End int } `json:"version_span"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Package == nil {
		t.Fatalf("findings = %+v, want GHSA-jf85-cpcp-j695 on lodash", rep.Findings)
	}
	f := rep.Findings[0]
	p := f.Package
	if f.ID != "GHSA-jf85-cpcp-j695" || p.Name != "lodash" || p.Relation != "transitive" {
		t.Errorf("finding %s on %s (%s), want GHSA-jf85-cpcp-j695 on transitive lodash", f.ID, p.Name, p.Relation)
	}
	want := []ref{{"express-lite", "1.0.0"}}
	if len(p.Via) != 1 || p.Via[0] != want[0] || len(p.Parents) != 1 || p.Parents[0] != want[0] {
		t.Errorf("lodash parents %v, via %v; want both %v", p.Parents, p.Via, want)
	}
	if s := p.VersionSpan; s == nil || packageLock[s.Start:s.End] != "4.17.11" {
		t.Errorf("lodash version span %+v does not hold 4.17.11", s)
	}

	var found bool
	for _, m := range rep.Manifests {
		for _, p := range m.Packages {
			if p.Name != "left-pad" {
				continue
			}
			found = true
			want := struct{ Type, URL, Commit, Ref string }{"git", "ssh://git@github.com/stevemao/left-pad.git", "5f8fa5b5f1e4d2f9b6b4c1f2f1f2e3d4c5b6a7b8", "v1.3.0"}
			if p.Version != "1.3.0" || p.Source == nil || *p.Source != want {
				t.Errorf("left-pad version %q source %+v, want 1.3.0 from %+v", p.Version, p.Source, want)
			}
		}
	}
	if !found {
		t.Errorf("the git dependency left-pad is not in the report:\n%s", r.stdout)
	}
}
