package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
)

type apiErr struct {
	Error struct {
		Code, Message, Hint, Field string
	} `json:"error"`
}

func TestAuth(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	h.do("GET", "/healthz", "", nil, 200, nil)
	h.do("GET", "/readyz", "", nil, 200, nil)
	var e apiErr
	h.do("GET", "/api/v1/projects", "", nil, 401, &e)
	if e.Error.Code != "unauthorized" {
		t.Errorf("no token: %+v", e)
	}
	h.do("GET", "/api/v1/projects", "alk_not_a_real_token_at_all", nil, 401, nil)

	var created struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]string{"name": "dashboard", "role": "viewer"}, 201, &created)
	if !strings.HasPrefix(created.Token, "alk_") {
		t.Fatalf("token %q", created.Token)
	}
	h.do("GET", "/api/v1/projects", created.Token, nil, 200, nil)
	h.do("POST", "/api/v1/tokens", created.Token, map[string]string{"name": "x", "role": "admin"}, 403, nil)
	h.admin("POST", "/api/v1/tokens", map[string]string{"name": "x", "role": "root"}, 422, &e)
	if e.Error.Field != "role" {
		t.Errorf("bad role: %+v", e)
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer", "scopes": 1}, 422, &e)
	if e.Error.Field != "scopes" || !strings.Contains(e.Error.Message, "unknown field") {
		t.Errorf("unknown field: %+v", e)
	}
	// Tokens are listed without secrets; the stored form is a hash.
	b := h.admin("GET", "/api/v1/tokens", nil, 200, nil)
	if bytes.Contains(b, []byte(created.Token)) || bytes.Contains(b, []byte(adminToken)) {
		t.Error("token list shows a token")
	}
	var tokens list[store.APIToken]
	json.Unmarshal(b, &tokens)
	var adminID int64
	for _, tk := range tokens.Items {
		if tk.Role == store.RoleAdmin {
			adminID = tk.ID
		}
	}
	h.admin("DELETE", fmt.Sprintf("/api/v1/tokens/%d", adminID), nil, 422, &e)
	if e.Error.Code != "last_admin" {
		t.Errorf("deleting the last admin: %+v", e)
	}
	h.admin("DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), nil, 204, nil)
	h.do("GET", "/api/v1/projects", created.Token, nil, 401, nil)
	h.admin("GET", "/api/v1/projects/abc", nil, 422, &e)
	if e.Error.Field != "id" {
		t.Errorf("bad id: %+v", e)
	}
	h.admin("GET", "/api/v1/projects/99", nil, 404, nil)
	h.admin("GET", "/api/v1/findings?state=closed", nil, 422, nil)

	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"airlock_http_requests_total", "airlock_build_info", "go_goroutines", `route="/api/v1/projects/{id}"`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var audit list[store.AuditEntry]
	h.admin("GET", "/api/v1/audit", nil, 200, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Action != "token.delete" {
		t.Errorf("audit %+v", audit.Items)
	}
}

func TestConnectionFailures(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	gl := h.gl
	u, tok, _ := gitlabSetup(gl, gitlabtest.Maintainer)
	past := time.Now().AddDate(0, 0, -2)
	revoked := gl.AddToken(gitlabtest.Token{Value: "glpat-revoked-000000000000", UserID: u.ID, Scopes: []string{"api"}, Revoked: true})
	expired := gl.AddToken(gitlabtest.Token{Value: "glpat-expired-000000000000", UserID: u.ID, Scopes: []string{"api"}, ExpiresAt: &past})
	readOnly := gl.AddToken(gitlabtest.Token{Value: "glpat-readonly-00000000000", UserID: u.ID, Scopes: []string{"read_repository"}})
	loner := gl.AddUser(gitlabtest.User{Username: "loner"})
	lonerTok := gl.AddToken(gitlabtest.Token{Value: "glpat-loner-00000000000000", UserID: loner.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Intranet</body></html>")
	}))
	defer html.Close()

	for _, tc := range []struct {
		name      string
		body      map[string]any
		code      string
		field     string
		hintWords string
	}{
		{"project URL", map[string]any{"url": gl.URL + "/platform/payments", "token": tok.Value}, "invalid_url", "url", "root URL"},
		{"no token", map[string]any{"url": gl.URL}, "invalid_field", "token", ""},
		{"bad CA", map[string]any{"url": gl.URL, "token": tok.Value, "ca_cert": "not a certificate"}, "invalid_field", "ca_cert", ""},
		{"bad selection", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "some"}, "invalid_field", "selection", ""},
		{"list without IDs", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "list"}, "invalid_field", "gitlab_project_ids", ""},
		{"revoked", map[string]any{"url": gl.URL, "token": revoked.Value}, "token_revoked", "", "token"},
		{"expired", map[string]any{"url": gl.URL, "token": expired.Value}, "token_expired", "", "token"},
		{"missing scope", map[string]any{"url": gl.URL, "token": readOnly.Value}, "insufficient_scope", "", "api"},
		{"unknown token", map[string]any{"url": gl.URL, "token": "glpat-nobody-knows-this-0000"}, "unauthorized", "", ""},
		{"not GitLab", map[string]any{"url": html.URL, "token": tok.Value}, "not_gitlab", "", "URL"},
		{"no projects", map[string]any{"url": gl.URL, "token": lonerTok.Value}, "no_projects", "", "Developer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e apiErr
			b := h.admin("POST", "/api/v1/integrations", tc.body, 422, &e)
			if e.Error.Code != tc.code || e.Error.Field != tc.field || e.Error.Message == "" {
				t.Errorf("got %s", b)
			}
			if tc.hintWords != "" && !strings.Contains(e.Error.Message+" "+e.Error.Hint, tc.hintWords) {
				t.Errorf("message and hint do not mention %q: %s", tc.hintWords, b)
			}
			if bytes.Contains(b, []byte(fmt.Sprint(tc.body["token"]))) && tc.body["token"] != nil {
				t.Errorf("the answer echoes the token: %s", b)
			}
		})
	}
	var ins list[integrationView]
	h.admin("GET", "/api/v1/integrations", nil, 200, &ins)
	if len(ins.Items) != 0 {
		t.Fatalf("failed creations stored integrations: %+v", ins.Items)
	}
	// Test Connection without saving reports the same failures as data.
	var res struct {
		OK    bool                   `json:"ok"`
		Error *struct{ Code string } `json:"error"`
	}
	h.admin("POST", "/api/v1/connection-tests", map[string]any{"url": gl.URL, "token": revoked.Value}, 200, &res)
	if res.OK || res.Error == nil || res.Error.Code != "token_revoked" {
		t.Errorf("connection test %+v", res)
	}
	h.admin("POST", "/api/v1/connection-tests", map[string]any{"url": gl.URL, "token": tok.Value}, 200, &res)
	if !res.OK {
		t.Errorf("connection test of a good token failed: %+v", res.Error)
	}
}

func TestRolesAndSelection(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	gl := h.gl
	u, tok, maintained := gitlabSetup(gl, gitlabtest.Maintainer)
	developed := gl.AddProject(gitlabtest.Project{Path: "platform/ledger", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Developer}})
	other := gl.AddProject(gitlabtest.Project{Path: "platform/other", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	for _, p := range []*gitlabtest.Project{maintained, developed, other} {
		gl.InitRepo(p, map[string]string{"README.md": "hi\n"})
	}
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "list", "gitlab_project_ids": []int{maintained.ID, developed.ID}}, 201, &in)
	byPath := map[string]store.Project{}
	eventually(t, 20*time.Second, "hooks reconciled", func() bool {
		var ps list[store.Project]
		h.admin("GET", "/api/v1/projects", nil, 200, &ps)
		for _, p := range ps.Items {
			byPath[p.Path] = p
		}
		return len(ps.Items) == 3 && byPath["platform/payments"].HookStatus == store.HookRegistered && byPath["platform/ledger"].HookStatus == store.HookNeedsMaintainer
	})
	if byPath["platform/other"].Selected || !byPath["platform/ledger"].Selected {
		t.Fatalf("selection not applied: %+v", byPath)
	}
	if !strings.Contains(byPath["platform/ledger"].HookError, "Maintainer") {
		t.Errorf("hook error %q does not say what is needed", byPath["platform/ledger"].HookError)
	}
	if len(gl.Hooks(developed)) != 0 || len(gl.Hooks(other)) != 0 || len(gl.Hooks(maintained)) != 1 {
		t.Fatal("hooks installed on the wrong projects")
	}
	// Selecting other instead of payments moves the hook.
	h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/selection", in.ID), map[string]any{"selection": "list", "gitlab_project_ids": []int{other.ID}}, 200, nil)
	eventually(t, 20*time.Second, "hooks moved", func() bool {
		return len(gl.Hooks(maintained)) == 0 && len(gl.Hooks(other)) == 1
	})
	// Rotating to a token that fails is refused; a good one is kept.
	bad := gl.AddToken(gitlabtest.Token{Value: "glpat-rotated-bad-0000000000", UserID: u.ID, Scopes: []string{"api"}, Revoked: true})
	h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/token", in.ID), map[string]any{"token": bad.Value}, 422, nil)
	good := gl.AddToken(gitlabtest.Token{Value: "glpat-rotated-good-000000000", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/token", in.ID), map[string]any{"token": good.Value}, 200, nil)
	var res struct{ OK bool }
	h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/test", in.ID), nil, 200, &res)
	if !res.OK {
		t.Fatal("test after rotation failed")
	}
	// A manual scan of the selected project runs with the new token.
	var sc store.Scan
	h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", byPath["platform/other"].ID), nil, 202, &sc)
	waitScan(t, h, byPath["platform/other"].ID, "main", store.TriggerManual)
}

func TestAllFutureWithSystemHook(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	gl := h.gl
	admin := gl.AddUser(gitlabtest.User{Username: "root", Admin: true})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-admin-token-00000000000", UserID: admin.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "g/first", Members: map[int]gitlabtest.AccessLevel{admin.ID: gitlabtest.Owner}})
	gl.InitRepo(p, map[string]string{"a.txt": "a\n"})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "all_future"}, 201, &in)
	eventually(t, 20*time.Second, "the system hook", func() bool { return len(gl.SystemHooks()) == 1 })
	// A new project reaches airlock through the system hook, not the clock.
	gl.AddProject(gitlabtest.Project{Path: "g/second", Members: map[int]gitlabtest.AccessLevel{admin.ID: gitlabtest.Owner}})
	eventually(t, 20*time.Second, "the new project", func() bool {
		var ps list[store.Project]
		h.admin("GET", "/api/v1/projects?selected=true", nil, 200, &ps)
		return len(ps.Items) == 2
	})
	h.admin("DELETE", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 202, nil)
	eventually(t, 20*time.Second, "the system hook removed", func() bool { return len(gl.SystemHooks()) == 0 })
}

// TestOpenAPI keeps the document in step with the routes and checks that
// it is a valid set of JSON Schemas and that live answers match them.
func TestOpenAPI(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	var doc map[string]any
	b := h.admin("GET", "/api/v1/openapi.json", nil, 200, &doc)
	paths := doc["paths"].(map[string]any)
	var ops []string
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(m)+" "+p)
			if op.(map[string]any)["summary"] == "" {
				t.Errorf("%s %s has no summary: add it to docs in openapi.go", m, p)
			}
		}
	}
	sort.Strings(ops)
	if len(ops) < 25 {
		t.Fatalf("only %d operations documented", len(ops))
	}
	h.do("GET", "/api/v1/openapi.json", "", nil, 401, nil)

	c := jsonschema.NewCompiler()
	var raw any
	json.Unmarshal(b, &raw)
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *jsonschema.Schema {
		s, err := c.Compile("openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return s
	}
	check := func(name string, body []byte) {
		t.Helper()
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema(name).Validate(v); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", name, err, body)
		}
	}
	_, tok, p := gitlabSetup(h.gl, gitlabtest.Maintainer)
	h.gl.InitRepo(p, map[string]string{"x": "y\n"})
	check("IntegrationView", h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value}, 201, nil))
	check("PageIntegrationView", h.admin("GET", "/api/v1/integrations", nil, 200, nil))
	check("PageAPIToken", h.admin("GET", "/api/v1/tokens", nil, 200, nil))
	check("PageProjectView", h.admin("GET", "/api/v1/projects", nil, 200, nil))
	check("PageScan", h.admin("GET", "/api/v1/scans", nil, 200, nil))
	check("PageFinding", h.admin("GET", "/api/v1/findings", nil, 200, nil))
	check("PageAuditEntry", h.admin("GET", "/api/v1/audit", nil, 200, nil))
	check("Error", h.admin("GET", "/api/v1/projects/12345", nil, 404, nil))
}
