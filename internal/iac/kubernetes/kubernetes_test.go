package kubernetes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

// TestShape: every object of a multi-document stream is a document named
// kind/namespace/name; comment-only documents are skipped; the pod spec
// of each workload kind is where PodSpecPath says; keys are located at
// their lines, a missing one at its block.
func TestShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", "multi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Parse("k8s/app.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Locate(nil).Resource)
	}
	if diff := cmp.Diff([]string{"Namespace/shop", "Deployment/shop/web", "CronJob/nightly"}, names); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		doc  int
		path []any
		want iac.Node
	}{
		{1, []any{"spec", "template", "spec", "containers", 0, "securityContext", "privileged"}, iac.Node{Path: "k8s/app.yaml", Start: 18, End: 18, Resource: "Deployment/shop/web"}},
		{1, []any{"spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"}, iac.Node{Path: "k8s/app.yaml", Start: 17, End: 18, Resource: "Deployment/shop/web"}},
		{2, []any{"spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "image"}, iac.Node{Path: "k8s/app.yaml", Start: 34, End: 34, Resource: "CronJob/nightly"}},
		{2, []any{"metadata", "namespace"}, iac.Node{Path: "k8s/app.yaml", Start: 24, End: 25, Resource: "CronJob/nightly"}},
	} {
		if diff := cmp.Diff(c.want, docs[c.doc].Locate(c.path)); diff != "" {
			t.Errorf("Locate(%v) (-want +got):\n%s", c.path, diff)
		}
	}
	for kind, doc := range map[string]int{"Deployment": 1, "CronJob": 2} {
		p := PodSpecPath(kind)
		var v any = docs[doc].Value
		for _, k := range p {
			v = v.(map[string]any)[k.(string)]
		}
		if _, ok := v.(map[string]any)["containers"]; !ok {
			t.Errorf("%s: no containers at %v", kind, p)
		}
	}
	for _, k := range []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"} {
		if PodSpecPath(k) == nil {
			t.Errorf("no pod spec path for %s", k)
		}
	}
	if PodSpecPath("Service") != nil {
		t.Error("a Service has no pod spec")
	}
}

// TestSniff: manifests are claimed by content; Helm templates,
// kustomizations, Compose files and YAML without a kind are not.
func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		path, head string
		want       bool
	}{
		{"deploy/app.yaml", "apiVersion: apps/v1\nkind: Deployment\n", true},
		{"deploy/app.yml", "# comment\nkind: \"Service\"\napiVersion: v1\n", true},
		{"deploy/app.json", "apiVersion: apps/v1\nkind: Deployment\n", false},
		{"chart/templates/d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n", false},
		{"kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n", false},
		{"k/kustomization.yml", "kind: Kustomization\nresources: [a.yaml]\napiVersion: v1\n", false},
		{"compose.yaml", "services:\n  web:\n    image: nginx\n", false},
		{"values.yaml", "image:\n  kind: x\n  apiVersion: y\n", false},
	} {
		got := p.MaySniff(c.path) && p.ContentRequired(c.path, []byte(c.head))
		if got != c.want {
			t.Errorf("%s %q: claimed %v, want %v", c.path, c.head, got, c.want)
		}
	}
}

// TestBadInput: invalid syntax, a YAML bomb and an object whose kind is
// not a string are errors naming file and line; objects before the error
// and the other files are still read.
func TestBadInput(t *testing.T) {
	bomb := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	bomb += "data:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 6; i++ {
		name := string(rune('b' + i))
		bomb += fmt.Sprintf("  %s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	in := &iac.Input{Files: []iac.File{
		{Path: "bad/kind.yaml", Content: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: [Pod]\n")},
		{Path: "bad/meta.yaml", Content: []byte("apiVersion: v1\nkind: Pod\nmetadata: x\n")},
		{Path: "bad/syntax.yaml", Content: []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n")},
		{Path: "bad/bomb.yaml", Content: []byte(bomb)},
		{Path: "ok/svc.yaml", Content: []byte("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")},
	}}
	docs, probs := New().Parse(context.Background(), in)
	var got []string
	for _, p := range probs {
		got = append(got, fmt.Sprintf("%s:%d %s", p.Path, p.Line, p.Message))
	}
	want := []string{
		`bad/kind.yaml:6 not read as a Kubernetes manifest: field "kind": a string is expected beside apiVersion`,
		`bad/meta.yaml:3 not read as a Kubernetes manifest: field "metadata": a mapping is expected`,
		"bad/syntax.yaml:4 not read as a Kubernetes manifest: did not find expected node content",
		"bad/bomb.yaml:10 not read as a Kubernetes manifest: more than 1000000 values once aliases are expanded (a YAML bomb?)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Path+" "+d.Locate(nil).Resource)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"bad/kind.yaml Pod/ok", "ok/svc.yaml Service/web"}, names); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

// FuzzParse: any input is documents, nothing, or an error; never a
// panic; located lines are positive and every document names its object.
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
		docs, _ := New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: "k.yaml", Content: b}}})
		for _, d := range docs {
			if d.Locate(nil).Resource == "" {
				t.Errorf("document without a resource name: %v", d.Value)
			}
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}
