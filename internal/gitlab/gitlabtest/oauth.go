package gitlabtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Application is an OAuth application registered in GitLab (Admin Area
// or User Settings > Applications): its ID (uid) and secret, the one
// callback URL, the scopes it may ask for. UserID is the GitLab user who
// is signed in and approves the authorization request: the stand-in has
// no sign-in, so /oauth/authorize approves as that user at once.
type Application struct {
	ID          int // assigned by AddApplication when zero
	Name        string
	UID         string // the application ID; generated when empty
	Secret      string // generated when empty
	RedirectURI string
	Scopes      []string
	UserID      int
	// Denied makes the user refuse the authorization (error=access_denied).
	Denied bool
}

type oauthCode struct {
	app                 int
	user                int
	redirect, challenge string
	scopes              []string
	expires             time.Time
}

type oauthRefresh struct {
	app, user int
	scopes    []string
	revoked   bool
}

// WithOAuthTokenTTL sets how long OAuth access tokens last (GitLab: 2h).
func WithOAuthTokenTTL(d time.Duration) Option { return func(s *Server) { s.oauthTTL = d } }

// AddApplication registers an OAuth application.
func (s *Server) AddApplication(a Application) *Application {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[a.UserID] == nil {
		s.t.Fatalf("gitlabtest: AddApplication: no user %d", a.UserID)
	}
	if a.ID == 0 {
		a.ID = s.id("application")
	}
	if a.UID == "" {
		a.UID = randomHex(32)
	}
	if a.Secret == "" {
		a.Secret = "gloas-" + randomHex(32)
	}
	if len(a.Scopes) == 0 {
		a.Scopes = []string{ScopeAPI}
	}
	a.Scopes = slices.Clone(a.Scopes)
	s.apps[a.ID] = &a
	return &a
}

// RevokeRefreshTokens revokes every refresh token of the application (a
// user revoking its access in GitLab): refreshing then fails with
// invalid_grant.
func (s *Server) RevokeRefreshTokens(app *Application) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refreshes {
		if r.app == app.ID {
			r.revoked = true
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) appByUID(uid string) *Application {
	for _, a := range s.apps {
		if a.UID == uid {
			return a
		}
	}
	return nil
}

// oauthAuthorize is GET /oauth/authorize: the authorization-code request
// with PKCE (code_challenge_method S256). An unknown client or a
// redirect_uri that is not the application's is shown as an error page,
// never redirected to; other errors go back to the callback as error=…
// with the state, as GitLab (Doorkeeper) does.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	app := s.appByUID(q.Get("client_id"))
	if app == nil {
		http.Error(w, "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.", http.StatusUnauthorized)
		return
	}
	if q.Get("redirect_uri") != app.RedirectURI {
		http.Error(w, "The redirect uri included is not valid.", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		http.Redirect(w, r, app.RedirectURI+"?"+v.Encode(), http.StatusFound)
	}
	fail := func(code, desc string) { back(url.Values{"error": {code}, "error_description": {desc}}) }
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "The authorization server does not support this response type.")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = app.Scopes
	}
	for _, sc := range scopes {
		if !slices.Contains(app.Scopes, sc) {
			fail("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			return
		}
	}
	challenge := q.Get("code_challenge")
	if challenge == "" || q.Get("code_challenge_method") != "S256" {
		fail("invalid_request", "Code challenge is required and its method must be S256.")
		return
	}
	if app.Denied {
		fail("access_denied", "The resource owner or authorization server denied the request.")
		return
	}
	code := randomHex(64)
	s.oauthCodes[code] = &oauthCode{app: app.ID, user: app.UserID, redirect: app.RedirectURI, challenge: challenge, scopes: slices.Clone(scopes), expires: s.now().Add(10 * time.Minute)}
	back(url.Values{"code": {code}})
}

// oauthToken is POST /oauth/token: grant_type authorization_code (with
// the PKCE code_verifier) or refresh_token. Refresh tokens rotate: each
// is good for one refresh. Errors are Doorkeeper's JSON.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	f := r.PostForm
	invalidGrant := map[string]string{"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}
	app := s.appByUID(f.Get("client_id"))
	if app == nil || subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(app.Secret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."})
		return
	}
	var user int
	var scopes []string
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.oauthCodes[f.Get("code")]
		delete(s.oauthCodes, f.Get("code")) // one use
		if c == nil || c.app != app.ID || c.redirect != f.Get("redirect_uri") || !s.now().Before(c.expires) {
			writeJSON(w, http.StatusBadRequest, invalidGrant)
			return
		}
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			writeJSON(w, http.StatusBadRequest, invalidGrant)
			return
		}
		user, scopes = c.user, c.scopes
	case "refresh_token":
		rt := s.refreshes[f.Get("refresh_token")]
		if rt == nil || rt.revoked || rt.app != app.ID {
			writeJSON(w, http.StatusBadRequest, invalidGrant)
			return
		}
		rt.revoked = true
		user, scopes = rt.user, rt.scopes
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "The authorization grant type is not supported by the authorization server."})
		return
	}
	now := s.now()
	access, refresh := randomHex(64), randomHex(64)
	tok := &Token{ID: s.id("token"), Name: app.Name, Value: access, UserID: user, Scopes: slices.Clone(scopes), OAuth: true, CreatedAt: now, ValidUntil: now.Add(s.oauthTTL), AppID: app.ID}
	s.tokens[access] = tok
	s.refreshes[refresh] = &oauthRefresh{app: app.ID, user: user, scopes: slices.Clone(scopes)}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"token_type":    "Bearer",
		"expires_in":    int(s.oauthTTL / time.Second),
		"refresh_token": refresh,
		"scope":         strings.Join(scopes, " "),
		"created_at":    now.Unix(),
	})
}
