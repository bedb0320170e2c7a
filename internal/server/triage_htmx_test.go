package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestUIFindingsTriage: the findings page offers an admin dismiss (with
// a reason) and reopen on each row. Through htmx (HX-Request) the answer
// is the finding's new row alone, which replaces the old one; a refusal
// is said in the row with 422; without htmx the form redirects back to
// the same findings page with a notice. The CSRF token is checked either
// way, and viewers get no forms.
func TestUIFindingsTriage(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	_, fs := seedFindings(t, h, 3)
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	_, page := b.get("/findings?state=open")
	token := csrf(t, page)
	row := rowOf(t, page, fmt.Sprintf(`id="finding-row-%d"`, fs[0].ID))
	for _, want := range []string{fmt.Sprintf(`hx-post="/findings/%d/dismiss"`, fs[0].ID), `hx-target="closest tr"`, `name="back" value="/findings?limit=50&amp;state=open"`, `name="csrf_token"`} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q:\n%s", want, row)
		}
	}
	form := func(v url.Values) []byte { return []byte(v.Encode()) }
	hx := http.Header{"Hx-Request": {"true"}}
	dismiss := fmt.Sprintf("/findings/%d/dismiss", fs[0].ID)
	resp, body := b.send(dismiss, "application/x-www-form-urlencoded", hx, form(url.Values{"csrf_token": {token}, "reason": {"test fixture"}, "back": {"/findings?limit=50&state=open"}}))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, fmt.Sprintf(`<tr id="finding-row-%d" data-state="dismissed" `, fs[0].ID)) || strings.Contains(body, "<html") ||
		!strings.Contains(body, fmt.Sprintf(`hx-post="/findings/%d/reopen"`, fs[0].ID)) || !strings.Contains(body, "test fixture") || !strings.Contains(body, "finding dismissed") {
		t.Errorf("htmx dismiss: %d\n%s", resp.StatusCode, body)
	}
	if f, err := h.store.Finding(t.Context(), fs[0].ID); err != nil || f.Dismissal == nil {
		t.Fatalf("not dismissed: %v %+v", err, f)
	}
	// A refusal: in the row, with 422.
	resp, body = b.send(fmt.Sprintf("/findings/%d/dismiss", fs[1].ID), "application/x-www-form-urlencoded", hx, form(url.Values{"csrf_token": {token}, "reason": {"  "}}))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(body, fmt.Sprintf(`<tr id="finding-row-%d" data-state="open" `, fs[1].ID)) || !strings.Contains(body, "reason is required") {
		t.Errorf("htmx dismiss without a reason: %d\n%s", resp.StatusCode, body)
	}
	// The CSRF token is checked for htmx too.
	if resp, _ := b.send(fmt.Sprintf("/findings/%d/reopen", fs[0].ID), "application/x-www-form-urlencoded", hx, form(url.Values{"csrf_token": {"nope"}})); resp.StatusCode != http.StatusForbidden {
		t.Errorf("htmx reopen with a wrong csrf token: %d", resp.StatusCode)
	}
	// Without htmx: back to the same findings page, with a notice.
	resp, body = b.post(fmt.Sprintf("/findings/%d/reopen", fs[0].ID), url.Values{"csrf_token": {token}, "back": {"/findings?limit=50&notice=old&state=open"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/findings?limit=50&notice=finding+reopened&state=open" {
		t.Errorf("plain reopen: %d %q\n%s", resp.StatusCode, loc, body)
	}
	// A back elsewhere is not followed.
	resp, _ = b.post(fmt.Sprintf("/findings/%d/dismiss", fs[0].ID), url.Values{"csrf_token": {token}, "reason": {"x"}, "back": {"//evil.example/findings?x"}})
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, fmt.Sprintf("/findings/%d?notice=", fs[0].ID)) {
		t.Errorf("back to another site: %q", loc)
	}
	var vt struct {
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "auditor", "role": "viewer"}, http.StatusCreated, &vt)
	v := newBrowser(t, h.url)
	v.signIn(vt.Token)
	if _, page := v.get("/findings"); strings.Contains(page, "hx-post") || strings.Contains(page, ">Triage<") {
		t.Error("a viewer is offered triage on the findings page")
	}
}

// TestUIBrowserTriageInPlace: in Chromium, dismissing a finding on the
// findings page replaces its row through htmx (the page does not
// navigate), and reopening it does too.
func TestUIBrowserTriageInPlace(t *testing.T) {
	d := newUIDriver(t, "")
	h := newHarness(t, store.SQLite, options{})
	d.base = h.url
	_, fs := seedFindings(t, h, 3)
	row := fmt.Sprintf("#finding-row-%d", fs[1].ID)
	d.signIn("/findings?state=open", row+" .dismiss")
	d.run("mark the page", chromedp.Evaluate[chromedp.Void](`window.airlockMarker = "same page"`))
	d.run("dismiss",
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#reason-%d", fs[1].ID)), "accepted risk"),
		chromedp.Click(chromedp.CSS(row+" .dismiss")),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-state="dismissed"] .reopen`)),
		// htmx processes the swapped-in row (its hx- attributes) when it
		// settles, then fires htmx:load, on which copy.js adds the row's
		// Copy button: until then a click would post the form natively.
		chromedp.WaitVisible(chromedp.CSS(row+`[data-state="dismissed"] button.copy`)),
	)
	text := d.text("dismiss", row)
	marker := get(d, "dismiss", chromedp.Evaluate[string](`String(window.airlockMarker)`))
	d.check("dismiss", marker == "same page" && strings.Contains(text, "accepted risk") && strings.Contains(text, "finding dismissed"), "marker %q, row %q", marker, text)
	if f, err := h.store.Finding(t.Context(), fs[1].ID); err != nil || f.Dismissal == nil || f.Dismissal.Reason != "accepted risk" {
		t.Fatalf("not dismissed: %v %+v", err, f.Dismissal)
	}
	d.run("reopen",
		chromedp.Click(chromedp.CSS(row+" .reopen")),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-state="open"] .dismiss`)),
	)
	marker = get(d, "reopen", chromedp.Evaluate[string](`String(window.airlockMarker)`))
	d.check("reopen", marker == "same page", "the page navigated (marker %q)", marker)
	if f, err := h.store.Finding(t.Context(), fs[1].ID); err != nil || f.Dismissal != nil {
		t.Fatalf("not reopened: %v %+v", err, f.Dismissal)
	}
}

// TestUISearchPartials: the projects page's search and the integration
// page's project search answer htmx (HX-Request) with the list alone,
// which replaces the one on the page as the user types; a history
// restore and a plain request get the whole page.
func TestUISearchPartials(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	p, _ := seedFindings(t, h, 1)
	other := store.Project{IntegrationID: p.IntegrationID, GitLabID: 78, Path: "billing/invoices", DefaultBranch: "main"}
	if _, err := h.store.UpsertProject(t.Context(), &other, time.Now()); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	hxGet := func(path string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", h.url+path, nil)
		req.Header = header
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	hx := http.Header{"Hx-Request": {"true"}}
	code, body := hxGet("/projects?search=billing", hx)
	if code != 200 || !strings.HasPrefix(body, `<div id="project-list"`) || strings.Contains(body, "<html") || !strings.Contains(body, "billing/invoices") || strings.Contains(body, "platform/payments") {
		t.Errorf("projects search partial: %d\n%s", code, body)
	}
	code, body = hxGet("/projects?search=billing", http.Header{"Hx-Request": {"true"}, "Hx-History-Restore-Request": {"true"}})
	if code != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, `id="project-list"`) {
		t.Errorf("history restore: %d\n%s", code, body)
	}
	_, page := b.get("/projects")
	for _, want := range []string{`hx-get="/projects"`, `hx-trigger="keyup changed delay:300ms, search"`, `hx-target="#project-list"`, `<div id="project-list"`} {
		if !strings.Contains(page, want) {
			t.Errorf("projects page lacks %q", want)
		}
	}
	path := fmt.Sprintf("/integrations/%d", p.IntegrationID)
	code, body = hxGet(path+"?q=pay", hx)
	if code != 200 || !strings.HasPrefix(body, `<table id="selection-projects"`) || strings.Contains(body, "<html") || !strings.Contains(body, "platform/payments") || strings.Contains(body, "billing/invoices") || !strings.Contains(body, "1 of 2 projects matching") {
		t.Errorf("selection search partial: %d\n%s", code, body)
	}
	_, page = b.get(path + "?q=pay")
	if !strings.Contains(page, `hx-target="#selection-projects"`) || !strings.Contains(page, `<table id="selection-projects"`) || !strings.Contains(page, "Save selection") {
		t.Errorf("integration page:\n%s", page)
	}
}

// TestUIWizardTestPartial: the wizard's Test Connection through htmx
// answers its result alone (the form, and the token typed, stay in the
// page); without htmx the whole wizard comes back.
func TestUIWizardTestPartial(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	_, tok, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	b := newBrowser(t, h.url)
	token := b.signIn(adminToken)
	form := func(tk string) []byte {
		return []byte(url.Values{"csrf_token": {token}, "url": {h.gl.URL}, "route": {"direct"}, "auth": {"token"}, "token": {tk}, "action": {"test"}}.Encode())
	}
	hx := http.Header{"Hx-Request": {"true"}}
	resp, body := b.send("/integrations/new", "application/x-www-form-urlencoded", hx, form("glpat-not-the-right-token-000"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(body, `<div id="wizard-result"`) || !strings.Contains(body, `id="wizard-error"`) || strings.Contains(body, "<form") {
		t.Errorf("htmx test, wrong token: %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.send("/integrations/new", "application/x-www-form-urlencoded", hx, form(tok.Value))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `<div id="wizard-result"`) || !strings.Contains(body, `id="check-ok"`) || strings.Contains(body, tok.Value) {
		t.Errorf("htmx test: %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.send("/integrations/new", "application/x-www-form-urlencoded", nil, form(tok.Value))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html") || !strings.Contains(body, `id="check-ok"`) {
		t.Errorf("plain test: %d\n%s", resp.StatusCode, body)
	}
	if n := h.count(`SELECT COUNT(*) FROM integration`); n != 0 {
		t.Errorf("tests saved %d integrations", n)
	}
}

// TestUIBrowserProjectSearch: in Chromium, typing in the projects page's
// search replaces the list through htmx as the user types (no submit, no
// navigation), and the address follows the search.
func TestUIBrowserProjectSearch(t *testing.T) {
	d := newUIDriver(t, "")
	h := newHarness(t, store.SQLite, options{})
	d.base = h.url
	p, _ := seedFindings(t, h, 1)
	other := store.Project{IntegrationID: p.IntegrationID, GitLabID: 78, Path: "billing/invoices", DefaultBranch: "main"}
	if _, err := h.store.UpsertProject(t.Context(), &other, time.Now()); err != nil {
		t.Fatal(err)
	}
	d.signIn("/projects", "#p-search")
	d.run("mark the page", chromedp.Evaluate[chromedp.Void](`window.airlockMarker = "same page"`))
	d.run("search",
		chromedp.SendKeys(chromedp.CSS("#p-search"), "billing"),
		chromedp.Poll[chromedp.Void](`!document.getElementById("project-list").textContent.includes("platform/payments")`),
	)
	list := d.text("search", "#project-list")
	marker := get(d, "search", chromedp.Evaluate[string](`String(window.airlockMarker)`))
	loc := d.location("search")
	d.check("search", marker == "same page" && strings.Contains(list, "billing/invoices") && strings.Contains(loc, "search=billing"), "marker %q, at %s, list %q", marker, loc, list)
}
