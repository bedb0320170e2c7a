package gitlabtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sharedData is the recorded GitLab bodies, relative to this package.
const sharedData = "../../../../shared/data/gitlab"

func recorded(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData, name))
	if os.IsNotExist(err) {
		t.Skipf("shared data %s is absent (../shared/data next to the repository); skipping the comparison with recorded GitLab bodies", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// jsonKind is the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sameShape reports every key of the recorded object that the stand-in's
// object lacks or holds with another JSON type (null matches any type),
// recursing into objects.
func sameShape(t *testing.T, where string, rec, got map[string]any) {
	t.Helper()
	for k, rv := range rec {
		gv, ok := got[k]
		if !ok {
			t.Errorf("%s: key %q of the recorded body is missing", where, k)
			continue
		}
		rk, gk := jsonKind(rv), jsonKind(gv)
		if rk != gk && rk != "null" && gk != "null" {
			t.Errorf("%s: key %q is %s, recorded as %s", where, k, gk, rk)
			continue
		}
		if rk == "object" && gk == "object" {
			sameShape(t, where+"."+k, rv.(map[string]any), gv.(map[string]any))
		}
	}
}

type fixture struct {
	s                                              *Server
	owner, maintainer, dev, reporter, guest, admin *User
	private, public                                *Project
}

// Tokens of the fixture's users, by role.
const (
	tokOwner      = "glpat-owner"
	tokMaintainer = "glpat-maintainer"
	tokDev        = "glpat-dev"
	tokReporter   = "glpat-reporter"
	tokGuest      = "glpat-guest"
	tokAdmin      = "glpat-admin"
	tokRevoked    = "glpat-revoked"
	tokExpired    = "glpat-expired"
	tokRepoOnly   = "glpat-repo-only"
	tokReadRepo   = "glpat-read-repo"
	tokOAuth      = "oauth-access-token"
)

var allScopes = []string{ScopeAPI, ScopeReadRepository, ScopeWriteRepository}

func newFixture(t *testing.T) *fixture {
	s := New(t)
	f := &fixture{s: s}
	f.owner = s.AddUser(User{Username: "olivia"})
	f.maintainer = s.AddUser(User{Username: "max"})
	f.dev = s.AddUser(User{Username: "dora"})
	f.reporter = s.AddUser(User{Username: "ray"})
	f.guest = s.AddUser(User{Username: "gus"})
	f.admin = s.AddUser(User{Username: "root", Admin: true})
	expires := time.Now().AddDate(0, 1, 0)
	s.AddToken(Token{Value: tokOwner, UserID: f.owner.ID, Scopes: allScopes, ExpiresAt: &expires})
	s.AddToken(Token{Value: tokMaintainer, UserID: f.maintainer.ID, Scopes: allScopes})
	s.AddToken(Token{Value: tokDev, UserID: f.dev.ID, Scopes: allScopes})
	s.AddToken(Token{Value: tokReporter, UserID: f.reporter.ID, Scopes: allScopes})
	s.AddToken(Token{Value: tokGuest, UserID: f.guest.ID, Scopes: allScopes})
	s.AddToken(Token{Value: tokAdmin, UserID: f.admin.ID, Scopes: allScopes})
	s.AddToken(Token{Value: tokRevoked, UserID: f.dev.ID, Scopes: allScopes, Revoked: true})
	past := time.Now().AddDate(0, 0, -1)
	s.AddToken(Token{Value: tokExpired, UserID: f.dev.ID, Scopes: allScopes, ExpiresAt: &past})
	s.AddToken(Token{Value: tokRepoOnly, UserID: f.dev.ID, Scopes: []string{ScopeReadRepository, ScopeWriteRepository}})
	s.AddToken(Token{Value: tokReadRepo, UserID: f.dev.ID, Scopes: []string{ScopeReadRepository}})
	s.AddToken(Token{Value: tokOAuth, UserID: f.dev.ID, Scopes: allScopes, OAuth: true})
	members := map[int]AccessLevel{
		f.owner.ID: Owner, f.maintainer.ID: Maintainer, f.dev.ID: Developer,
		f.reporter.ID: Reporter, f.guest.ID: Guest,
	}
	f.private = s.AddProject(Project{Path: "acme/backend", Description: "the backend", Members: members})
	f.public = s.AddProject(Project{Path: "acme/tools/site", Visibility: Public, DefaultBranch: "master", Members: map[int]AccessLevel{f.owner.ID: Owner}})
	return f
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with the token in PRIVATE-TOKEN (or, for a token
// starting with "Bearer ", in Authorization).
func call(t *testing.T, method, rawURL, token string, body io.Reader, contentType string) response {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := strings.CutPrefix(token, "Bearer "); ok {
		req.Header.Set("Authorization", "Bearer "+v)
	} else if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func (f *fixture) get(t *testing.T, path, token string) response {
	t.Helper()
	return call(t, http.MethodGet, f.s.URL+path, token, nil, "")
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

func TestVersionUserAndToken(t *testing.T) {
	f := newFixture(t)

	r := f.get(t, "/api/v4/version", tokDev)
	if r.status != http.StatusOK {
		t.Fatalf("version: %d %s", r.status, r.body)
	}
	v := decode[map[string]any](t, r)
	if v["version"] != "17.5.0-ee" || jsonKind(v["revision"]) != "string" {
		t.Errorf("version body: %s", r.body)
	}

	r = f.get(t, "/api/v4/user", tokDev)
	if r.status != http.StatusOK {
		t.Fatalf("user: %d %s", r.status, r.body)
	}
	sameShape(t, "GET /user", recorded(t, "api/user.json").(map[string]any), decode[map[string]any](t, r))
	u := decode[struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
		State    string `json:"state"`
	}](t, r)
	if u.ID != f.dev.ID || u.Username != "dora" || u.Email != "dora@example.com" || u.State != "active" {
		t.Errorf("user: %+v", u)
	}
	if _, ok := decode[map[string]any](t, r)["is_admin"]; ok {
		t.Errorf("is_admin present for a non-admin: %s", r.body)
	}

	r = f.get(t, "/api/v4/personal_access_tokens/self", tokOwner)
	if r.status != http.StatusOK {
		t.Fatalf("token self: %d %s", r.status, r.body)
	}
	got := decode[map[string]any](t, r)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"active", "created_at", "expires_at", "id", "last_used_at", "name", "revoked", "scopes", "user_id"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("token self keys (-want +got):\n%s", diff)
	}
	tok := decode[struct {
		Scopes    []string `json:"scopes"`
		UserID    int      `json:"user_id"`
		Active    bool     `json:"active"`
		Revoked   bool     `json:"revoked"`
		ExpiresAt *string  `json:"expires_at"`
	}](t, r)
	if !tok.Active || tok.Revoked || tok.UserID != f.owner.ID || !slices.Equal(tok.Scopes, allScopes) {
		t.Errorf("token self: %s", r.body)
	}
	if tok.ExpiresAt == nil || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(*tok.ExpiresAt) {
		t.Errorf("expires_at is not a date: %s", r.body)
	}
	r = f.get(t, "/api/v4/personal_access_tokens/self", tokDev)
	if decode[map[string]any](t, r)["expires_at"] != nil {
		t.Errorf("expires_at of a token without expiry: %s", r.body)
	}

	r = f.get(t, "/oauth/token/info", "Bearer "+tokOAuth)
	info := decode[struct {
		ResourceOwnerID int      `json:"resource_owner_id"`
		Scope           []string `json:"scope"`
	}](t, r)
	if r.status != http.StatusOK || info.ResourceOwnerID != f.dev.ID || !slices.Equal(info.Scope, allScopes) {
		t.Errorf("oauth token info: %d %s", r.status, r.body)
	}
	if r := f.get(t, "/oauth/token/info", "Bearer "+tokDev); r.status != http.StatusUnauthorized {
		t.Errorf("oauth token info for a personal token: %d %s", r.status, r.body)
	}
}

func TestAuthErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, path, token string
		status            int
		body              string
	}{
		{"no token", "/api/v4/user", "", 401, `{"message":"401 Unauthorized"}`},
		{"unknown token", "/api/v4/user", "glpat-nope", 401, `{"message":"401 Unauthorized"}`},
		{"revoked", "/api/v4/user", tokRevoked, 401, `{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}`},
		{"expired", "/api/v4/personal_access_tokens/self", tokExpired, 401, `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}`},
		{"no api scope", "/api/v4/projects", tokRepoOnly, 403, `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}`},
		{"no api scope to write", "/api/v4/projects/1/hooks", tokRepoOnly, 403, `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api"}`},
		{"oauth token in PRIVATE-TOKEN", "/api/v4/user", tokOAuth, 401, `{"message":"401 Unauthorized"}`},
		{"oauth token as Bearer", "/api/v4/user", "Bearer " + tokOAuth, 200, ""},
		{"personal token as Bearer", "/api/v4/user", "Bearer " + tokDev, 200, ""},
		{"project not visible", "/api/v4/projects/acme%2Fbackend", "", 404, `{"message":"404 Project Not Found"}`},
		{"unknown project", "/api/v4/projects/999", tokAdmin, 404, `{"message":"404 Project Not Found"}`},
		{"hooks below Maintainer", "/api/v4/projects/1/hooks", tokDev, 403, `{"message":"403 Forbidden"}`},
		{"unknown route", "/api/v4/nope", tokDev, 404, `{"error":"404 Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if strings.Contains(tt.name, "write") {
				method = http.MethodPost
			}
			r := call(t, method, f.s.URL+tt.path, tt.token, nil, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.body != "" && string(r.body) != tt.body {
				t.Errorf("body\n got %s\nwant %s", r.body, tt.body)
			}
			if tt.status >= 400 && r.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestProject(t *testing.T) {
	f := newFixture(t)
	rec := recorded(t, "api/repo.json").(map[string]any)
	for _, id := range []string{"1", "acme%2Fbackend"} {
		r := f.get(t, "/api/v4/projects/"+id, tokDev)
		if r.status != http.StatusOK {
			t.Fatalf("GET /projects/%s: %d %s", id, r.status, r.body)
		}
		sameShape(t, "GET /projects/"+id, rec, decode[map[string]any](t, r))
		p := decode[struct {
			ID                int    `json:"id"`
			PathWithNamespace string `json:"path_with_namespace"`
			DefaultBranch     string `json:"default_branch"`
			HTTPURLToRepo     string `json:"http_url_to_repo"`
			Visibility        string `json:"visibility"`
			Namespace         struct {
				FullPath string `json:"full_path"`
			} `json:"namespace"`
			Permissions struct {
				ProjectAccess *struct {
					AccessLevel int `json:"access_level"`
				} `json:"project_access"`
				GroupAccess *struct{} `json:"group_access"`
			} `json:"permissions"`
		}](t, r)
		if p.ID != 1 || p.PathWithNamespace != "acme/backend" || p.DefaultBranch != "main" ||
			p.HTTPURLToRepo != f.s.URL+"/acme/backend.git" || p.Visibility != "private" || p.Namespace.FullPath != "acme" {
			t.Errorf("project %s: %s", id, r.body)
		}
		if p.Permissions.ProjectAccess == nil || p.Permissions.ProjectAccess.AccessLevel != 30 || p.Permissions.GroupAccess != nil {
			t.Errorf("permissions: %s", r.body)
		}
	}
	// A public project is visible without a token, a private one to admins.
	if r := f.get(t, "/api/v4/projects/acme%2Ftools%2Fsite", ""); r.status != http.StatusOK {
		t.Errorf("public project anonymously: %d %s", r.status, r.body)
	}
	other := f.s.AddUser(User{Username: "stranger"})
	f.s.AddToken(Token{Value: "glpat-stranger", UserID: other.ID, Scopes: allScopes})
	if r := f.get(t, "/api/v4/projects/1", "glpat-stranger"); r.status != http.StatusNotFound {
		t.Errorf("private project for a non-member: %d", r.status)
	}
	r := f.get(t, "/api/v4/projects/1", tokAdmin)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"project_access":null`) {
		t.Errorf("private project for an admin: %d %s", r.status, r.body)
	}
}

// addProjects adds n projects where user has level, one in ten archived.
func addProjects(s *Server, n int, user int, level AccessLevel) {
	for i := range n {
		s.AddProject(Project{
			Path:     fmt.Sprintf("bulk/p%05d", i),
			Members:  map[int]AccessLevel{user: level},
			Archived: i%10 == 9,
		})
	}
}

// links parses a Link header into rel → URL.
func links(h string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(h, ",") {
		m := regexp.MustCompile(`<([^>]*)>;\s*rel="([^"]*)"`).FindStringSubmatch(part)
		if m != nil {
			out[m[2]] = m[1]
		}
	}
	return out
}

func TestProjectsOffsetPagination(t *testing.T) {
	f := newFixture(t)
	addProjects(f.s, 250, f.dev.ID, Developer)
	rec := recorded(t, "api/repos.json").([]any)[0].(map[string]any)

	next := f.s.URL + "/api/v4/projects?membership=true&min_access_level=30&per_page=100"
	var pages int
	seen := map[int]bool{}
	for next != "" {
		r := call(t, http.MethodGet, next, tokDev, nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		pages++
		h := r.header
		wantNext, wantPrev := "", ""
		if pages < 3 {
			wantNext = fmt.Sprint(pages + 1)
		}
		if pages > 1 {
			wantPrev = fmt.Sprint(pages - 1)
		}
		got := [6]string{h.Get("X-Page"), h.Get("X-Per-Page"), h.Get("X-Next-Page"), h.Get("X-Prev-Page"), h.Get("X-Total"), h.Get("X-Total-Pages")}
		want := [6]string{fmt.Sprint(pages), "100", wantNext, wantPrev, "251", "3"}
		if got != want {
			t.Errorf("page %d headers %v, want %v", pages, got, want)
		}
		for _, k := range []string{"X-Next-Page", "X-Prev-Page"} {
			if _, ok := h[k]; !ok {
				t.Errorf("page %d: header %s absent, want present (empty on the edge)", pages, k)
			}
		}
		l := links(h.Get("Link"))
		if l["first"] == "" || l["last"] == "" || (pages > 1) != (l["prev"] != "") {
			t.Errorf("page %d Link: %s", pages, h.Get("Link"))
		}
		rows := decode[[]map[string]any](t, r)
		if pages == 1 {
			sameShape(t, "GET /projects[0]", rec, rows[0])
		}
		for _, row := range rows {
			id := int(row["id"].(float64))
			if seen[id] {
				t.Errorf("project %d listed twice", id)
			}
			seen[id] = true
			if row["permissions"] == nil {
				t.Errorf("project %d without permissions", id)
			}
		}
		next = l["next"]
	}
	// 250 bulk projects and acme/backend, where the developer is one.
	if pages != 3 || len(seen) != 251 {
		t.Errorf("%d pages, %d projects; want 3 pages, 251 projects", pages, len(seen))
	}

	r := f.get(t, "/api/v4/projects?membership=true&archived=false&simple=true&per_page=500", tokDev)
	rows := decode[[]map[string]any](t, r)
	if r.header.Get("X-Per-Page") != "100" || r.header.Get("X-Total") != "226" || len(rows) != 100 {
		t.Errorf("archived=false simple=true per_page=500: X-Per-Page %s X-Total %s, %d rows",
			r.header.Get("X-Per-Page"), r.header.Get("X-Total"), len(rows))
	}
	if _, ok := rows[0]["permissions"]; ok {
		t.Errorf("simple=true row has permissions: %v", rows[0])
	}
	if r := f.get(t, "/api/v4/projects?membership=true&min_access_level=40", tokDev); r.header.Get("X-Total") != "0" || string(r.body) != "[]" {
		t.Errorf("min_access_level=40 for a developer: X-Total %s %s", r.header.Get("X-Total"), r.body)
	}
	if r := f.get(t, "/api/v4/projects?page=9&per_page=100", tokDev); string(r.body) != "[]" || r.header.Get("X-Prev-Page") != "" || r.header.Get("X-Next-Page") != "" {
		t.Errorf("page past the end: %v %s", r.header, r.body)
	}
	if r := f.get(t, "/api/v4/projects?page=501&per_page=100", tokDev); r.status != http.StatusMethodNotAllowed {
		t.Errorf("offset past 50,000: %d %s", r.status, r.body)
	}
	if r := f.get(t, "/api/v4/projects?page=x", tokDev); r.status != http.StatusBadRequest {
		t.Errorf("page=x: %d %s", r.status, r.body)
	}
}

func TestProjectsOverCountLimit(t *testing.T) {
	s := New(t)
	u := s.AddUser(User{Username: "many"})
	s.AddToken(Token{Value: "t", UserID: u.ID, Scopes: allScopes})
	addProjects(s, countLimit+1, u.ID, Reporter)
	r := call(t, http.MethodGet, s.URL+"/api/v4/projects?membership=true&per_page=100&page=2", "t", nil, "")
	h := r.header
	for _, k := range []string{"X-Total", "X-Total-Pages"} {
		if _, ok := h[k]; ok {
			t.Errorf("%s present above 10,000 rows", k)
		}
	}
	l := links(h.Get("Link"))
	if _, ok := l["last"]; ok || l["next"] == "" || l["prev"] == "" || l["first"] == "" {
		t.Errorf("Link above 10,000 rows: %s", h.Get("Link"))
	}
	if h.Get("X-Next-Page") != "3" || h.Get("X-Prev-Page") != "1" {
		t.Errorf("X-Next-Page %q X-Prev-Page %q", h.Get("X-Next-Page"), h.Get("X-Prev-Page"))
	}
}

func TestProjectsKeysetPagination(t *testing.T) {
	f := newFixture(t)
	addProjects(f.s, 250, f.dev.ID, Maintainer)
	next := f.s.URL + "/api/v4/projects?membership=true&min_access_level=30&pagination=keyset&order_by=id&sort=asc&per_page=100"
	var ids []int
	pages := 0
	for next != "" {
		r := call(t, http.MethodGet, next, tokDev, nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		pages++
		for _, k := range []string{"X-Total", "X-Total-Pages", "X-Page", "X-Next-Page"} {
			if _, ok := r.header[k]; ok {
				t.Errorf("keyset page %d has %s", pages, k)
			}
		}
		l := links(r.header.Get("Link"))
		if len(l) > 1 || (r.header.Get("Link") != "" && l["next"] == "") {
			t.Errorf("keyset Link: %s", r.header.Get("Link"))
		}
		for _, p := range decode[[]struct {
			ID int `json:"id"`
		}](t, r) {
			ids = append(ids, p.ID)
		}
		if n := l["next"]; n != "" {
			u, _ := url.Parse(n)
			if u.Query().Get("id_after") != fmt.Sprint(ids[len(ids)-1]) {
				t.Errorf("next link %s does not continue after %d", n, ids[len(ids)-1])
			}
		}
		next = l["next"]
	}
	if pages != 3 || len(ids) != 251 || !slices.IsSorted(ids) {
		t.Errorf("%d pages, %d ids (sorted %v); want 3 pages, 251 ascending ids", pages, len(ids), slices.IsSorted(ids))
	}
	if r := f.get(t, "/api/v4/projects?pagination=keyset&order_by=name", tokDev); r.status != http.StatusMethodNotAllowed {
		t.Errorf("keyset by name: %d", r.status)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	f.s.RateLimit(2, 30*time.Second)
	for i := range 2 {
		r := f.get(t, "/api/v4/user", tokDev)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "30" ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || string(r.body) != "Retry later\n" {
			t.Errorf("request %d: %d %v %q", i, r.status, r.header, r.body)
		}
		for _, k := range []string{"RateLimit-Limit", "RateLimit-Observed", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-ResetTime"} {
			if r.header.Get(k) == "" {
				t.Errorf("request %d: no %s", i, k)
			}
		}
	}
	if r := f.get(t, "/api/v4/user", tokDev); r.status != http.StatusOK {
		t.Errorf("after the limit: %d", r.status)
	}
	reqs := f.s.Requests()
	if len(reqs) != 3 || reqs[0].Status != 429 || reqs[2].Status != 200 || reqs[2].Token != tokDev || reqs[2].Path != "/api/v4/user" {
		t.Errorf("recorded: %+v", reqs)
	}
}

func TestHooks(t *testing.T) {
	f := newFixture(t)
	hooksURL := f.s.URL + "/api/v4/projects/acme%2Fbackend/hooks"
	body := `{"url":"https://airlock.example.com/webhook","token":"s3cret","push_events":true,"merge_requests_events":true,"enable_ssl_verification":true}`

	if r := call(t, http.MethodPost, hooksURL, tokDev, strings.NewReader(body), "application/json"); r.status != http.StatusForbidden || string(r.body) != `{"message":"403 Forbidden"}` {
		t.Errorf("developer creates a hook: %d %s", r.status, r.body)
	}
	r := call(t, http.MethodPost, hooksURL, tokMaintainer, strings.NewReader(body), "application/json")
	if r.status != http.StatusCreated {
		t.Fatalf("maintainer creates a hook: %d %s", r.status, r.body)
	}
	sameShape(t, "POST /hooks", recorded(t, "api/hook.json").(map[string]any), decode[map[string]any](t, r))
	if strings.Contains(string(r.body), "s3cret") {
		t.Errorf("hook body returns the secret: %s", r.body)
	}
	h := decode[struct {
		ID                  int    `json:"id"`
		URL                 string `json:"url"`
		ProjectID           int    `json:"project_id"`
		MergeRequestsEvents bool   `json:"merge_requests_events"`
		TagPushEvents       bool   `json:"tag_push_events"`
	}](t, r)
	if h.URL != "https://airlock.example.com/webhook" || h.ProjectID != f.private.ID || !h.MergeRequestsEvents || h.TagPushEvents {
		t.Errorf("hook: %s", r.body)
	}
	if got := f.s.Hooks(f.private); len(got) != 1 || got[0].Token != "s3cret" {
		t.Errorf("stored hooks: %+v", got)
	}

	r = call(t, http.MethodGet, hooksURL, tokOwner, nil, "")
	list := decode[[]map[string]any](t, r)
	if r.status != http.StatusOK || len(list) != 1 {
		t.Fatalf("list hooks: %d %s", r.status, r.body)
	}
	sameShape(t, "GET /hooks[0]", recorded(t, "api/hooks.json").([]any)[0].(map[string]any), list[0])

	if r := call(t, http.MethodPost, hooksURL, tokMaintainer, strings.NewReader(`{"push_events":true}`), "application/json"); r.status != http.StatusBadRequest {
		t.Errorf("hook without url: %d %s", r.status, r.body)
	}
	del := fmt.Sprintf("%s/%d", hooksURL, h.ID)
	if r := call(t, http.MethodDelete, del, tokDev, nil, ""); r.status != http.StatusForbidden {
		t.Errorf("developer deletes: %d", r.status)
	}
	if r := call(t, http.MethodDelete, del, tokAdmin, nil, ""); r.status != http.StatusNoContent {
		t.Errorf("admin deletes: %d %s", r.status, r.body)
	}
	if r := call(t, http.MethodDelete, del, tokAdmin, nil, ""); r.status != http.StatusNotFound || string(r.body) != `{"message":"404 Not found"}` {
		t.Errorf("delete again: %d %s", r.status, r.body)
	}
	if got := f.s.Hooks(f.private); len(got) != 0 {
		t.Errorf("hooks left: %+v", got)
	}
}

// gitCmd runs git with a clean configuration and, when token is set, Basic
// credentials in http.extraHeader through GIT_CONFIG_* (never in the URL).
func gitCmd(t *testing.T, dir, user, token string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	}
	if token != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
		cmd.Env = append(cmd.Env,
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=http.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: Basic "+basic,
		)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestGitSmartHTTP(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the git smart-HTTP tests need the git CLI")
	}
	f := newFixture(t)
	sha := f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n", "cmd/main.go": "package main\n"})
	if again := f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n", "cmd/main.go": "package main\n"}); again == sha {
		t.Errorf("second InitRepo made no new commit")
	}
	repoURL := f.s.URL + "/acme/backend.git"
	work := t.TempDir()

	clone := func(name, user, token string) (string, error) {
		return gitCmd(t, work, user, token, "clone", "--quiet", repoURL, name)
	}
	if out, err := clone("reporter", "anything", tokReporter); err != nil {
		t.Fatalf("reporter clones: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(work, "reporter", "cmd", "main.go")); err != nil || string(b) != "package main\n" {
		t.Errorf("cloned file: %q %v", b, err)
	}
	for _, c := range []struct{ name, user, token string }{
		{"guest", "gus", tokGuest},
		{"unknown", "x", "glpat-nope"},
		{"revoked", "x", tokRevoked},
		{"anonymous", "", ""},
		{"oauth-wrong-user", "dora", tokOAuth},
	} {
		if out, err := clone(c.name, c.user, c.token); err == nil {
			t.Errorf("%s cloned a private project:\n%s", c.name, out)
		}
	}
	if out, err := clone("oauth", "oauth2", tokOAuth); err != nil {
		t.Errorf("oauth2 clones: %v\n%s", err, out)
	}
	if out, err := clone("dev", "dora", tokDev); err != nil {
		t.Fatalf("developer clones: %v\n%s", err, out)
	}
	dev := filepath.Join(work, "dev")
	if err := os.WriteFile(filepath.Join(dev, "feature.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"checkout", "--quiet", "-b", "feature"}, {"add", "."}, {"commit", "--quiet", "-m", "feature"}} {
		if out, err := gitCmd(t, dev, "", "", args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "feature"); err != nil {
		t.Fatalf("developer pushes a branch: %v\n%s", err, out)
	}
	if out, err := gitCmd(t, dev, "dora", tokDev, "push", "--quiet", "origin", "feature:main"); err == nil || !strings.Contains(out, "protected branches") {
		t.Errorf("developer pushes the protected default branch: %v\n%s", err, out)
	}
	if out, err := gitCmd(t, dev, "ray", tokReporter, "push", "--quiet", "origin", "feature:other"); err == nil {
		t.Errorf("reporter pushes:\n%s", out)
	}
	if out, err := gitCmd(t, dev, "dora", tokReadRepo, "push", "--quiet", "origin", "feature:other"); err == nil {
		t.Errorf("read_repository token pushes:\n%s", out)
	}
	if out, err := gitCmd(t, dev, "max", tokMaintainer, "push", "--quiet", "origin", "feature:main"); err != nil {
		t.Errorf("maintainer pushes the default branch: %v\n%s", err, out)
	}
	out, err := gitCmd(t, dev, "", "", "ls-remote", repoURL)
	if err == nil {
		t.Errorf("anonymous ls-remote of a private project:\n%s", out)
	}
	out, err = gitCmd(t, dev, "ray", tokReporter, "ls-remote", repoURL)
	if err != nil || !strings.Contains(out, "refs/heads/feature") {
		t.Errorf("ls-remote after the push: %v\n%s", err, out)
	}

	// A public project clones anonymously; an empty one too.
	if out, err := gitCmd(t, work, "", "", "clone", "--quiet", f.s.URL+"/acme/tools/site.git", "site"); err != nil {
		t.Errorf("anonymous clone of a public project: %v\n%s", err, out)
	}
	for _, r := range f.s.Requests() {
		if strings.Contains(r.Path, "glpat") || strings.Contains(r.Query.Encode(), "glpat") {
			t.Errorf("token in a URL: %+v", r)
		}
	}
}

// TestEmptyRepo: a project reports empty_repo until its repository has a
// commit, as GitLab does.
func TestEmptyRepo(t *testing.T) {
	f := newFixture(t)
	empty := func() bool {
		return decode[struct {
			EmptyRepo bool `json:"empty_repo"`
		}](t, f.get(t, "/api/v4/projects/"+itoa(f.private.ID), tokDev)).EmptyRepo
	}
	if !empty() {
		t.Fatal("a project without a repository is not empty_repo")
	}
	f.s.InitRepo(f.private, map[string]string{"a": "b\n"})
	if empty() {
		t.Fatal("a project with a commit is still empty_repo")
	}
	if !decode[struct {
		EmptyRepo bool `json:"empty_repo"`
	}](t, f.get(t, "/api/v4/projects/"+itoa(f.public.ID), tokDev)).EmptyRepo {
		t.Fatal("the other project lost empty_repo")
	}
}
