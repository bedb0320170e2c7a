package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestUIScanPage: /scans/{id} (where merge request notes and commit
// statuses link) needs a session, sending the browser to sign in and back
// without showing anything of the scan; signed in, it shows the scan
// (project, branch, commit, trigger, status, timings, error, notices) and
// its new, existing and fixed findings linking to GitLab at the scanned
// commit, and the API serves the same findings with scan_id and change.
func TestUIScanPage(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { uiScanPage(t, d) })
	}
}

func uiScanPage(t *testing.T, engine store.Dialect) {
	h := newHarness(t, engine, options{})
	ctx := context.Background()
	in := store.Integration{Name: "gl", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1}, WebhookSealed: []byte{2}, Selection: store.SelectAll}
	now := time.Now()
	if err := h.store.CreateIntegration(ctx, &in, now); err != nil {
		t.Fatal(err)
	}
	p := store.Project{IntegrationID: in.ID, GitLabID: 77, Path: "platform/payments", WebURL: "https://gitlab.example.com/platform/payments", DefaultBranch: "main", Selected: true}
	if _, err := h.store.UpsertProject(ctx, &p, now); err != nil {
		t.Fatal(err)
	}
	mk := func(i int, kind finding.Kind) finding.Finding {
		f := finding.Finding{Kind: kind, ID: fmt.Sprintf("RULE-%d", i), Severity: finding.High, Title: fmt.Sprintf("Finding %d", i), Fingerprint: fmt.Sprintf("fp-%d", i), Location: finding.Location{Path: "src/app.go", StartLine: 10 + i}}
		if kind == finding.KindVulnerability {
			f.Package = &inventory.Package{Name: "example.com/lib", Version: "1.2.3"}
		}
		return f
	}
	// record runs a scan of branch that finds fs and finishes it.
	record := func(sc store.Scan, fs []finding.Finding, status, errText string, notices []analyzer.Notice) store.Scan {
		t.Helper()
		err := h.store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateScan(ctx, &sc, now); err != nil {
				return err
			}
			if err := tx.StartScan(ctx, sc.ID, now); err != nil {
				return err
			}
			if status == store.ScanSucceeded {
				d, err := tx.RecordFindings(ctx, p.ID, sc.Branch, sc.ID, fs, now)
				if err != nil {
					return err
				}
				sc.FindingsTotal, sc.FindingsNew, sc.FindingsFixed = len(d.New)+len(d.Existing), len(d.New), len(d.Fixed)
			}
			sc.Status, sc.Error = status, errText
			sc.Notices, _ = json.Marshal(notices)
			return tx.FinishScan(ctx, &sc, now.Add(90*time.Second))
		})
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	first := record(store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main", SHA: "1111111111111111111111111111111111111111"},
		[]finding.Finding{mk(0, finding.KindVulnerability), mk(1, finding.KindSecret), mk(2, finding.KindIaC)}, store.ScanSucceeded, "", nil)
	other := record(store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "dev", SHA: "3333333333333333333333333333333333333333"},
		[]finding.Finding{mk(9, finding.KindSecret)}, store.ScanSucceeded, "", nil)
	iid := int64(7)
	sha := "2222222222222222222222222222222222222222"
	second := record(store.Scan{ProjectID: p.ID, Trigger: store.TriggerMergeRequest, Branch: "main", SHA: sha, MRIID: &iid, TargetBranch: "release"},
		[]finding.Finding{mk(1, finding.KindSecret), mk(2, finding.KindIaC), mk(3, finding.KindVulnerability)}, store.ScanSucceeded,
		"1 input could not be read: deploy/app.yaml:4: mapping values are not allowed here",
		[]analyzer.Notice{{Level: analyzer.NoticeError, Path: "deploy/app.yaml", Line: 4, Message: "mapping values are not allowed here"}})
	failed := record(store.Scan{ProjectID: p.ID, Trigger: store.TriggerManual, Branch: "main"}, nil, store.ScanFailed, "clone: authentication failed", nil)
	ids := map[string]int64{}
	all, err := h.store.Findings(ctx, store.FindingFilter{ProjectID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		ids[f.Fingerprint] = f.ID
	}

	// Without a session: to the sign-in page and back, nothing shown.
	b := newBrowser(t, h.url)
	path := fmt.Sprintf("/scans/%d", second.ID)
	resp, body := b.get(path)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(path) {
		t.Fatalf("scan page without a session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, secret := range []string{"platform/payments", sha, "Finding"} {
		if strings.Contains(body, secret) {
			t.Errorf("the page without a session shows %q:\n%s", secret, body)
		}
	}
	if resp, _ := b.get("/scans/999999"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("unknown scan without a session: %d, want the same redirect as a known one", resp.StatusCode)
	}
	_, login := b.get(resp.Header.Get("Location"))
	resp, _ = b.post("/login", url.Values{"csrf_token": {csrf(t, login)}, "token": {adminToken}, "next": {path}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("sign-in from the scan page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, page := b.get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scan page: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{
		fmt.Sprintf(`<a href="/projects/%d">platform/payments</a>`, p.ID),
		"main (merging into release)",
		`<a href="https://gitlab.example.com/platform/payments/-/commit/` + sha + `">` + sha + `</a>`,
		`<a href="https://gitlab.example.com/platform/payments/-/merge_requests/7">merge request !7</a>`,
		`data-status="succeeded"`, "took 1m30s",
		"Incomplete: 1 input could not be read: deploy/app.yaml:4",
		"<td>error</td><td>deploy/app.yaml:4</td><td>mapping values are not allowed here</td>",
		`href="https://gitlab.example.com/platform/payments/-/blob/` + sha + `/src/app.go#L13">src/app.go:13</a>`,
		"example.com/lib@1.2.3",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("scan page lacks %q", want)
		}
	}
	groups := map[string][]int64{store.ChangeNew: {ids["fp-3"]}, store.ChangeExisting: {ids["fp-1"], ids["fp-2"]}, store.ChangeFixed: {ids["fp-0"]}}
	for change, want := range groups {
		table := tableOf(t, page, `data-change="`+change+`"`)
		if n := strings.Count(table, `href="/findings/`); n != len(want) {
			t.Errorf("%s findings: %d rows, want %d:\n%s", change, n, len(want), table)
		}
		for _, id := range want {
			if !strings.Contains(table, fmt.Sprintf(`href="/findings/%d"`, id)) {
				t.Errorf("%s findings lack finding %d:\n%s", change, id, table)
			}
		}
	}
	if strings.Contains(page, fmt.Sprintf(`href="/findings/%d"`, ids["fp-9"])) {
		t.Error("the scan page lists another branch's finding")
	}

	// The first scan found 0, 1 and 2, all new then; 3 came later.
	_, page = b.get(fmt.Sprintf("/scans/%d", first.ID))
	if table := tableOf(t, page, `data-change="new"`); strings.Count(table, `href="/findings/`) != 3 || strings.Contains(table, fmt.Sprintf(`href="/findings/%d"`, ids["fp-3"])) {
		t.Errorf("first scan's new findings:\n%s", table)
	}
	if !strings.Contains(page, "push") || strings.Contains(page, "merge request !") {
		t.Error("first scan's trigger")
	}
	_, page = b.get(fmt.Sprintf("/scans/%d", failed.ID))
	if !strings.Contains(page, "clone: authentication failed") || !strings.Contains(page, "it failed") || strings.Contains(page, `data-change=`) {
		t.Errorf("failed scan page:\n%s", page)
	}
	if resp, _ := b.get("/scans/999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown scan: %d", resp.StatusCode)
	}
	// The findings page filters by scan and change too.
	_, page = b.get(fmt.Sprintf("/findings?scan_id=%d&change=fixed", second.ID))
	if strings.Count(page, `href="/findings/`) != 1 || !strings.Contains(page, fmt.Sprintf(`href="/findings/%d"`, ids["fp-0"])) {
		t.Errorf("findings page by scan:\n%s", page)
	}

	// The API: the same findings.
	var list struct {
		Items []store.Finding `json:"items"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/findings?scan_id=%d", second.ID), nil, 200, &list)
	if len(list.Items) != 4 {
		t.Errorf("API findings of scan %d: %d, want 4", second.ID, len(list.Items))
	}
	for change, want := range groups {
		h.admin("GET", fmt.Sprintf("/api/v1/findings?scan_id=%d&change=%s", second.ID, change), nil, 200, &list)
		var got []int64
		for _, f := range list.Items {
			got = append(got, f.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("API %s findings of scan %d: %v, want %v", change, second.ID, got, want)
		}
	}
	h.admin("GET", fmt.Sprintf("/api/v1/findings?scan_id=%d", other.ID), nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ids["fp-9"] {
		t.Errorf("API findings of the dev scan: %+v", list.Items)
	}
	h.admin("GET", fmt.Sprintf("/api/v1/findings?scan_id=%d", failed.ID), nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("API findings of a failed scan: %d", len(list.Items))
	}
	h.admin("GET", "/api/v1/findings?change=new", nil, http.StatusUnprocessableEntity, nil)
	h.admin("GET", fmt.Sprintf("/api/v1/findings?scan_id=%d&change=gone", second.ID), nil, http.StatusUnprocessableEntity, nil)
}

// tableOf is the table of page that contains marker.
func tableOf(t *testing.T, page, marker string) string {
	t.Helper()
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("page lacks %q:\n%s", marker, page)
	}
	start := strings.LastIndex(page[:i], "<table")
	end := strings.Index(page[i:], "</table>")
	return page[start : i+end]
}
