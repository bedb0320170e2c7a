package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// iacFindings runs 'airlock scan --scanners iac --format json' on dir.
func iacFindings(t *testing.T, dir string) []iacFinding {
	t.Helper()
	r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "iac", "--format", "json", dir)
	if r.code != 3 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct{ Findings []iacFinding }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return rep.Findings
}

type iacFinding struct {
	ID       string
	Location struct {
		Path      string
		StartLine int `json:"start_line"`
	}
	IaC struct{ Input, Resource, Attribute string }
}

func wantIaC(t *testing.T, got []iacFinding, want []iacFinding) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, f := range got {
			if f.ID == w.ID && f.Location == w.Location && f.IaC.Resource == w.IaC.Resource && f.IaC.Input == "kubernetes" {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %s at %s:%d on %s in %+v", w.ID, w.Location.Path, w.Location.StartLine, w.IaC.Resource, got)
		}
	}
}

func iacWant(id, path string, line int, resource string) iacFinding {
	f := iacFinding{ID: id}
	f.Location.Path, f.Location.StartLine, f.IaC.Resource = path, line, resource
	return f
}

// TestIaCHelmChart: a chart in a repository (the chart of
// internal/iac/helm/testdata/web: a privileged container with a latest
// tag and a hostPath volume, all from values.yaml, and a vendored
// subchart with hostNetwork) is rendered, and each finding is at the
// template line the user edits, with the object's kind/name; no finding
// comes from reading the templates as plain manifests.
func TestIaCHelmChart(t *testing.T) {
	files := map[string]string{}
	root := filepath.Join("..", "..", "internal", "iac", "helm", "testdata")
	err := filepath.Walk(filepath.Join(root, "web"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files["deploy/"+filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files["deploy/web/templates/static.yaml"] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: static\nspec:\n  containers:\n    - name: c\n      image: busybox:latest\n"
	got := iacFindings(t, iacProject(t, files))
	wantIaC(t, got, []iacFinding{
		iacWant("K8S001", "deploy/web/templates/deployment.yaml", 23, "Deployment/release-web"),
		iacWant("K8S018", "deploy/web/templates/deployment.yaml", 21, "Deployment/release-web"),
		iacWant("K8S013", "deploy/web/templates/deployment.yaml", 35, "Deployment/release-web"),
		iacWant("K8S010", "deploy/web/charts/cache/templates/pod.yaml", 6, "Pod/release-cache"),
		iacWant("K8S018", "deploy/web/templates/static.yaml", 8, "Pod/static"),
	})
	n := 0
	for _, f := range got {
		if strings.HasSuffix(f.Location.Path, "static.yaml") && f.ID == "K8S018" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the static template reported %d times for K8S018, want once (rendered, not also read as a manifest)", n)
	}
}

// TestIaCKustomization: a base and a prod overlay patching it (the
// kustomization of internal/iac/kustomize/testdata/app) is built once, as
// the overlay: findings are in the base's manifest at the line of the
// attribute, or in the patch that writes it (the strategic-merge file, the
// inline JSON 6902 operation in the kustomization), on the overlay's
// object, and none comes from reading the base or the patch as plain
// manifests.
func TestIaCKustomization(t *testing.T) {
	files := map[string]string{}
	root := filepath.Join("..", "..", "internal", "iac", "kustomize", "testdata")
	err := filepath.Walk(filepath.Join(root, "app"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files["k8s/"+filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := iacFindings(t, iacProject(t, files))
	const base = "k8s/app/base/deployment.yaml"
	wantIaC(t, got, []iacFinding{
		iacWant("K8S018", base, 17, "Deployment/prod/prod-api"),
		iacWant("K8S011", base, 14, "Deployment/prod/prod-api"),
		iacWant("K8S001", "k8s/app/overlays/prod/privileged.yaml", 11, "Deployment/prod/prod-api"),
		iacWant("K8S010", "k8s/app/overlays/prod/kustomization.yaml", 14, "Deployment/prod/prod-api"),
	})
	for _, f := range got {
		if f.IaC.Resource != "Deployment/prod/prod-api" {
			t.Errorf("finding on an object that is not deployed: %+v", f)
		}
	}
}
