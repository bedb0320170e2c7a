package gitlabtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/v4/version", s.getVersion)
	m.HandleFunc("GET /api/v4/user", s.getUser)
	m.HandleFunc("GET /api/v4/personal_access_tokens/self", s.getTokenSelf)
	m.HandleFunc("GET /oauth/token/info", s.getOAuthTokenInfo)
	m.HandleFunc("GET /oauth/authorize", s.oauthAuthorize)
	m.HandleFunc("POST /oauth/token", s.oauthToken)
	m.HandleFunc("GET /api/v4/projects", s.listProjects)
	m.HandleFunc("GET /api/v4/projects/{id}", s.getProject)
	m.HandleFunc("GET /api/v4/projects/{id}/repository/branches/{branch}", s.getBranch)
	m.HandleFunc("POST /api/v4/projects/{id}/repository/commits", s.createCommit)
	m.HandleFunc("GET /api/v4/projects/{id}/hooks", s.listHooks)
	m.HandleFunc("POST /api/v4/projects/{id}/hooks", s.createHook)
	m.HandleFunc("GET /api/v4/projects/{id}/hooks/{hook_id}", s.getHook)
	m.HandleFunc("PUT /api/v4/projects/{id}/hooks/{hook_id}", s.updateHook)
	m.HandleFunc("DELETE /api/v4/projects/{id}/hooks/{hook_id}", s.deleteHook)
	m.HandleFunc("GET /api/v4/projects/{id}/merge_requests", s.listMergeRequests)
	m.HandleFunc("POST /api/v4/projects/{id}/merge_requests", s.createMergeRequest)
	m.HandleFunc("GET /api/v4/projects/{id}/merge_requests/{iid}", s.getMergeRequest)
	m.HandleFunc("PUT /api/v4/projects/{id}/merge_requests/{iid}", s.updateMergeRequest)
	m.HandleFunc("PUT /api/v4/projects/{id}/merge_requests/{iid}/merge", s.acceptMergeRequest)
	m.HandleFunc("GET /api/v4/projects/{id}/merge_requests/{iid}/notes", s.listNotes)
	m.HandleFunc("POST /api/v4/projects/{id}/merge_requests/{iid}/notes", s.createNote)
	m.HandleFunc("PUT /api/v4/projects/{id}/merge_requests/{iid}/notes/{note_id}", s.updateNote)
	m.HandleFunc("POST /api/v4/projects/{id}/statuses/{sha}", s.createStatus)
	m.HandleFunc("GET /api/v4/projects/{id}/repository/commits/{sha}/statuses", s.listStatuses)
	m.HandleFunc("GET /api/v4/hooks", s.listSystemHooks)
	m.HandleFunc("POST /api/v4/hooks", s.createSystemHook)
	m.HandleFunc("DELETE /api/v4/hooks/{hook_id}", s.deleteSystemHook)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	})
	return m
}

// GitLab's error bodies.
var (
	errUnauthorized = map[string]string{"message": "401 Unauthorized"}
	errForbidden    = map[string]string{"message": "403 Forbidden"}
	errNoProject    = map[string]string{"message": "404 Project Not Found"}
	errRevoked      = map[string]string{"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."}
	errExpired      = map[string]string{"error": "invalid_token", "error_description": "Token is expired. You can either do re-authorization or token refresh."}
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// caller is who sent an API request; user and token are nil for anonymous
// requests.
type caller struct {
	user  *User
	token *Token
}

// authenticate finds the request's user, answering the request itself when
// the token is unknown, revoked, expired or lacks every one of scopes. It
// returns ok false when it has answered. Without a token the caller is
// anonymous if anonymous is true, else the request gets 401. Called with
// s.mu held.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, anonymous bool, scopes ...string) (c caller, ok bool) {
	value, bearer := r.Header.Get("PRIVATE-TOKEN"), false
	if value == "" {
		if a := r.Header.Get("Authorization"); len(a) > 7 && (a[:7] == "Bearer " || a[:7] == "bearer ") {
			value, bearer = a[7:], true
		}
	}
	if value == "" {
		if anonymous {
			return caller{}, true
		}
		writeJSON(w, http.StatusUnauthorized, errUnauthorized)
		return caller{}, false
	}
	tok := s.tokens[value]
	if tok == nil || (tok.OAuth && !bearer) || s.users[tok.UserID] == nil {
		writeJSON(w, http.StatusUnauthorized, errUnauthorized)
		return caller{}, false
	}
	if tok.Revoked {
		invalidToken(w, errRevoked)
		return caller{}, false
	}
	if expired(tok, s.now()) {
		invalidToken(w, errExpired)
		return caller{}, false
	}
	if !hasScope(tok, scopes...) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="`+joinScopes(scopes)+`"`)
		writeJSON(w, http.StatusForbidden, map[string]string{
			"error":             "insufficient_scope",
			"error_description": "The request requires higher privileges than provided by the access token.",
			"scope":             joinScopes(scopes),
		})
		return caller{}, false
	}
	s.lastUsed[tok.ID] = s.now()
	return caller{user: s.users[tok.UserID], token: tok}, true
}

func invalidToken(w http.ResponseWriter, body map[string]string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="`+body["error_description"]+`"`)
	writeJSON(w, http.StatusUnauthorized, body)
}

func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }

// apiScopes are the scopes that allow the request: read_api also allows
// reads.
func apiScopes(r *http.Request, extra ...string) []string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return append([]string{ScopeAPI, ScopeReadAPI}, extra...)
	}
	return []string{ScopeAPI}
}

// gitlabTime formats a timestamp the way GitLab's API does.
func gitlabTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.authenticate(w, r, false, apiScopes(r, ScopeReadUser)...); !ok {
		return
	}
	writeJSON(w, http.StatusOK, versionJSON{
		Version:    s.version,
		Revision:   "0123456789a",
		KAS:        kasJSON{},
		Enterprise: len(s.version) > 3 && s.version[len(s.version)-3:] == "-ee",
	})
}

type versionJSON struct {
	Version    string  `json:"version"`
	Revision   string  `json:"revision"`
	KAS        kasJSON `json:"kas"`
	Enterprise bool    `json:"enterprise"`
}

type kasJSON struct {
	Enabled     bool    `json:"enabled"`
	ExternalURL *string `json:"externalUrl"`
	Version     *string `json:"version"`
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authenticate(w, r, false, apiScopes(r, ScopeReadUser)...)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(c.user))
}

// userJSON is the shape of GET /user (data/gitlab/api/user.json).
type userJSON struct {
	ID               int            `json:"id"`
	Username         string         `json:"username"`
	Email            string         `json:"email"`
	Name             string         `json:"name"`
	State            string         `json:"state"`
	AvatarURL        string         `json:"avatar_url"`
	WebURL           string         `json:"web_url"`
	CreatedAt        string         `json:"created_at"`
	Bio              *string        `json:"bio"`
	Location         *string        `json:"location"`
	Skype            string         `json:"skype"`
	Linkedin         string         `json:"linkedin"`
	Twitter          string         `json:"twitter"`
	WebsiteURL       string         `json:"website_url"`
	Organization     string         `json:"organization"`
	LastSignInAt     string         `json:"last_sign_in_at"`
	ConfirmedAt      string         `json:"confirmed_at"`
	ThemeID          int            `json:"theme_id"`
	LastActivityOn   string         `json:"last_activity_on"`
	ColorSchemeID    int            `json:"color_scheme_id"`
	ProjectsLimit    int            `json:"projects_limit"`
	CurrentSignInAt  string         `json:"current_sign_in_at"`
	Identities       []identityJSON `json:"identities"`
	CanCreateGroup   bool           `json:"can_create_group"`
	CanCreateProject bool           `json:"can_create_project"`
	TwoFactorEnabled bool           `json:"two_factor_enabled"`
	External         bool           `json:"external"`
	Bot              bool           `json:"bot"`
	IsAdmin          *bool          `json:"is_admin,omitempty"`
}

type identityJSON struct {
	Provider  string `json:"provider"`
	ExternUID string `json:"extern_uid"`
}

func (s *Server) userJSON(u *User) userJSON {
	now := s.now()
	out := userJSON{
		ID:               u.ID,
		Username:         u.Username,
		Email:            u.Email,
		Name:             u.Name,
		State:            "active",
		AvatarURL:        s.URL + "/uploads/-/system/user/avatar/" + itoa(u.ID) + "/avatar.png",
		WebURL:           s.URL + "/" + u.Username,
		CreatedAt:        gitlabTime(now.Add(-24 * time.Hour)),
		LastSignInAt:     gitlabTime(now),
		ConfirmedAt:      gitlabTime(now.Add(-24 * time.Hour)),
		ThemeID:          1,
		LastActivityOn:   now.UTC().Format(time.DateOnly),
		ColorSchemeID:    1,
		ProjectsLimit:    100000,
		CurrentSignInAt:  gitlabTime(now),
		Identities:       []identityJSON{},
		CanCreateGroup:   !u.Bot,
		CanCreateProject: !u.Bot,
		Bot:              u.Bot,
	}
	if u.Admin {
		t := true
		out.IsAdmin = &t
	}
	return out
}

// tokenJSON is the shape of GET /personal_access_tokens/self.
type tokenJSON struct {
	ID         int      `json:"id"`
	Name       string   `json:"name"`
	Revoked    bool     `json:"revoked"`
	CreatedAt  string   `json:"created_at"`
	Scopes     []string `json:"scopes"`
	UserID     int      `json:"user_id"`
	LastUsedAt *string  `json:"last_used_at"`
	Active     bool     `json:"active"`
	ExpiresAt  *string  `json:"expires_at"`
}

func (s *Server) getTokenSelf(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authenticate(w, r, false, apiScopes(r, ScopeReadUser)...)
	if !ok {
		return
	}
	tok := c.token
	if tok.OAuth {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
		return
	}
	out := tokenJSON{
		ID:        tok.ID,
		Name:      tok.Name,
		Revoked:   tok.Revoked,
		CreatedAt: gitlabTime(tok.CreatedAt),
		Scopes:    append([]string{}, tok.Scopes...),
		UserID:    tok.UserID,
		Active:    !tok.Revoked && !expired(tok, s.now()),
	}
	if t, ok := s.lastUsed[tok.ID]; ok {
		v := gitlabTime(t)
		out.LastUsedAt = &v
	}
	if tok.ExpiresAt != nil {
		v := tok.ExpiresAt.UTC().Format(time.DateOnly)
		out.ExpiresAt = &v
	}
	writeJSON(w, http.StatusOK, out)
}

// oauthInfoJSON is the shape of GET /oauth/token/info (Doorkeeper's, with
// GitLab's "scopes" and "expires_in_seconds").
type oauthInfoJSON struct {
	ResourceOwnerID  int          `json:"resource_owner_id"`
	Scope            []string     `json:"scope"`
	Scopes           []string     `json:"scopes"`
	ExpiresIn        *int         `json:"expires_in"`
	ExpiresInSeconds *int         `json:"expires_in_seconds"`
	Application      oauthAppJSON `json:"application"`
	CreatedAt        int64        `json:"created_at"`
}

type oauthAppJSON struct {
	UID string `json:"uid"`
}

func (s *Server) getOAuthTokenInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid := map[string]string{"error": "invalid_token", "error_description": "The access token is invalid", "state": "unauthorized"}
	value := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && (a[:7] == "Bearer " || a[:7] == "bearer ") {
		value = a[7:]
	} else {
		value = r.URL.Query().Get("access_token")
	}
	tok := s.tokens[value]
	if tok == nil || !tok.OAuth || tok.Revoked || expired(tok, s.now()) {
		writeJSON(w, http.StatusUnauthorized, invalid)
		return
	}
	out := oauthInfoJSON{
		ResourceOwnerID: tok.UserID,
		Scope:           append([]string{}, tok.Scopes...),
		Scopes:          append([]string{}, tok.Scopes...),
		Application:     oauthAppJSON{UID: "gitlabtest-" + itoa(tok.ID)},
		CreatedAt:       tok.CreatedAt.Unix(),
	}
	if app := s.apps[tok.AppID]; app != nil {
		out.Application.UID = app.UID
	}
	if tok.ExpiresAt != nil {
		left := int(tok.ExpiresAt.Sub(s.now()) / time.Second)
		out.ExpiresIn, out.ExpiresInSeconds = &left, &left
	}
	if !tok.ValidUntil.IsZero() {
		left := int(tok.ValidUntil.Sub(s.now()) / time.Second)
		out.ExpiresIn, out.ExpiresInSeconds = &left, &left
	}
	writeJSON(w, http.StatusOK, out)
}

// project finds the project named by the {id} path value (a numeric id or a
// full path) if the caller can see it; otherwise it answers 404. Called with
// s.mu held.
func (s *Server) project(w http.ResponseWriter, r *http.Request, c caller) (*Project, bool) {
	id := r.PathValue("id")
	var p *Project
	if n, err := strconv.Atoi(id); err == nil {
		p = s.projects[n]
	} else {
		p = s.byPath[id]
	}
	if p == nil || !visible(c.user, p) {
		writeJSON(w, http.StatusNotFound, errNoProject)
		return nil, false
	}
	return p, true
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.authenticate(w, r, true, apiScopes(r)...)
	if !ok {
		return
	}
	p, ok := s.project(w, r, c)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.projectJSON(p, c.user))
}
