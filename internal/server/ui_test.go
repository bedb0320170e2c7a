package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the CSRF token in a page's forms.
func csrf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf_token field in the page:\n%s", page)
	}
	return m[1]
}

// signIn signs b in with token and returns the CSRF token of its session.
func (b *browser) signIn(token string) string {
	b.t.Helper()
	_, page := b.get("/login")
	resp, body := b.post("/login", url.Values{"csrf_token": {csrf(b.t, page)}, "token": {token}, "next": {"/findings"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/findings" {
		b.t.Fatalf("sign-in: %d %s: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = b.get("/findings")
	return csrf(b.t, page)
}

// seedFindings stores n findings of one project, as a scan would.
func seedFindings(t testing.TB, h *harness, n int) (store.Project, []store.Finding) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	in := store.Integration{Name: "gl", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{1}, WebhookSealed: []byte{2}, Selection: store.SelectAll}
	if err := h.store.CreateIntegration(ctx, &in, now); err != nil {
		t.Fatal(err)
	}
	p := store.Project{IntegrationID: in.ID, GitLabID: 77, Path: "platform/payments", WebURL: "https://gitlab.example.com/platform/payments", DefaultBranch: "main", Selected: true}
	if _, err := h.store.UpsertProject(ctx, &p, now); err != nil {
		t.Fatal(err)
	}
	sevs := []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low}
	fs := make([]finding.Finding, n)
	for i := range fs {
		fs[i] = finding.Finding{Kind: finding.KindVulnerability, ID: fmt.Sprintf("GHSA-%04d", i), Severity: sevs[i%len(sevs)], Title: fmt.Sprintf("Vulnerability %d in example.com/lib", i),
			Description: "A crafted request makes the parser loop.\n\nUpgrade to 1.2.4.", References: []string{"https://osv.dev/vulnerability/GHSA-" + fmt.Sprint(i)},
			Fingerprint: fmt.Sprintf("fp-%d", i), Location: finding.Location{Path: "go.mod", StartLine: 3 + i%50}}
	}
	err := h.store.InTx(ctx, func(tx *store.Tx) error {
		sc := store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: "main"}
		if err := tx.CreateScan(ctx, &sc, now); err != nil {
			return err
		}
		_, err := tx.RecordFindings(ctx, p.ID, "main", sc.ID, fs, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.store.Findings(ctx, store.FindingFilter{ProjectID: p.ID, Limit: 10})
	if err != nil || len(stored) == 0 {
		t.Fatalf("seeded findings: %v %d", err, len(stored))
	}
	return p, stored
}

// TestUISessionsAndCSRF: sign-in exchanges an API token for an HttpOnly,
// SameSite session cookie; every form needs the CSRF token (403 without);
// viewers cannot triage; sign-out and the API revoke a session; expired
// sessions do not work.
func TestUISessionsAndCSRF(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	_, fs := seedFindings(t, h, 3)
	b := newBrowser(t, h.url)

	// No session: pages go to the sign-in form, form posts are refused.
	resp, _ := b.get("/findings?state=open")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/findings?state=open") {
		t.Fatalf("no session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.post(fmt.Sprintf("/findings/%d/dismiss", fs[0].ID), url.Values{"reason": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("post without session: %d", resp.StatusCode)
	}

	// The sign-in form: no CSRF token, a wrong one, a bad API token.
	_, page := b.get("/login")
	tok := csrf(t, page)
	for name, form := range map[string]url.Values{
		"no csrf":    {"token": {adminToken}},
		"wrong csrf": {"token": {adminToken}, "csrf_token": {tok + "x"}},
	} {
		if resp, _ := b.post("/login", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, resp.StatusCode)
		}
	}
	other := newBrowser(t, h.url) // a cookie of its own: another site's forged post
	if resp, _ := other.post("/login", url.Values{"token": {adminToken}, "csrf_token": {tok}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("csrf token without its cookie: status %d, want 403", resp.StatusCode)
	}
	resp, body := b.post("/login", url.Values{"token": {"alk_not_a_token"}, "csrf_token": {tok}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
		t.Fatalf("bad token: %d %s", resp.StatusCode, body)
	}

	// Signed in.
	_, page = b.get("/login")
	resp, _ = b.post("/login", url.Values{"token": {adminToken}, "csrf_token": {csrf(t, page)}, "next": {"//evil.example/x"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d %q (an off-site next must not be followed)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "airlock_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Fatalf("session cookie %+v", cookie)
	}
	if n := h.count(`SELECT COUNT(*) FROM web_session WHERE hash = '%s'`, cookie.Value); n != 0 {
		t.Fatal("the session cookie is stored in clear")
	}
	_, page = b.get(fmt.Sprintf("/findings/%d", fs[0].ID))
	sessCSRF := csrf(t, page)
	path := fmt.Sprintf("/findings/%d/dismiss", fs[0].ID)
	if resp, _ := b.post(path, url.Values{"reason": {"test fixture"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dismiss without csrf: %d", resp.StatusCode)
	}
	if resp, _ := b.post(path, url.Values{"reason": {"test fixture"}, "csrf_token": {tok}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dismiss with the sign-in form's csrf: %d", resp.StatusCode)
	}
	if resp, body := b.post(path, url.Values{"reason": {"test fixture"}, "csrf_token": {sessCSRF}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d %s", resp.StatusCode, body)
	}
	if got := h.count(`SELECT COUNT(*) FROM audit WHERE action = 'finding.dismiss' AND detail = 'test fixture'`); got != 1 {
		t.Fatalf("dismissals audited: %d", got)
	}

	// A viewer sees but cannot triage.
	var vt struct {
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "auditor", "role": "viewer"}, http.StatusCreated, &vt)
	v := newBrowser(t, h.url)
	vcsrf := v.signIn(vt.Token)
	if resp, _ := v.post(fmt.Sprintf("/findings/%d/reopen", fs[0].ID), url.Values{"csrf_token": {vcsrf}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer reopen: %d", resp.StatusCode)
	}
	if resp, _ := v.get("/audit"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer audit page: %d", resp.StatusCode)
	}

	// Revoked through the API: the viewer's session stops working.
	var ss struct {
		Items []store.Session `json:"items"`
	}
	h.admin("GET", "/api/v1/sessions", nil, 200, &ss)
	if len(ss.Items) != 2 {
		t.Fatalf("sessions %+v", ss.Items)
	}
	h.admin("DELETE", fmt.Sprintf("/api/v1/sessions/%d", ss.Items[0].ID), nil, http.StatusNoContent, nil)
	if resp, _ := v.get("/findings"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoked session: %d", resp.StatusCode)
	}

	// Sign-out needs the CSRF token, then ends the session.
	if resp, _ := b.post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without csrf: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/logout", url.Values{"csrf_token": {sessCSRF}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/findings"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
	if n := h.count(`SELECT COUNT(*) FROM web_session`); n != 0 {
		t.Fatalf("%d sessions left", n)
	}

	// An expired session is refused.
	b.signIn(adminToken)
	if _, err := h.store.DB().Exec(`UPDATE web_session SET expires_at = ?`, time.Now().Add(-time.Second).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("/findings"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session: %d", resp.StatusCode)
	}
}

// BenchmarkUIPages renders every page over 10,000 findings, signed in:
// the dashboard; the first and a deep page of the findings list (50 rows
// a page) and its filters (severity, rule, package, a scan's new
// findings); a finding; the hub and an integration; the projects and a
// project; the scan that found them all; fix plans, audit, data. The
// target is under 200 ms a page (ms/page).
func BenchmarkUIPages(b *testing.B) {
	h := newHarness(b, store.SQLite, options{})
	p, fs := seedFindings(b, h, 10000)
	if n := h.count(`SELECT COUNT(*) FROM finding`); n != 10000 {
		b.Fatalf("%d findings seeded", n)
	}
	br := newBrowser(b, h.url)
	br.signIn(adminToken)
	deep := fs[0].ID + 9000
	for _, path := range []string{"/", "/findings?state=open", fmt.Sprintf("/findings?state=open&after=%d", deep), "/findings?severity=critical&state=open",
		"/findings?rule_id=GHSA-0005", "/findings?package=example.com/lib", fmt.Sprintf("/findings?scan_id=%d&change=new", fs[0].FirstScanID),
		fmt.Sprintf("/findings/%d", fs[5].ID), "/integrations", fmt.Sprintf("/integrations/%d", p.IntegrationID), "/projects", fmt.Sprintf("/projects/%d", p.ID),
		fmt.Sprintf("/scans/%d", fs[0].FirstScanID), "/fix-plans", "/audit", "/data"} {
		b.Run(strings.NewReplacer("/", "_", "?", "_").Replace(path), func(b *testing.B) {
			for b.Loop() {
				resp, body := br.get(path)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "</html>") {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// TestUIDashboard: open findings by severity and kind exclude dismissed
// ones, the trend counts findings not fixed, the riskiest project leads,
// the page draws the trend as SVG, and the API serves the same data.
func TestUIDashboard(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { uiDashboard(t, d) })
	}
}

func uiDashboard(t *testing.T, engine store.Dialect) {
	h := newHarness(t, engine, options{})
	_, fs := seedFindings(t, h, 3) // critical, high, medium
	h.admin("POST", fmt.Sprintf("/api/v1/findings/%d/dismiss", fs[2].ID), map[string]string{"reason": "test fixture"}, 200, nil)
	var d struct {
		Open       int            `json:"open"`
		BySeverity map[string]int `json:"by_severity"`
		ByKind     map[string]int `json:"by_kind"`
		Trend      []struct {
			Unfixed int `json:"unfixed"`
		} `json:"trend"`
		Riskiest []store.ProjectRisk `json:"riskiest_projects"`
	}
	h.admin("GET", "/api/v1/dashboard", nil, 200, &d)
	if d.Open != 2 || d.BySeverity["critical"] != 1 || d.BySeverity["high"] != 1 || d.BySeverity["medium"] != 0 || d.ByKind["vulnerability"] != 2 {
		t.Fatalf("counts %+v", d)
	}
	// The dismissed finding is not on the trend either.
	if len(d.Trend) != 30 || d.Trend[29].Unfixed != 2 || d.Trend[0].Unfixed != 0 {
		t.Fatalf("trend %+v", d.Trend)
	}
	if len(d.Riskiest) != 1 || d.Riskiest[0].Path != "platform/payments" || d.Riskiest[0].Critical != 1 || d.Riskiest[0].Open != 2 {
		t.Fatalf("riskiest %+v", d.Riskiest)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	_, page := b.get("/")
	for _, want := range []string{"<svg", `role="img"`, "from 0 to 2", "platform/payments", "no vulnerability data imported"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}
