package kustomize

import (
	"context"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/kubernetes"
	"github.com/airlock-sec/airlock/internal/iac/policies"
)

func input(t testing.TB, fsys fs.FS, claim func(string) bool) *iac.Input {
	t.Helper()
	in := &iac.Input{
		ReadFile: func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) },
		ReadDir: func(p string) ([]string, error) {
			es, err := fs.ReadDir(fsys, p)
			var names []string
			for _, e := range es {
				names = append(names, e.Name())
			}
			return names, err
		},
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !claim(p) {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		in.Files = append(in.Files, iac.File{Path: p, Content: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

type hit struct {
	id, path string
	line     int
	resource string
}

// TestOverlay: testdata/app (a base with a latest image and hostPID, a
// prod overlay adding a namespace, a name prefix, a strategic-merge patch
// making the container privileged, a JSON 6902 patch adding hostNetwork
// and a remote base) is built once, as the overlay: findings are in the
// base's manifest at the attribute's line, or, for what a patch writes, in
// the patch at its line (the strategic-merge file; the inline JSON 6902
// operation's value in the kustomization), on the overlay's object name;
// a setting missing from a block only the patch writes lands on that
// block; the remote base is a warning naming the kustomization and its
// line.
func TestOverlay(t *testing.T) {
	docs, probs := New().Parse(context.Background(), input(t, os.DirFS("testdata"), New().FileRequired))
	if len(probs) != 1 || probs[0].Path != "app/overlays/prod/kustomization.yaml" || probs[0].Line != 5 || probs[0].Level != iac.LevelWarning {
		t.Errorf("problems %+v", probs)
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents, want the overlay's one Deployment", len(docs))
	}
	set, err := policies.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := set.Eval(context.Background(), docs[0])
	if err != nil {
		t.Fatal(err)
	}
	var hits []hit
	for _, r := range rs {
		hits = append(hits, hit{r.Policy.ID, r.Node.Path, r.Node.Start, r.Node.Resource})
	}
	const base = "app/base/deployment.yaml"
	for _, w := range []hit{
		{"K8S018", base, 17, "Deployment/prod/prod-api"},
		{"K8S011", base, 14, "Deployment/prod/prod-api"},
		{"K8S001", "app/overlays/prod/privileged.yaml", 11, "Deployment/prod/prod-api"},
		{"K8S002", "app/overlays/prod/privileged.yaml", 10, "Deployment/prod/prod-api"},
		{"K8S010", "app/overlays/prod/kustomization.yaml", 14, "Deployment/prod/prod-api"},
	} {
		found := false
		for _, h := range hits {
			if h == w {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %+v in %+v", w, hits)
		}
	}
	m := docs[0].Value.(map[string]any)
	if md := m["metadata"].(map[string]any); md["annotations"] != nil {
		t.Errorf("build annotations left on the object: %v", md["annotations"])
	}
}

// TestKubernetesSkipsKustomized: a kustomization's resources and patches
// are not also read as plain manifests; an unlisted manifest is.
func TestKubernetesSkipsKustomized(t *testing.T) {
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS("testdata"), p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys["app/base/extra.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")}
	k := kubernetes.New()
	docs, _ := k.Parse(context.Background(), input(t, fsys, k.MaySniff))
	var paths []string
	for _, d := range docs {
		paths = append(paths, d.Path)
	}
	if len(paths) != 1 || paths[0] != "app/base/extra.yaml" {
		t.Errorf("plain manifests read: %v, want app/base/extra.yaml only", paths)
	}
}

// TestBadKustomizations: a kustomization that does not build is an
// error naming it; nothing panics and the other one is still built.
func TestBadKustomizations(t *testing.T) {
	fsys := fstest.MapFS{
		"bad/kustomization.yaml":  {Data: []byte("resources:\n  - missing.yaml\n")},
		"yaml/kustomization.yaml": {Data: []byte("resources: [\n")},
		"ok/kustomization.yaml":   {Data: []byte("resources:\n  - cm.yaml\n")},
		"ok/cm.yaml":              {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")},
		"host/kustomization.yaml": {Data: []byte("resources:\n  - example.org/team/deploy\n")},
	}
	docs, probs := New().Parse(context.Background(), input(t, fsys, New().FileRequired))
	errs := map[string]bool{}
	for _, p := range probs {
		if p.Level == iac.LevelError {
			errs[p.Path] = true
		}
		if strings.Contains(p.Message, "/tree") {
			t.Errorf("message names the in-memory root: %s", p.Message)
		}
	}
	// host: an entry that is not in the tree is not taken for a
	// repository to clone.
	if !errs["bad/kustomization.yaml"] || !errs["yaml/kustomization.yaml"] || !errs["host/kustomization.yaml"] || len(errs) != 3 {
		t.Errorf("problems %+v", probs)
	}
	if len(docs) != 1 || docs[0].Path != "ok/cm.yaml" || docs[0].Locate(nil).Start != 1 {
		t.Errorf("documents %+v", docs)
	}
}

func FuzzBuild(f *testing.F) {
	k, err := os.ReadFile("testdata/app/overlays/prod/kustomization.yaml")
	if err != nil {
		f.Fatal(err)
	}
	m, err := os.ReadFile("testdata/app/base/deployment.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("resources:\n  - m.yaml\nnamePrefix: x-\n"), m)
	f.Add(k, m)
	f.Fuzz(func(t *testing.T, k, m []byte) {
		fsys := fstest.MapFS{"k/kustomization.yaml": {Data: k}, "k/m.yaml": {Data: m}}
		docs, probs := New().Parse(context.Background(), input(t, fsys, New().FileRequired))
		for _, d := range docs {
			if d.Locate(nil).Resource == "" {
				t.Errorf("document without a resource name: %v", d.Value)
			}
			for key, n := range d.Index {
				if n.Start < 1 || n.End < n.Start || !strings.HasPrefix(n.Path, "k/") {
					t.Errorf("%q: %s:%d-%d", key, n.Path, n.Start, n.End)
				}
			}
		}
		for _, p := range probs {
			if !strings.HasPrefix(p.Path, "k/") {
				t.Errorf("problem outside the tree: %+v", p)
			}
		}
	})
}

// TestPatchLines: what patches write is located in the patches, whatever
// their form: an inline strategic-merge patch (lines inside the
// kustomization's block), a list element matched by its merge key (the
// patch's only container is the built object's second), a JSON 6902 file
// whose target name is a regular expression and the object's name has a
// suffix; an append ("-") is not located by index and lands on the base's
// list; containers the merge reordered are still found in the base by
// name.
func TestPatchLines(t *testing.T) {
	fsys := fstest.MapFS{
		"base/kustomization.yaml": {Data: []byte("resources:\n  - deployment.yaml\n")},
		"base/deployment.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: registry.example.com/proxy:1.2
        - name: app
          image: registry.example.com/app:1.0
`)},
		"overlay/kustomization.yaml": {Data: []byte(`resources:
  - ../base
nameSuffix: -v2
patchesStrategicMerge:
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
            - name: app
              securityContext:
                privileged: true
patchesJson6902:
  - target:
      kind: Deployment
      name: web.*
    path: ops.yaml
`)},
		"overlay/ops.yaml": {Data: []byte(`- op: add
  path: /spec/template/spec/hostPID
  value: true
- op: replace
  path: /spec/template/spec/containers/0/image
  value: registry.example.com/proxy:latest
- op: add
  path: /spec/template/spec/containers/-
  value: {name: extra, image: busybox}
`)},
	}
	docs, probs := New().Parse(context.Background(), input(t, fsys, New().FileRequired))
	for _, p := range probs {
		if p.Level == iac.LevelError {
			t.Errorf("problem %+v", p)
		}
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
	for _, c := range []struct {
		at   []any
		path string
		line int
	}{
		// The merge puts the patched container (app) first.
		{[]any{"spec", "template", "spec", "containers", 0, "securityContext", "privileged"}, "overlay/kustomization.yaml", 16},
		{[]any{"spec", "template", "spec", "containers", 0, "securityContext"}, "overlay/kustomization.yaml", 15},
		{[]any{"spec", "template", "spec", "containers", 0}, "base/deployment.yaml", 11},
		{[]any{"spec", "template", "spec", "containers", 1, "image"}, "base/deployment.yaml", 10},
		{[]any{"spec", "template", "spec", "containers", 1, "name"}, "base/deployment.yaml", 9},
		{[]any{"spec", "template", "spec", "hostPID"}, "overlay/ops.yaml", 3},
		// The operation replaced the image of the first container, app.
		{[]any{"spec", "template", "spec", "containers", 0, "image"}, "overlay/ops.yaml", 6},
		// Appended by "-": not located in the operation, nor in the
		// base's other containers.
		{[]any{"spec", "template", "spec", "containers", 2, "image"}, "base/deployment.yaml", 8},
	} {
		n := docs[0].Locate(c.at)
		if n.Path != c.path || n.Start != c.line {
			t.Errorf("%v at %s:%d, want %s:%d", c.at, n.Path, n.Start, c.path, c.line)
		}
	}
}

// TestDeprecatedFieldsQuiet: a kustomization written with the deprecated
// fields (bases, commonLabels, imageTags, patchesStrategicMerge,
// patchesJson6902) builds as kustomize builds it, and nothing is written
// to the process's standard error (kustomize's own warning would land in
// the server's JSON log).
func TestDeprecatedFieldsQuiet(t *testing.T) {
	fsys := fstest.MapFS{
		"base/kustomization.yaml": {Data: []byte("resources:\n  - deployment.yaml\n")},
		"base/deployment.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0
`)},
		"overlay/kustomization.yaml": {Data: []byte(`bases:
  - ../base
commonLabels:
  team: payments
imageTags:
  - name: registry.example.com/app
    newTag: "2.0"
patchesStrategicMerge:
  - privileged.yaml
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: web}
    path: ops.yaml
`)},
		"overlay/privileged.yaml": {Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext:\n            privileged: true\n")},
		"overlay/ops.yaml":        {Data: []byte("- op: add\n  path: /spec/template/spec/hostPID\n  value: true\n")},
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	docs, probs := New().Parse(context.Background(), input(t, fsys, New().FileRequired))
	os.Stderr = saved
	w.Close()
	printed, _ := io.ReadAll(r)
	if len(printed) != 0 {
		t.Errorf("written to standard error:\n%s", printed)
	}
	if len(probs) != 0 || len(docs) != 1 {
		t.Fatalf("%d documents, problems %+v", len(docs), probs)
	}
	m := docs[0].Value.(map[string]any)
	spec := m["spec"].(map[string]any)
	sel := spec["selector"].(map[string]any)["matchLabels"].(map[string]any)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	if sel["team"] != "payments" || c["image"] != "registry.example.com/app:2.0" || pod["hostPID"] != true ||
		c["securityContext"].(map[string]any)["privileged"] != true {
		t.Errorf("built object %v", m)
	}
	if n := docs[0].Locate([]any{"spec", "template", "spec", "containers", 0, "securityContext", "privileged"}); n.Path != "overlay/privileged.yaml" || n.Start != 11 {
		t.Errorf("privileged at %s:%d, want overlay/privileged.yaml:11", n.Path, n.Start)
	}
}
