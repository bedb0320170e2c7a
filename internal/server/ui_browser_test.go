package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
)

// chromium finds the browser the UI tests drive, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed (Debian: apt-get install -y chromium): the browser tests of the web UI are skipped")
	return ""
}

// uiDriver is a headless Chromium tab; a failed step saves a screenshot
// in the test's artifact directory (kept with go test -artifacts).
type uiDriver struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newUIDriver(t *testing.T, base string) *uiDriver {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &uiDriver{t: t, ctx: ctx, base: base}
}

// run performs one step within 30s; on failure it saves a screenshot and
// the page's HTML and fails the test.
func (d *uiDriver) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		d.fail(step, err)
	}
}

// get runs an action that reads the page.
func get[T any](d *uiDriver, step string, a chromedp.Action[T]) T {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		d.fail(step, err)
	}
	return v
}

func (d *uiDriver) text(step, sel string) string {
	d.t.Helper()
	return get(d, step, chromedp.Text(chromedp.CSS(sel)))
}

// waitNotice waits for the page's notice to say want (a form post's
// redirect lands on a page that says what was done) and returns it.
func (d *uiDriver) waitNotice(step, want string) string {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(d.ctx, 5*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".notice") || {textContent: ""}).textContent`))
		cancel()
		if err == nil {
			last = v
			if strings.Contains(v, want) {
				return v
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.fail(step, fmt.Errorf("no notice saying %q; the last was %q", want, last))
	return ""
}

func (d *uiDriver) location(step string) string {
	d.t.Helper()
	return get(d, step, chromedp.Location())
}

func (d *uiDriver) fail(step string, err error) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	// go test -artifacts keeps the test's artifact directory; without
	// it (CI's plain go test) the directory goes with the test, so the
	// files are also written where they stay: $AIRLOCK_UI_FAILURES, or
	// airlock-ui-failures in the system's temporary directory.
	keep := os.Getenv("AIRLOCK_UI_FAILURES")
	if keep == "" {
		keep = filepath.Join(os.TempDir(), "airlock-ui-failures")
	}
	name := strings.NewReplacer(" ", "-", "/", "-").Replace(step)
	var shots []string
	for _, dir := range []string{d.t.ArtifactDir(), filepath.Join(keep, strings.ReplaceAll(d.t.Name(), "/", "-"))} {
		if os.MkdirAll(dir, 0o755) != nil {
			continue
		}
		shot := filepath.Join(dir, name+".png")
		if os.WriteFile(shot, png, 0o644) == nil {
			shots = append(shots, shot)
		}
		os.WriteFile(filepath.Join(dir, name+".html"), []byte(html), 0o644)
	}
	d.t.Fatalf("%s: %v\nat %s; screenshot and page: %s (the first kept with go test -artifacts)", step, err, loc, strings.Join(shots, ", "))
}

// signIn opens path, signs in with the admin token on the sign-in page
// it is sent to, and waits until ready is visible on path.
func (d *uiDriver) signIn(path, ready string) {
	d.t.Helper()
	d.run("sign in",
		chromedp.Navigate(d.base+path),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(ready)),
	)
}

// check fails the step when cond is false.
func (d *uiDriver) check(step string, ok bool, format string, args ...any) {
	d.t.Helper()
	if !ok {
		d.fail(step, fmt.Errorf(format, args...))
	}
}

// TestUIBrowser drives the web UI in headless Chromium against a real
// server and the GitLab stand-in: sign in, the connect wizard (a wrong
// token's actionable error, Test Connection, Connect), a selection
// change, dismissing and reopening a finding, approving a fix plan,
// Projects to a project and its Scan now.
func TestUIBrowser(t *testing.T) {
	d := newUIDriver(t, "")
	h := newHarness(t, store.SQLite, options{work: true})
	d.base = h.url
	gl := h.gl
	u, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n", "deploy/env.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"})

	// Sign in: the sign-in page returns to where the user was going.
	var loc string
	d.signIn("/integrations", "#connect-gitlab")
	loc = d.location("sign in")
	d.check("sign in", loc == h.url+"/integrations", "after sign-in at %s", loc)

	// The wizard: a wrong token says what is wrong and what to do.
	var errText string
	d.run("wizard wrong token",
		chromedp.Click(chromedp.CSS("#connect-gitlab")),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SendKeys(chromedp.CSS("#url"), gl.URL),
		chromedp.SendKeys(chromedp.CSS("#name"), "corp"),
		chromedp.SendKeys(chromedp.CSS("#token"), "glpat-not-the-right-token-000"),
		chromedp.Click(chromedp.CSS("#test")),
		chromedp.WaitVisible(chromedp.CSS("#wizard-error")),
	)
	errText = d.text("wizard wrong token", "#wizard-error")
	d.check("wizard wrong token", strings.Contains(errText, "What to do:"), "error without a hint: %q", errText)
	if n := h.count(`SELECT COUNT(*) FROM integration`); n != 0 {
		t.Fatalf("a failed test saved %d integrations", n)
	}
	// Test Connection answers in place through htmx: the page does not
	// navigate, and the form keeps what was typed.
	d.run("mark the wizard", chromedp.Evaluate[chromedp.Void](`window.airlockMarker = "same page"`))
	var okText, urlValue string
	urlValue = get(d, "wizard test connection", chromedp.Value(chromedp.CSS("#url")))
	d.run("wizard test connection",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("token").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#token"), tok.Value),
		chromedp.Click(chromedp.CSS("#test")),
		chromedp.WaitVisible(chromedp.CSS("#check-ok")),
	)
	okText = d.text("wizard test connection", "#check-ok")
	marker := get(d, "wizard test connection", chromedp.Evaluate[string](`String(window.airlockMarker) + " " + document.querySelectorAll("#wizard-error").length`))
	d.check("wizard test connection", urlValue == gl.URL && strings.Contains(okText, "airlock-bot") && marker == "same page 0", "url %q, result %q, marker and errors %q", urlValue, okText, marker)
	var notice string
	d.run("wizard connect",
		chromedp.Click(chromedp.CSS("#connect")),
		chromedp.WaitVisible(chromedp.CSS("#save-selection")),
	)
	notice, loc = d.text("wizard connect", ".notice"), d.location("wizard connect")
	d.check("wizard connect", strings.Contains(notice, "connected"), "notice %q at %s", notice, loc)
	ins, err := h.store.Integrations(context.Background())
	if err != nil || len(ins) != 1 || ins[0].Name != "corp" || ins[0].Selection != store.SelectAllFuture {
		t.Fatalf("integrations %+v %v", ins, err)
	}
	in := ins[0]

	// Selection: the discovered project is listed; choose the list mode.
	box := fmt.Sprintf("#p%d", p.ID)
	deadline := time.Now().Add(30 * time.Second)
	for {
		d.run("selection: project listed", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1")))
		present := get(d, "selection: project listed", chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", box)))
		if present {
			break
		}
		if time.Now().After(deadline) {
			d.fail("selection: project listed", fmt.Errorf("project %s not listed after discovery", p.Path))
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.run("selection",
		chromedp.Click(chromedp.CSS(`input[name=selection][value=list]`)),
		chromedp.Click(chromedp.CSS("#save-selection")),
	)
	d.waitNotice("selection", "selection saved")
	in, err = h.store.Integration(context.Background(), in.ID)
	if err != nil || in.Selection != store.SelectList || len(in.SelectedIDs) != 1 || in.SelectedIDs[0] != int64(p.ID) {
		t.Fatalf("selection %s %v: %v", in.Selection, in.SelectedIDs, err)
	}

	// Triage: the onboarding scan's leaked key is dismissed, then reopened.
	var pr store.Project
	eventually(t, 30*time.Second, "the project", func() bool {
		ps, err := h.store.Projects(context.Background(), store.ProjectFilter{IntegrationID: in.ID})
		if err == nil && len(ps) == 1 {
			pr = ps[0]
		}
		return pr.ID != 0
	})
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)
	var state string
	d.run("dismiss",
		chromedp.Navigate(h.url+"/findings?state=open"),
		chromedp.Click(chromedp.CSS(`table a[href^="/findings/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#reason")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "rotated already; test fixture"),
		chromedp.Click(chromedp.CSS("#dismiss")),
		chromedp.WaitVisible(chromedp.CSS("#reopen")),
	)
	state = d.text("dismiss", "#state")
	d.check("dismiss", strings.Contains(state, "dismissed") && strings.Contains(state, "rotated already"), "state %q", state)
	d.run("reopen",
		chromedp.Click(chromedp.CSS("#reopen")),
		chromedp.WaitVisible(chromedp.CSS("#dismiss")),
	)
	state = d.text("reopen", "#state")
	d.check("reopen", strings.TrimSpace(state) == "open", "state %q", state)

	// A fix plan is approved with a reason.
	_, err = h.store.RecordFixPlans(context.Background(), pr.ID, []store.FixPlan{{Key: "Go:golang.org/x/net@go.mod", Branch: "airlock/fix/x", Title: "Upgrade golang.org/x/net", Severity: "high", Bump: "patch", Digest: "d",
		Plan: json.RawMessage(`{"diff":"--- a/go.mod\n+++ b/go.mod\n-golang.org/x/net v0.1.0\n+golang.org/x/net v0.33.0\n"}`), Edits: json.RawMessage(`[{"Path":"go.mod","Old":"Z29sYW5nLm9yZy94L25ldCB2MC4xLjAK","New":"Z29sYW5nLm9yZy94L25ldCB2MC4zMy4wCg=="}]`)}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plans, err := h.store.FixPlans(context.Background(), pr.ID, store.PlanProposed)
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %+v: %v", plans, err)
	}
	id := plans[0].ID
	d.run("approve plan",
		chromedp.Navigate(h.url+"/fix-plans"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#reason-%d", id))),
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#reason-%d", id)), "patch bump, tests pass"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/fix-plans/%d/decision"] button[value=approve]`, id))),
	)
	d.waitNotice("approve plan", "approved")
	fp, err := h.store.FixPlan(context.Background(), id)
	if err != nil || fp.State == store.PlanProposed || fp.Reason != "patch bump, tests pass" || !strings.HasPrefix(fp.DecidedBy, "token:") {
		t.Fatalf("plan %+v: %v", fp, err)
	}

	// Projects: from the navigation to the project, then Scan now.
	d.run("scan now",
		chromedp.Navigate(h.url+"/"),
		chromedp.Click(chromedp.CSS(`nav a[href="/projects"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="/projects/%d"]`, pr.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/projects/%d"]`, pr.ID))),
		chromedp.WaitVisible(chromedp.CSS("#scan-now")),
		chromedp.Click(chromedp.CSS("#scan-now")),
	)
	d.waitNotice("scan now", "queued")
	if ss, err := h.store.Scans(context.Background(), store.ScanFilter{ProjectID: pr.ID}); err != nil || !slices.ContainsFunc(ss, func(s store.Scan) bool { return s.Trigger == store.TriggerManual }) {
		t.Fatalf("no manual scan queued: %+v %v", ss, err)
	}

	// The wizard through a GitLab OAuth application: the callback URL to
	// register is shown; GitLab authorizes and sends the browser back.
	app := gl.AddApplication(gitlabtest.Application{Name: "airlock", RedirectURI: h.url + "/integrations/oauth/callback", Scopes: []string{"api"}, UserID: u.ID})
	d.run("oauth wizard", chromedp.Navigate(h.url+"/integrations/new"), chromedp.WaitVisible(chromedp.CSS("#callback-url")))
	cb := d.text("oauth wizard", "#callback-url")
	d.check("oauth wizard", cb == app.RedirectURI, "callback URL shown %q, want %q", cb, app.RedirectURI)
	d.run("oauth connect",
		chromedp.SendKeys(chromedp.CSS("#url"), gl.URL),
		chromedp.SendKeys(chromedp.CSS("#name"), "corp-oauth"),
		chromedp.Click(chromedp.CSS(`input[name=auth][value=oauth]`)),
		chromedp.SendKeys(chromedp.CSS("#oauth_client_id"), app.UID),
		chromedp.SendKeys(chromedp.CSS("#oauth_client_secret"), app.Secret),
		chromedp.Click(chromedp.CSS("#authorize")),
	)
	d.waitNotice("oauth connect", "connected through the OAuth application")
	ins, err = h.store.Integrations(context.Background())
	if err != nil || len(ins) != 2 || ins[1].Name != "corp-oauth" || ins[1].TokenKind != "oauth" {
		t.Fatalf("integrations after OAuth connect %+v %v", ins, err)
	}
	if g, err := h.store.OAuthGrant(context.Background(), ins[1].ID); err != nil || !strings.Contains(g, app.UID) {
		t.Fatalf("grant %q %v", g, err)
	}
}
