package server

import (
	"slices"
	"testing"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestDocsMatchRoutes fails when a route is registered without a
// description in docs, or docs describe a route that does not exist.
func TestDocsMatchRoutes(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	kr, err := keyring.Open(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	client, err := job.NewClient(job.Config{Store: st, Keyring: kr}, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, Keyring: kr, Jobs: client})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range s.routes {
		k := r.Method + " " + r.Path
		seen[k] = true
		if d, ok := docs[k]; !ok || d.Summary == "" {
			t.Errorf("route %s has no entry in docs (openapi.go)", k)
		}
	}
	for k := range docs {
		if !seen[k] {
			t.Errorf("docs describe %s, which is not registered", k)
		}
	}
}

// TestFindingsFiltersDocumented: every filter the findings list reads
// (the page's filters too) is in the OpenAPI document.
func TestFindingsFiltersDocumented(t *testing.T) {
	var names []string
	for _, p := range docs["GET /api/v1/findings"].Query {
		names = append(names, p.Name)
	}
	for _, want := range []string{"project_id", "branch", "state", "kind", "severity", "package", "rule_id", "scan_id", "change", "limit", "after"} {
		if !slices.Contains(names, want) {
			t.Errorf("GET /api/v1/findings does not document %q (it has %v)", want, names)
		}
	}
}
