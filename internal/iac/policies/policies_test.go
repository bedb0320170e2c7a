package policies_test

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/list"
	"github.com/airlock-sec/airlock/internal/iac/policies"
)

var update = flag.Bool("update", false, "rewrite docs/iac-policies.md")

// TestFixtures evaluates every policy on its fixtures: it must fire on
// its bad fixture at exactly the lines marked "expect: <ID>" (a comment
// alone on its line marks the next line that is not a comment), and stay
// silent on its good fixture.
func TestFixtures(t *testing.T) {
	set, err := policies.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Policies) == 0 {
		t.Fatal("no policies")
	}
	parsers := map[string]iac.Parser{}
	for _, p := range list.All() {
		parsers[p.Name()] = p
	}
	for _, pol := range set.Policies {
		t.Run(pol.ID, func(t *testing.T) {
			parser := parsers[pol.Input]
			if parser == nil {
				t.Fatalf("no parser named %q for package %s", pol.Input, pol.Package)
			}
			dir := path.Dir(strings.TrimPrefix(pol.File, "policies/"))
			stem := strings.TrimSuffix(path.Base(pol.File), ".rego")
			if stem != strings.ToLower(pol.ID) {
				t.Errorf("%s: the file is named after the id: %s.rego", pol.File, strings.ToLower(pol.ID))
			}
			for _, kind := range []string{"bad", "good"} {
				matches, _ := filepath.Glob(filepath.Join(dir, stem+"."+kind+".*"))
				if len(matches) == 0 {
					matches, _ = filepath.Glob(filepath.Join(dir, stem+"."+kind))
				}
				if len(matches) != 1 {
					t.Fatalf("want one %s fixture %s/%s.%s.*, found %v", kind, dir, stem, kind, matches)
				}
				files := fixtureFiles(t, matches[0])
				want := expected(files, pol.ID)
				if kind == "bad" && len(want) == 0 {
					t.Fatalf("%s marks no line with \"expect: %s\"", matches[0], pol.ID)
				}
				got := evaluate(t, set, parser, files, filepath.Dir(matches[0]), pol.ID)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: lines where %s fires (-want +got):\n%s", matches[0], pol.ID, diff)
				}
			}
		})
	}
}

// fixtureFiles reads a fixture: one file, or a directory of files.
func fixtureFiles(t *testing.T, p string) []iac.File {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return []iac.File{{Path: filepath.Base(p), Content: b}}
	}
	var out []iac.File
	root := filepath.Dir(p)
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(q)
		rel, _ := filepath.Rel(root, q)
		out = append(out, iac.File{Path: filepath.ToSlash(rel), Content: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expected lists "path:line" of every line marked "expect: id".
func expected(files []iac.File, id string) []string {
	var out []string
	for _, f := range files {
		lines := strings.Split(string(f.Content), "\n")
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			at := strings.Index(l, "expect: ")
			if at < 0 || !slices.Contains(strings.Fields(l[at+len("expect: "):]), id) {
				continue
			}
			target := i
			if isComment(l) {
				for target = i + 1; target < len(lines) && (isComment(lines[target]) || strings.TrimSpace(lines[target]) == ""); target++ {
				}
			}
			out = append(out, fmt.Sprintf("%s:%d", f.Path, target+1))
		}
	}
	slices.Sort(out)
	return out
}

func isComment(l string) bool {
	l = strings.TrimSpace(l)
	return strings.HasPrefix(l, "#") || strings.HasPrefix(l, "//")
}

// evaluate parses the files the parser claims (or all of them, for a
// one-file fixture named after the policy) and returns "path:line" of
// every result of policy id.
func evaluate(t *testing.T, set *iac.Set, p iac.Parser, files []iac.File, root, id string) []string {
	in := &iac.Input{Files: files,
		ReadFile: func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(root, filepath.FromSlash(name))) },
		ReadDir: func(name string) ([]string, error) {
			es, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(name)))
			var out []string
			for _, e := range es {
				out = append(out, e.Name())
			}
			return out, err
		},
	}
	if len(files) > 1 {
		in.Files = nil
		for _, f := range files {
			if p.FileRequired(f.Path) {
				in.Files = append(in.Files, f)
			}
		}
	}
	docs, probs := p.Parse(context.Background(), in)
	for _, pr := range probs {
		if pr.Level == iac.LevelError {
			t.Fatalf("%s:%d: %s", pr.Path, pr.Line, pr.Message)
		}
	}
	var out []string
	for _, d := range docs {
		rs, err := set.Eval(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Policy.ID == id {
				out = append(out, fmt.Sprintf("%s:%d", r.Node.Path, r.Node.Start))
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return out
}

// TestCatalog keeps docs/iac-policies.md in step with the policies; run
// with -update to rewrite it.
func TestCatalog(t *testing.T) {
	set, err := policies.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(policies.Catalog(set))
	file := filepath.Join("..", "..", "..", "docs", "iac-policies.md")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/iac/policies -run TestCatalog -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("docs/iac-policies.md is stale: run go test ./internal/iac/policies -run TestCatalog -update (-file +policies):\n%s", diff)
	}
}
