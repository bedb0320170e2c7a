package server

import (
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
