package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestIaCKubernetesScan: a manifest tree through the binary: files found
// by content, multi-document streams, findings at the exact line with
// the object's kind/namespace/name; a file named .yaml that is not a
// manifest is left alone.
func TestIaCKubernetesScan(t *testing.T) {
	dir := iacProject(t, map[string]string{
		"k8s/app.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n" +
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      hostNetwork: true\n" +
			"      containers:\n        - name: web\n          image: nginx:latest\n          securityContext:\n            privileged: true\n",
		"config/settings.yaml": "kind: notes\nlevel: 3\n",
	})
	db := filepath.Join(t.TempDir(), "none.db")
	r := airlock(t, db, "scan", "--scanners", "iac", "--format", "json", dir)
	if r.code != 3 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Findings []struct {
			ID       string
			Location struct {
				Path      string
				StartLine int `json:"start_line"`
			}
			IaC struct{ Input, Resource, Attribute string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	want := map[string]int{"K8S001": 19, "K8S010": 14, "K8S018": 17}
	for _, f := range rep.Findings {
		if f.Location.Path != "k8s/app.yaml" {
			t.Errorf("finding outside the manifest: %+v", f)
		}
		line, ok := want[f.ID]
		if !ok {
			continue
		}
		delete(want, f.ID)
		if f.Location.StartLine != line || f.IaC.Input != "kubernetes" || f.IaC.Resource != "Deployment/shop/web" {
			t.Errorf("%s: %+v, want line %d on Deployment/shop/web", f.ID, f, line)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing %v in %s", want, r.stdout)
	}
	r = airlock(t, db, "scan", "--scanners", "iac", dir)
	if !strings.Contains(r.stdout, "Deployment/shop/web") {
		t.Errorf("table lacks the resource:\n%s", r.stdout)
	}
}
