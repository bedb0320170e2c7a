package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// TestMergeRequestDependency: a merge request that pins a vulnerable
// package gets a note naming the package and the version that fixes it,
// from the offline data, and not the findings already on the target.
func TestMergeRequestDependency(t *testing.T) {
	zip := filepath.Join("..", "..", "..", "shared", "data", "osv", "PyPI", "all.zip")
	if _, err := os.Stat(zip); err != nil {
		t.Skipf("shared OSV data absent (%v)", err)
	}
	h := newHarness(t, store.SQLite, options{work: true, vulns: importedVulnDB(t, zip)})
	gl := h.gl
	p, pr := onboard(t, h, map[string]string{"requirements.txt": "requests==2.31.0\n"})
	gl.Commit(p, "templates", map[string]string{"requirements.txt": "requests==2.31.0\njinja2==2.10\n"}, "add jinja2")
	mr := gl.OpenMR(p, "templates", "main", "Templates")
	sc := waitScan(t, h, pr.ID, "templates", store.TriggerMergeRequest)
	if len(sc.Introduced) < 2 {
		t.Fatalf("introduced %v: want jinja2's advisories", sc.Introduced)
	}
	var body string
	eventually(t, 20*time.Second, "the note", func() bool {
		if ns := gl.Notes(p, mr.IID); len(ns) == 1 {
			body = ns[0].Body
			return true
		}
		return false
	})
	for _, want := range []string{"jinja2 2.10", "PYSEC-2019-217", "Upgrade to", "2.10.1", fmt.Sprintf("%s/-/blob/", pr.WebURL), "requirements.txt"} {
		if !strings.Contains(body, want) {
			t.Errorf("note lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "requests") {
		t.Errorf("note lists a package the target branch already has:\n%s", body)
	}
}

// TestMergeRequestUnreadInput: a merge request whose manifest has a line
// airlock cannot read gets a failed commit status naming the file and the
// line, and a note that says the scan is incomplete; the packages it could
// read are still checked.
func TestMergeRequestUnreadInput(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "PYSEC-0000-1.json")
	os.WriteFile(rec, []byte(`{"id":"PYSEC-0000-1","modified":"2026-11-01T00:00:00Z","summary":"flaw in demo",
		"affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`), 0o644)
	h := newHarness(t, store.SQLite, options{work: true, vulns: importedVulnDB(t, rec)})
	gl := h.gl
	p, pr := onboard(t, h, map[string]string{"requirements.txt": "requests==2.31.0\n"})
	gl.Commit(p, "pins", map[string]string{"requirements.txt": "requests==2.31.0\nlimnoria==2013-01-21T20:33:09+0100\n"}, "pin limnoria")
	gl.OpenMR(p, "pins", "main", "Pins")
	sc := waitScan(t, h, pr.ID, "pins", store.TriggerMergeRequest)
	if !strings.Contains(sc.Error, "requirements.txt:2") {
		t.Errorf("scan error %q does not name requirements.txt:2", sc.Error)
	}
	var desc string
	eventually(t, 20*time.Second, "the failed status", func() bool {
		st := gl.Statuses(p, sc.SHA)
		if len(st) > 0 && st[len(st)-1].State == "failed" {
			desc = st[len(st)-1].Description
			return true
		}
		return false
	})
	if !strings.Contains(desc, "requirements.txt:2") {
		t.Errorf("status description %q does not name requirements.txt:2", desc)
	}
}

// importedVulnDB is a vulnerability database holding what paths import.
func importedVulnDB(t *testing.T, paths ...string) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vulndb.sqlite"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, paths, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// onboard connects the stand-in's one project, whose repository holds
// files, as a Maintainer, and waits for its onboarding scan.
func onboard(t *testing.T, h *harness, files map[string]string) (*gitlabtest.Project, store.Project) {
	t.Helper()
	_, tok, p := gitlabSetup(h.gl, gitlabtest.Maintainer)
	h.gl.InitRepo(p, files)
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value}, 201, nil)
	var pr store.Project
	eventually(t, 20*time.Second, "discovery", func() bool {
		var ps list[store.Project]
		h.admin("GET", "/api/v1/projects", nil, 200, &ps)
		if len(ps.Items) == 1 {
			pr = ps.Items[0]
		}
		return len(ps.Items) == 1
	})
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)
	return p, pr
}
