package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
	"github.com/airlock-sec/airlock/internal/tunnel"
	"github.com/airlock-sec/airlock/internal/vuln"
)

const adminToken = "alk_test_admin_token_0123456789"

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is airlock (API, webhooks, workers) wired to a GitLab stand-in.
type harness struct {
	t       testing.TB
	gl      *gitlabtest.Server
	url     string
	store   *store.Store
	keyring *keyring.Keyring
	jobs    *river.Client[*sql.Tx]
	logs    *syncBuffer
	srv     *server.Server
	hub     *tunnel.Hub
}

type options struct {
	// work starts River's workers; without, the client only inserts jobs.
	work bool
	// poll is how often idle workers look for jobs; 50ms when zero.
	poll time.Duration
	// vulns is the vulnerability data scans use; nil scans for secrets.
	vulns vuln.Source
	// agents accepts on-prem agents (a hub and its relay).
	agents bool
	// fix turns remediation on.
	fix *job.FixConfig
	// registries are the mirrors the risk and license analyzers read.
	registries *registry.Set
	// licenses is the site's license policy (serve's licenses:).
	licenses *license.Policy
	// changePoll polls integrations routed via agent without a webhook
	// address this often (0: never).
	changePoll time.Duration
	// gitlab configures the GitLab stand-in.
	gitlab []gitlabtest.Option
	// data is the server's vulnerability data manager (uploads).
	data server.DataManager
	// maxUpload bounds uploaded bundles (0: the server's default).
	maxUpload int64
	// noPublicURL runs without a public URL: no webhook address.
	noPublicURL bool
	// pollOnly turns LISTEN/NOTIFY off on PostgreSQL (job.Config.PollOnly).
	pollOnly bool
	// worker runs the jobs in a second River client of its own, with its
	// own worker ID and workspace, as an 'airlock worker' beside an
	// 'airlock serve --workers 0' does; the server's client only inserts.
	// With work.
	worker bool
}

func newHarness(t testing.TB, d store.Dialect, o options) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, gl: gitlabtest.New(t, o.gitlab...), logs: &syncBuffer{}}
	h.store = storetest.Open(t, d)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", h.logs.String())
		}
	})
	kr, err := keyring.Open(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	h.keyring = kr
	if o.poll == 0 {
		o.poll = 50 * time.Millisecond
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	h.url = ts.URL
	rules, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	jc := job.Config{Store: h.store, Keyring: kr, Logger: log, WorkDir: t.TempDir(), HookURL: ts.URL + "/webhooks/gitlab", PublicURL: ts.URL, Rules: rules, VulnDB: o.vulns, PollInterval: o.poll, FailOn: finding.Threshold(finding.High.Rank()), Fix: o.fix, ChangePollInterval: o.changePoll, Registries: o.registries, Licenses: o.licenses, PollOnly: o.pollOnly}
	public := ts.URL
	if o.noPublicURL {
		jc.HookURL, jc.PublicURL, public = "", "", ""
	}
	if o.agents {
		hub, err := tunnel.NewHub(tunnel.HubConfig{Authenticate: server.AgentAuthenticator(h.store, time.Now), Logger: log, Wait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		relay, err := hub.StartRelay()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			relay.Close()
			hub.Close()
		})
		h.hub, jc.Agents, jc.Relay = hub, hub, relay
	}
	client, err := job.NewClient(jc, o.work && !o.worker)
	if err != nil {
		t.Fatal(err)
	}
	h.jobs = client
	if o.work {
		worker := client
		if o.worker {
			wc := jc
			wc.WorkDir = t.TempDir()
			if worker, err = job.NewClient(wc, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := worker.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			worker.Stop(sctx)
		})
	}
	if _, err := server.Bootstrap(ctx, h.store, adminToken, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.srv, err = server.New(server.Config{Store: h.store, Keyring: kr, Jobs: client, Logger: log, PublicURL: public, Version: "test", Agents: h.hub, Data: o.data, MaxBundleUpload: o.maxUpload})
	if err != nil {
		t.Fatal(err)
	}
	handler = h.srv.Handler()
	return h
}

// do calls the API and decodes the JSON answer into out (when not nil),
// failing the test on an unexpected status.
func (h *harness) do(method, path, token string, body any, want int, out any) []byte {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

func (h *harness) admin(method, path string, body any, want int, out any) []byte {
	h.t.Helper()
	return h.do(method, path, adminToken, body, want, out)
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// gitlabSetup is a GitLab user with a full-scope token and a project it
// maintains.
func gitlabSetup(gl *gitlabtest.Server, role gitlabtest.AccessLevel) (*gitlabtest.User, *gitlabtest.Token, *gitlabtest.Project) {
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot", Name: "Airlock Bot", Email: "bot@example.com"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-integration-token-AbC123xyz", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "platform/payments", Members: map[int]gitlabtest.AccessLevel{u.ID: role}})
	return u, tok, p
}

type integrationView struct {
	ID         int64                   `json:"id"`
	URL        string                  `json:"url"`
	WebhookURL string                  `json:"webhook_url"`
	Check      integration.CheckResult `json:"last_check"`
	Discovery  string                  `json:"discovery_status"`
	SystemHook *int64                  `json:"system_hook_id"`
}

type list[T any] struct {
	Items []T `json:"items"`
}

func TestEndToEnd(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { endToEnd(t, d) })
	}
}

func endToEnd(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{work: true})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n", "app/config.py": "DEBUG = False\n"})

	// Connect.
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "name": "corp"}, http.StatusCreated, &in)
	if !in.Check.OK || in.Check.Username != "airlock-bot" || len(in.Check.Scopes) != 3 {
		t.Fatalf("check %+v", in.Check)
	}
	// Discovery installs the project hook and runs a first scan.
	var pr store.Project
	eventually(t, 20*time.Second, "discovery and hook", func() bool {
		var ps list[store.Project]
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
		if len(ps.Items) == 1 && ps.Items[0].HookStatus == store.HookRegistered {
			pr = ps.Items[0]
			return true
		}
		return false
	})
	hooks := gl.Hooks(p)
	if len(hooks) != 1 || hooks[0].URL != in.WebhookURL || !hooks[0].PushEvents || !hooks[0].MergeRequestsEvents || !hooks[0].EnableSSLVerification || hooks[0].Token == "" {
		t.Fatalf("hooks %+v, want one to %s", hooks, in.WebhookURL)
	}
	webhookSecret := hooks[0].Token
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)

	// A push to the default branch with a leaked key is scanned.
	gl.Commit(p, "main", map[string]string{"deploy/env.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"}, "add deploy env")
	sc := waitScan(t, h, pr.ID, "main", store.TriggerPush)
	if sc.FindingsNew != 1 || sc.FindingsTotal != 1 {
		t.Fatalf("push scan %+v: want one new finding", sc)
	}

	// A merge request that adds a GitLab token: one note, a failed status.
	gl.Commit(p, "feature", map[string]string{"ci/release.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "release script")
	mr := gl.OpenMR(p, "feature", "main", "Release script")
	mrScan := waitScan(t, h, pr.ID, "feature", store.TriggerMergeRequest)
	if len(mrScan.Introduced) != 1 {
		t.Fatalf("merge request scan introduced %v, want the one GitLab token (the AWS key is on main already)", mrScan.Introduced)
	}
	var notes []gitlabtest.Note
	eventually(t, 20*time.Second, "the merge request note", func() bool {
		notes = gl.Notes(p, mr.IID)
		return len(notes) == 1 && len(gl.Statuses(p, mrScan.SHA)) > 0 && gl.Statuses(p, mrScan.SHA)[len(gl.Statuses(p, mrScan.SHA))-1].State == "failed"
	})
	if !strings.Contains(notes[0].Body, job.NoteMarker) || !strings.Contains(notes[0].Body, "gitlab") || strings.Contains(notes[0].Body, "AKIA") {
		t.Fatalf("note lists the wrong findings:\n%s", notes[0].Body)
	}
	if strings.Contains(notes[0].Body, "oljJr6tw4X01kxTMccUD") {
		t.Fatalf("note shows the secret unredacted:\n%s", notes[0].Body)
	}

	// Removing the token in a new push updates the same note and passes.
	gl.DeleteFiles(p, "feature", []string{"ci/release.sh"}, "drop release script")
	eventually(t, 20*time.Second, "the updated note", func() bool {
		notes = gl.Notes(p, mr.IID)
		return len(notes) == 1 && strings.Contains(notes[0].Body, "no new findings")
	})
	// The status follows the note in the same job.
	scans := latestScans(h, pr.ID, "feature")
	eventually(t, 20*time.Second, "the success status", func() bool {
		st := gl.Statuses(p, scans[0].SHA)
		return len(st) > 0 && st[len(st)-1].State == "success"
	})

	// Triage: dismiss the AWS key, then reopen it.
	var fs list[store.Finding]
	h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&branch=main&state=open", pr.ID), nil, 200, &fs)
	if len(fs.Items) != 1 || fs.Items[0].Kind != "secret" {
		t.Fatalf("open findings on main: %+v", fs.Items)
	}
	id := fs.Items[0].ID
	h.admin("POST", fmt.Sprintf("/api/v1/findings/%d/dismiss", id), map[string]string{}, 422, nil)
	var f store.Finding
	h.admin("POST", fmt.Sprintf("/api/v1/findings/%d/dismiss", id), map[string]string{"reason": "test credentials of the sandbox account"}, 200, &f)
	if f.State != store.FindingDismissed || f.Dismissal == nil {
		t.Fatalf("dismissed finding %+v", f)
	}
	h.admin("POST", fmt.Sprintf("/api/v1/findings/%d/reopen", id), nil, 200, &f)
	if f.State != store.FindingOpen {
		t.Fatalf("reopened finding %+v", f)
	}

	// Fixing it on main marks it fixed.
	gl.DeleteFiles(p, "main", []string{"deploy/env.sh"}, "remove key")
	eventually(t, 20*time.Second, "the fix", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&branch=main&state=fixed", pr.ID), nil, 200, &fs)
		return len(fs.Items) == 1
	})

	// Webhook deliveries are de-duplicated and authenticated.
	body := []byte(`{"object_kind":"push","ref":"refs/heads/other","after":"1111111111111111111111111111111111111111","project_id":1}`)
	post := func(token, key string) int { return postDelivery(t, in.WebhookURL, token, key, body) }
	if c := post("wrong", "k1"); c != 401 {
		t.Fatalf("wrong token: %d", c)
	}
	if c := post(webhookSecret, "k1"); c != 202 {
		t.Fatalf("first delivery: %d", c)
	}
	if c := post(webhookSecret, "k1"); c != 200 {
		t.Fatalf("retried delivery: %d", c)
	}

	// Secrets never leave the server: not in API answers, not in logs.
	for _, path := range []string{"/api/v1/integrations", fmt.Sprintf("/api/v1/integrations/%d", in.ID), fmt.Sprintf("/api/v1/integrations/%d/events", in.ID), "/api/v1/audit"} {
		b := h.admin("GET", path, nil, 200, nil)
		for _, s := range []string{tok.Value, webhookSecret} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s shows a secret", path)
			}
		}
	}

	// Delete: hooks removed from GitLab, everything purged.
	h.admin("DELETE", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 202, nil)
	eventually(t, 20*time.Second, "the purge", func() bool {
		var ins list[integrationView]
		h.admin("GET", "/api/v1/integrations", nil, 200, &ins)
		var n int
		h.store.DB().QueryRow(`SELECT COUNT(*) FROM integration`).Scan(&n)
		return len(ins.Items) == 0 && n == 0
	})
	if hs := gl.Hooks(p); len(hs) != 0 {
		t.Fatalf("hooks left on GitLab: %+v", hs)
	}
	var n int
	for _, table := range []string{"project", "scan", "finding", "webhook_event"} {
		h.store.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	logs := h.logs.String()
	for _, s := range []string{tok.Value, webhookSecret, "oljJr6tw4X01kxTMccUD", "AKIAXIJN2JZPW6W5AJX7"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains a secret (%s…)", s[:6])
		}
	}
	if !strings.Contains(logs, "discovery finished") {
		t.Errorf("the log is missing the discovery line; is it being captured?\n%s", logs)
	}
}

func latestScans(h *harness, projectID int64, branch string) []store.Scan {
	var ss list[store.Scan]
	h.admin("GET", fmt.Sprintf("/api/v1/scans?project_id=%d&branch=%s", projectID, branch), nil, 200, &ss)
	return ss.Items
}

// waitScan waits for the newest scan of branch with the trigger to finish
// and returns it; a failed scan fails the test.
func waitScan(t testing.TB, h *harness, projectID int64, branch, trigger string) store.Scan {
	t.Helper()
	var got store.Scan
	eventually(t, 30*time.Second, "a "+trigger+" scan of "+branch, func() bool {
		for _, s := range latestScans(h, projectID, branch) {
			if s.Trigger != trigger {
				continue
			}
			if s.Status == store.ScanFailed {
				t.Fatalf("scan failed: %s", s.Error)
			}
			if s.Status == store.ScanSucceeded {
				got = s
				return true
			}
			return false
		}
		return false
	})
	return got
}
