package gitlabci

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

// memTree is an in-memory repository: the claimed files are those the
// parser requires, the rest are read through ReadFile and ReadDir.
func memTree(files map[string]string) *iac.Input {
	in := &iac.Input{
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		ReadDir: func(dir string) ([]string, error) {
			var out []string
			for p := range files {
				if path.Dir(p) == dir {
					out = append(out, path.Base(p))
				}
			}
			return out, nil
		},
	}
	var names []string
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if New().FileRequired(p) {
			in.Files = append(in.Files, iac.File{Path: p, Content: []byte(files[p])})
		}
	}
	return in
}

func seed(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIncludesAndExtends: local includes (a string, local:, a list)
// merged under the including file, other includes named in a notice,
// extends resolved (a later parent wins, the job itself last), merge
// keys expanded, every key located in the file it is written in.
func TestIncludesAndExtends(t *testing.T) {
	in := memTree(map[string]string{
		".gitlab-ci.yml": seed(t, "pipeline.gitlab-ci.yml"),
		"ci/build.yml":   seed(t, "build.yml"),
		"ci/test.yml":    ".deploy:\n  image: registry.example/deploy:2\n  variables:\n    TARGET: staging\n    DEPLOY_ONLY: \"1\"\n\nunit:\n  script: [go test ./...]\n",
	})
	docs, probs := New().Parse(context.Background(), in)
	if len(docs) != 1 {
		t.Fatalf("%d documents, problems %+v", len(docs), probs)
	}
	var notices []string
	for _, p := range probs {
		if p.Level != iac.LevelInfo {
			t.Errorf("problem %+v", p)
		}
		notices = append(notices, p.Message)
	}
	if len(notices) != 3 || !strings.Contains(notices[0], "remote include https://example.com/ci.yml is not fetched") ||
		!strings.Contains(notices[1], "project include group/templates:/deploy.yml") || !strings.Contains(notices[2], "template include") {
		t.Errorf("notices %q", notices)
	}
	d := docs[0]
	v := d.Value.(map[string]any)
	jobs := v["jobs"].(map[string]any)
	deploy := jobs["deploy"].(map[string]any)
	want := map[string]any{
		"extends": []any{".base", ".deploy"}, "stage": "build", "image": "registry.example/deploy:2",
		"variables": map[string]any{"FROM_BASE": "1", "TARGET": "prod", "DEPLOY_ONLY": "1"},
		"script":    []any{"./deploy.sh"},
	}
	if diff := cmp.Diff(want, deploy); diff != "" {
		t.Errorf("deploy (-want +got):\n%s", diff)
	}
	lint := jobs["lint"].(map[string]any)
	if lint["image"] != "alpine:3.20" || lint["stage"] != "build" {
		t.Errorf("lint: %v", lint)
	}
	if _, ok := jobs["unit"]; !ok {
		t.Errorf("the included file's job is missing: %v", jobs)
	}
	if _, ok := v["hidden"].(map[string]any)[".base"]; !ok {
		t.Errorf("hidden: %v", v["hidden"])
	}
	for _, c := range []struct {
		path     []any
		file     string
		line     int
		resource string
	}{
		{[]any{"jobs", "deploy", "image"}, "ci/test.yml", 2, "job .deploy"},
		{[]any{"jobs", "deploy", "stage"}, "ci/build.yml", 2, "job .base"},
		{[]any{"jobs", "deploy", "variables", "TARGET"}, ".gitlab-ci.yml", 32, "job deploy"},
		{[]any{"jobs", "deploy", "variables", "FROM_BASE"}, "ci/build.yml", 5, "job .base"},
		{[]any{"jobs", "deploy", "script", 0}, ".gitlab-ci.yml", 34, "job deploy"},
		{[]any{"jobs", "lint", "image"}, ".gitlab-ci.yml", 25, "job lint"},
		{[]any{"jobs", "lint", "stage"}, "ci/build.yml", 2, "job .base"},
		{[]any{"jobs", "unit", "script", 0}, "ci/test.yml", 8, "job unit"},
		{[]any{"variables", "TAG", "value"}, ".gitlab-ci.yml", 12, "variables"},
		{[]any{"default", "image"}, ".gitlab-ci.yml", 20, "default"},
		{[]any{"jobs", "deploy", "missing"}, ".gitlab-ci.yml", 29, "job deploy"},
	} {
		n := d.Locate(c.path)
		if n.Path != c.file || n.Start != c.line || n.Resource != c.resource {
			t.Errorf("%v: %+v, want %s:%d %s", c.path, n, c.file, c.line, c.resource)
		}
	}
}

// TestIncludedNotRoot: a claimed file that another includes is read as
// part of it, not as a pipeline of its own; a glob include reads every
// matching file.
func TestIncludedNotRoot(t *testing.T) {
	in := memTree(map[string]string{
		".gitlab-ci.yml":            "include:\n  - local: 'ci/*.gitlab-ci.yml'\n",
		"ci/a.gitlab-ci.yml":        "a:\n  script: [a]\n",
		"ci/b.gitlab-ci.yml":        "b:\n  script: [b]\n",
		"templates/x.gitlab-ci.yml": "x:\n  script: [x]\n",
	})
	docs, probs := New().Parse(context.Background(), in)
	if len(probs) > 0 {
		t.Errorf("problems %+v", probs)
	}
	var got []string
	for _, d := range docs {
		var jobs []string
		for j := range d.Value.(map[string]any)["jobs"].(map[string]any) {
			jobs = append(jobs, j)
		}
		sort.Strings(jobs)
		got = append(got, d.Path+":"+strings.Join(jobs, ","))
	}
	want := []string{".gitlab-ci.yml:a,b", "templates/x.gitlab-ci.yml:x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestErrors: cycles, missing includes, bad extends and files that are
// not configurations are problems naming the file and line; the rest of
// the pipeline is still read.
func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  []string
		docs  int
	}{
		{"include cycle", map[string]string{
			".gitlab-ci.yml": seed(t, "cycle.gitlab-ci.yml"),
			"ci/a.yml":       "include:\n  - local: ci/b.yml\n",
			"ci/b.yml":       "x: 1\ninclude: /.gitlab-ci.yml\n",
		}, []string{"error ci/b.yml:2: not read as a GitLab CI configuration: include cycle: .gitlab-ci.yml -> ci/a.yml -> ci/b.yml -> .gitlab-ci.yml"}, 0},
		{"missing include", map[string]string{
			".gitlab-ci.yml": "include: ci/none.yml\njob:\n  script: [x]\n",
		}, []string{"warning .gitlab-ci.yml:1: include ci/none.yml is not read (the pipeline is read without it): file does not exist"}, 1},
		{"extends cycle", map[string]string{
			".gitlab-ci.yml": seed(t, "extends-cycle.gitlab-ci.yml"),
		}, []string{"error .gitlab-ci.yml:4: job other: extends cycle: job -> other -> job"}, 1},
		{"unknown parent", map[string]string{
			".gitlab-ci.yml": "job:\n  extends: .nothing\n  script: [x]\n",
		}, []string{"warning .gitlab-ci.yml:2: job job: extends .nothing, not a job of this configuration"}, 1},
		{"parent from a remote include", map[string]string{
			".gitlab-ci.yml": "include:\n  - template: Jobs/SAST.gitlab-ci.yml\njob:\n  extends: .sast-analyzer\n  script: [x]\n",
		}, []string{
			"info .gitlab-ci.yml:2: template include Jobs/SAST.gitlab-ci.yml is not fetched: airlock reads local includes only",
			"info .gitlab-ci.yml:4: job job: extends .sast-analyzer, not a job of this configuration or of its local includes (it may come from an include that is not fetched)",
		}, 1},
		{"not a mapping", map[string]string{
			".gitlab-ci.yml": "- a\n- b\n",
		}, []string{"error .gitlab-ci.yml:1: not read as a GitLab CI configuration: a GitLab CI configuration is a mapping of keywords and jobs"}, 0},
		{"bad yaml in an include", map[string]string{
			".gitlab-ci.yml": "include: ci/x.yml\n",
			"ci/x.yml":       "a: [\n",
		}, []string{"error ci/x.yml:1: not read as a GitLab CI configuration: did not find expected node content"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			docs, probs := New().Parse(context.Background(), memTree(c.files))
			var got []string
			for _, p := range probs {
				got = append(got, string(p.Level)+" "+p.Path+":"+itoa(p.Line)+": "+p.Message)
			}
			sort.Strings(got)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(docs) != c.docs {
				t.Errorf("%d documents, want %d", len(docs), c.docs)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestBomb: a YAML bomb is an error at its line, not hours of work.
func TestBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, probs := New().Parse(context.Background(), memTree(map[string]string{".gitlab-ci.yml": b.String()}))
	if len(probs) != 1 || !strings.Contains(probs[0].Message, "YAML bomb") {
		t.Fatalf("%+v", probs)
	}
}

// FuzzParse: any input is a document, nothing, or problems; never a
// panic; located lines are positive.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := memTree(map[string]string{".gitlab-ci.yml": string(b), "ci/build.yml": "x:\n  script: [a]\n", "ci/test.yml": "include: /.gitlab-ci.yml\n"})
		docs, _ := New().Parse(context.Background(), in)
		for _, d := range docs {
			if _, err := json.Marshal(d.Value); err != nil {
				t.Errorf("value: %v", err)
			}
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}

// BenchmarkParse: a pipeline of 300 jobs extending templates from an
// included file.
func BenchmarkParse(b *testing.B) {
	var main, inc strings.Builder
	main.WriteString("include: ci/templates.yml\nvariables:\n  GO: \"1.22\"\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&inc, ".t%d:\n  image: golang:$GO\n  variables:\n    A%d: x\n  before_script: [go version]\n", i, i)
	}
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&main, "job%d:\n  extends: [.t%d, .t%d]\n  script:\n    - go test ./pkg%d/...\n", i, i%20, (i+1)%20, i)
	}
	in := memTree(map[string]string{".gitlab-ci.yml": main.String(), "ci/templates.yml": inc.String()})
	b.SetBytes(int64(main.Len() + inc.Len()))
	for b.Loop() {
		docs, probs := New().Parse(context.Background(), in)
		if len(docs) != 1 || len(probs) != 0 {
			b.Fatal(len(docs), probs)
		}
	}
}

// TestReferences: !reference [job, key] brings a copy of that section,
// located where it is written and naming its job; references nest; an
// unknown section is a warning at the tag's line and is left unresolved.
func TestReferences(t *testing.T) {
	src := `.setup:
  script:
    - apk add curl
    - curl -fsSL https://get.example | sh
.vars:
  variables:
    MODE: !reference [.defaults, mode]
.defaults:
  mode: fast
build:
  variables: !reference [.vars, variables]
  script:
    - !reference [.setup, script]
    - make
  after_script:
    - !reference [.nothing, script]
`
	d, probs := Load(memTree(map[string]string{".gitlab-ci.yml": src}), ".gitlab-ci.yml", []byte(src))
	if d == nil {
		t.Fatalf("no document: %+v", probs)
	}
	build := d.Value.(map[string]any)["jobs"].(map[string]any)["build"].(map[string]any)
	want := []any{[]any{"apk add curl", "curl -fsSL https://get.example | sh"}, "make"}
	if diff := cmp.Diff(want, build["script"]); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"MODE": "fast"}, build["variables"]); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	n := d.Locate([]any{"jobs", "build", "script", 0, 1})
	if n.Path != ".gitlab-ci.yml" || n.Start != 4 || n.Resource != "job .setup" {
		t.Errorf("the referenced line is located at %+v, want line 4 of job .setup", n)
	}
	if n := d.Locate([]any{"jobs", "build", "script", 1}); n.Start != 14 || n.Resource != "job build" {
		t.Errorf("the job's own line is located at %+v, want line 14 of job build", n)
	}
	if len(probs) != 1 || probs[0].Level != iac.LevelWarning || probs[0].Line != 16 || !strings.Contains(probs[0].Message, ".nothing.script") {
		t.Errorf("problems %+v, want one warning at line 16 naming .nothing.script", probs)
	}
}

// TestReferenceBomb: sections that reference themselves many times do not
// multiply without bound: the configuration is read with a warning.
func TestReferenceBomb(t *testing.T) {
	src := ".a:\n  script:\n" + strings.Repeat("    - !reference [.a, script]\n", 10) + "job:\n  script:\n    - !reference [.a, script]\n"
	d, probs := Load(memTree(map[string]string{".gitlab-ci.yml": src}), ".gitlab-ci.yml", []byte(src))
	if d == nil {
		t.Fatalf("no document: %+v", probs)
	}
	found := false
	for _, p := range probs {
		found = found || strings.Contains(p.Message, "references resolved in one configuration") || strings.Contains(p.Message, "nest more than")
	}
	if !found {
		t.Errorf("no warning about the references: %+v", probs[:min(len(probs), 3)])
	}
}
